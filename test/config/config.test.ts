import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { withDevSecrets } from '../../src/secrets.ts';

describe('config', () => {
  it('has working defaults with nothing set', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8000);
    expect(c.jwt.accessTtlSeconds).toBe(900);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe('./data');
    expect(c.sandbox).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SYNC_BACKFILL_DAYS: '-3', AUTH_ISSUER: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'SYNC_BACKFILL_DAYS', 'AUTH_JWKS_URL'])
        expect(problems).toContain(name);
    }
  });

  it('refuses production without JWT_SECRET and ENCRYPTION_KEY', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET[\s\S]*ENCRYPTION_KEY/);
  });

  it('parses TRUST_PROXY: unset trusts nothing; a hop count; addresses and CIDR ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1, 192.0.2.7, loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '::1',
      '192.0.2.7',
      'loopback',
    ]);
    for (const bad of ['true', '*', '10.0.0.0/33', '10.0.0/8', 'proxy.example.org', '1.2.3.4,', '-1', '99']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });

  it('refuses production without a METRICS_TOKEN of 16+ characters', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
    };
    expect(() => loadConfig(production)).toThrow(/METRICS_TOKEN: required in production/);
    expect(() => loadConfig({ ...production, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ ...production, METRICS_TOKEN: 'm'.repeat(16) }).metricsToken).toBe('m'.repeat(16));
    // Outside production an empty token leaves /metrics open for local use.
    expect(loadConfig({}).metricsToken).toBeUndefined();
  });

  it('Withings: defaults from PUBLIC_BASE_URL, the notification URL carries the webhook secret', () => {
    const secret = 'w'.repeat(40);
    expect(loadConfig({}).withings).toEqual({
      clientId: undefined,
      clientSecret: undefined,
      redirectUri: 'http://localhost:8000/integrations/withings/callback',
      authorizeUrl: 'https://account.withings.com/oauth2_user/authorize2',
      apiUrl: 'https://wbsapi.withings.net',
      webhookSecret: undefined,
      notifyCallbackUrl: undefined,
    });
    const c = loadConfig({
      PUBLIC_BASE_URL: 'https://phr.example/',
      WITHINGS_CLIENT_ID: 'id',
      WITHINGS_CLIENT_SECRET: 'secret',
      WITHINGS_WEBHOOK_SECRET: secret,
      WITHINGS_API_URL: 'http://127.0.0.1:9000/',
      WITHINGS_OAUTH_AUTHORIZE_URL: 'http://127.0.0.1:9000/oauth2_user/authorize2',
    });
    expect(c.withings).toEqual({
      clientId: 'id',
      clientSecret: 'secret',
      redirectUri: 'https://phr.example/integrations/withings/callback',
      authorizeUrl: 'http://127.0.0.1:9000/oauth2_user/authorize2',
      apiUrl: 'http://127.0.0.1:9000',
      webhookSecret: secret,
      notifyCallbackUrl: `https://phr.example/webhooks/withings/${secret}`,
    });
    expect(loadConfig({ WITHINGS_REDIRECT_URI: 'https://x.example/cb' }).withings.redirectUri).toBe(
      'https://x.example/cb',
    );
  });

  it('Withings: refuses half a client, a guessable webhook secret and bad URLs, all at once', () => {
    try {
      loadConfig({
        WITHINGS_CLIENT_ID: 'id',
        WITHINGS_WEBHOOK_SECRET: 'short',
        WITHINGS_API_URL: 'wbsapi.withings.net',
        WITHINGS_REDIRECT_URI: 'ftp://x',
      });
      expect.unreachable();
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of [
        'WITHINGS_CLIENT_ID and WITHINGS_CLIENT_SECRET must be set together',
        'WITHINGS_WEBHOOK_SECRET',
        'WITHINGS_API_URL',
        'WITHINGS_REDIRECT_URI',
      ])
        expect(problems).toContain(name);
    }
    expect(() => loadConfig({ WITHINGS_CLIENT_SECRET: 'secret' })).toThrow(/set together/);
    expect(() => loadConfig({ WITHINGS_WEBHOOK_SECRET: 'has/slash'.padEnd(40, 'x') })).toThrow(
      /WITHINGS_WEBHOOK_SECRET/,
    );
  });

  it('Withings in production: the webhook secret and public https URLs are required, every problem listed', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'),
      METRICS_TOKEN: 'm'.repeat(16),
    };
    // Not configured: nothing asked.
    expect(loadConfig(production).withings.clientId).toBeUndefined();
    const withings = { ...production, WITHINGS_CLIENT_ID: 'id', WITHINGS_CLIENT_SECRET: 'secret' };
    try {
      loadConfig(withings);
      expect.unreachable();
    } catch (err) {
      const problems = (err as ConfigError).problems;
      expect(problems).toEqual([
        expect.stringMatching(/^WITHINGS_WEBHOOK_SECRET: required in production/),
        expect.stringMatching(/^WITHINGS_REDIRECT_URI: Withings refuses http:\/\/localhost:8000/),
      ]);
    }
    const secret = 's'.repeat(32);
    expect(() =>
      loadConfig({ ...withings, PUBLIC_BASE_URL: 'http://203.0.113.7', WITHINGS_WEBHOOK_SECRET: secret }),
    ).toThrow(/WITHINGS_REDIRECT_URI[\s\S]*PUBLIC_BASE_URL: Withings notifications need an https URL/);
    expect(() =>
      loadConfig({
        ...withings,
        PUBLIC_BASE_URL: 'https://phr.example:8443',
        WITHINGS_WEBHOOK_SECRET: secret,
      }),
    ).toThrow(/PUBLIC_BASE_URL: Withings notifications/);
    expect(() =>
      loadConfig({
        ...withings,
        PUBLIC_BASE_URL: `https://phr.example/${'p'.repeat(200)}`,
        WITHINGS_WEBHOOK_SECRET: secret,
      }),
    ).toThrow(/at most 255 characters/);
    const ok = loadConfig({
      ...withings,
      PUBLIC_BASE_URL: 'https://phr.example',
      WITHINGS_WEBHOOK_SECRET: secret,
    });
    expect(ok.withings.notifyCallbackUrl).toBe(`https://phr.example/webhooks/withings/${secret}`);
  });

  it('parses durations', () => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: '30d' }).jwt.accessTtlSeconds).toBe(30 * 86400);
    expect(loadConfig({ ACCESS_TOKEN_TTL: '3600' }).jwt.accessTtlSeconds).toBe(3600);
  });

  it('generates development secrets once and keeps them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'phr-secrets-'));
    const warnings: string[] = [];
    const first = await withDevSecrets(loadConfig({ DATA_DIR: dir }), (m) => warnings.push(m));
    const second = await withDevSecrets(loadConfig({ DATA_DIR: dir }), (m) => warnings.push(m));
    expect(first.jwt.secret).toBeTruthy();
    expect(second.jwt.secret).toBe(first.jwt.secret);
    expect(second.encryptionKeys).toEqual(first.encryptionKeys);
    expect(warnings).toHaveLength(1);
    const file = join(dir, 'dev-secrets.json');
    expect((await stat(file)).mode & 0o077).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8')).jwtSecret).toBe(first.jwt.secret);
  });
});
