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
