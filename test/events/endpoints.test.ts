import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { checkEndpointUrl, isPublicAddress } from '../../src/events/endpoint-url.ts';
import { secretContext } from '../../src/events/endpoints.service.ts';
import { createVault } from '../../src/vault/vault.ts';
import { createTestApp, registerUser, type TestApp, testEnv } from '../helpers/app.ts';

// POST/GET/DELETE /webhooks/endpoints, rotate-secret (docs/events.md §3) and the URL rules (§4).
// Names resolve through a table here: no test touches the network.
const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'sneaky.example.com': ['127.0.0.1'],
  'half.example.com': ['93.184.216.34', '10.1.2.3'],
  'metadata.example.com': ['169.254.169.254'],
};
const resolve = async (host: string) => {
  const found = dns[host];
  if (!found) throw new Error('ENOTFOUND');
  return found;
};

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ overrides: { resolve } });
});
afterAll(async () => t?.close());

type User = Awaited<ReturnType<typeof registerUser>>;
const create = (u: User, payload: object) =>
  t.app.inject({ method: 'POST', url: '/webhooks/endpoints', headers: u.auth, payload });

describe('webhook endpoints', () => {
  it('registers an endpoint and shows its secret once, sealed at rest', async () => {
    const u = await registerUser(t.app);
    const res = await create(u, {
      url: 'https://hooks.example.com/phr',
      events: ['observations.created', 'sync.failed'],
      description: 'home server',
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as Record<string, unknown> & { id: string; secret: string };
    expect(body).toMatchObject({
      url: 'https://hooks.example.com/phr',
      events: ['observations.created', 'sync.failed'],
      description: 'home server',
      status: 'enabled',
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(body.secret.slice(6), 'base64')).toHaveLength(32);

    // Stored as a vault envelope that opens to the secret only under this endpoint's context.
    const row = await t.deps.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).not.toContain(body.secret.slice(6));
    expect(t.deps.vault.open(row.secret, secretContext(body.id)).reveal()).toBe(body.secret);

    // Never shown again.
    const read = await t.app.inject({ url: `/webhooks/endpoints/${body.id}`, headers: u.auth });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ ...body, secret: undefined, created_at: body.created_at });
    expect(read.body).not.toContain(body.secret);
    const list = await t.app.inject({ url: '/webhooks/endpoints', headers: u.auth });
    expect(list.json()).toMatchObject({ items: [{ id: body.id }] });
    expect(list.body).not.toContain('whsec_');
  });

  it('every type by default; rotate gives a new secret; delete removes it; both are audited', async () => {
    const u = await registerUser(t.app);
    const res = await create(u, { url: 'https://93.184.216.34/hook' });
    expect(res.statusCode, res.body).toBe(201);
    const { id, secret, events } = res.json() as { id: string; secret: string; events: unknown };
    expect(events).toBeNull();
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/webhooks/endpoints/${id}/rotate-secret`,
      headers: u.auth,
    });
    expect(rotated.statusCode).toBe(200);
    const next = (rotated.json() as { secret: string }).secret;
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    const row = await t.deps.db
      .selectFrom('webhook_endpoints')
      .select('secret')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(t.deps.vault.open(row.secret, secretContext(id)).reveal()).toBe(next);

    const del = await t.app.inject({ method: 'DELETE', url: `/webhooks/endpoints/${id}`, headers: u.auth });
    expect(del.statusCode).toBe(204);
    const gone = await t.app.inject({ url: `/webhooks/endpoints/${id}`, headers: u.auth });
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['content-type']).toContain('application/problem+json');
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/webhooks/endpoints/${id}`, headers: u.auth }))
        .statusCode,
    ).toBe(404);

    await t.deps.audit.flush();
    const audit = await t.deps.db
      .selectFrom('audit_events')
      .select(['action', 'resource_ids'])
      .where('user_id', '=', u.id)
      .where('action', 'like', 'webhooks.endpoint.%')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'webhooks.endpoint.create',
      'webhooks.endpoint.rotate_secret',
      'webhooks.endpoint.delete',
    ]);
    expect(audit.every((a) => a.resource_ids.includes(id))).toBe(true);
  });

  it('refuses URLs that are not https or do not resolve to public addresses, naming the field', async () => {
    const u = await registerUser(t.app);
    for (const url of [
      'http://hooks.example.com/phr',
      'ftp://hooks.example.com/phr',
      'not a url',
      'https://user:pw@hooks.example.com/phr',
      'https://127.0.0.1/hook',
      'https://10.0.0.5/hook',
      'https://100.64.1.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://localhost/hook',
      'https://intranet/hook',
      'https://sneaky.example.com/hook',
      'https://half.example.com/hook',
      'https://metadata.example.com/hook',
      'https://nowhere.example.com/hook',
    ]) {
      const res = await create(u, { url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect((res.json() as { errors: { field: string }[] }).errors[0]?.field, url).toBe('url');
    }
    const badType = await create(u, { url: 'https://hooks.example.com/x', events: ['observations.eaten'] });
    expect(badType.statusCode).toBe(400);
    expect(JSON.stringify(badType.json())).toContain('events');
    const list = await t.app.inject({ url: '/webhooks/endpoints', headers: u.auth });
    expect(list.json()).toEqual({ items: [] });
  });

  it('key rotation (npm run keys:rotate) re-seals endpoint secrets under the new key', async () => {
    const u = await registerUser(t.app);
    const { id, secret } = (
      await create(u, { url: 'https://93.184.216.34/rotate', events: ['endpoint.disabled'] })
    ).json() as {
      id: string;
      secret: string;
    };
    // Rotated once, so a previous secret (still in its overlap) is sealed under the old key too.
    const rotatedSecret = await t.app.inject({
      method: 'POST',
      url: `/webhooks/endpoints/${id}/rotate-secret`,
      headers: u.auth,
    });
    expect(rotatedSecret.statusCode).toBe(200);
    const current = (rotatedSecret.json() as { secret: string }).secret;
    const oldKey = t.deps.config.encryptionKeys[0]!;
    const nextKey = randomBytes(32).toString('base64url');
    const rotated = createVault({ encryptionKeys: [nextKey, oldKey], clock: systemClock });
    const report = await rotated.rotate(t.deps.db);
    expect(report.failed).toBe(0);
    expect(report.reencrypted).toBeGreaterThanOrEqual(1);
    const row = await t.deps.db
      .selectFrom('webhook_endpoints')
      .select(['secret', 'previous_secret'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const onlyNew = createVault({ encryptionKeys: [nextKey], clock: systemClock });
    expect(onlyNew.open(row.secret, secretContext(id)).reveal()).toBe(current);
    expect(onlyNew.open(row.previous_secret!, secretContext(id)).reveal()).toBe(secret);
    expect((await rotated.rotate(t.deps.db)).reencrypted).toBe(0);
  });

  it('erasure removes the person’s endpoints', async () => {
    const u = await registerUser(t.app);
    expect((await create(u, { url: 'https://hooks.example.com/a' })).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: u.auth })).statusCode).toBe(204);
    const rows = await t.deps.db
      .selectFrom('webhook_endpoints')
      .select('id')
      .where('user_id', '=', u.id)
      .execute();
    expect(rows).toEqual([]);
  });
});

describe('endpoint URL rules', () => {
  it('knows public from private, loopback, link-local, CGNAT, unique-local and mapped addresses', () => {
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e'])
      expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of [
      '0.0.0.0',
      '10.1.1.1',
      '100.100.0.1',
      '127.0.0.53',
      '169.254.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      'fc00::1',
      'fe80::1',
      'ff02::1',
      '2001:db8::1',
      'not-an-ip',
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
  });

  it('WEBHOOKS_ALLOW_PRIVATE_URLS accepts http and loopback (development and tests)', async () => {
    const never = async () => {
      throw new Error('no lookup expected');
    };
    expect(
      await checkEndpointUrl('http://127.0.0.1:9999/hook', { allowPrivate: true, resolve: never }),
    ).toHaveProperty('url');
    expect(
      await checkEndpointUrl('http://127.0.0.1:9999/hook', { allowPrivate: false, resolve: never }),
    ).toEqual({
      error: 'must use https',
    });
    const app = await createTestApp({ env: { WEBHOOKS_ALLOW_PRIVATE_URLS: '1' } });
    try {
      const u = await registerUser(app.app);
      const res = await app.app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: u.auth,
        payload: { url: 'http://127.0.0.1:9999/hook' },
      });
      expect(res.statusCode, res.body).toBe(201);
    } finally {
      await app.close();
    }
  });
});

describe('configuration', () => {
  it('EVENTS_WEBHOOK_URL and EVENTS_WEBHOOK_SECRET come together, the secret as whsec_', () => {
    const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    expect(
      loadConfig(testEnv({ EVENTS_WEBHOOK_URL: 'https://push.internal/x', EVENTS_WEBHOOK_SECRET: secret }))
        .eventsWebhook,
    ).toEqual({
      url: 'https://push.internal/x',
      secret,
    });
    expect(() => loadConfig(testEnv({ EVENTS_WEBHOOK_URL: 'https://push.internal/x' }))).toThrow(
      /EVENTS_WEBHOOK_URL and EVENTS_WEBHOOK_SECRET/,
    );
    expect(() =>
      loadConfig(
        testEnv({ EVENTS_WEBHOOK_URL: 'https://push.internal/x', EVENTS_WEBHOOK_SECRET: 'hunter2' }),
      ),
    ).toThrow(/EVENTS_WEBHOOK_SECRET/);
    expect(loadConfig(testEnv()).eventsWebhook).toBeUndefined();
    expect(loadConfig(testEnv()).webhooksAllowPrivateUrls).toBe(false);
  });
});
