/**
 * The client address (per-address limits, audit trail) comes from forwarding headers only when
 * TRUST_PROXY names the peer that sent them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp, uniqueEmail } from '../helpers/app.ts';

const SPOOFED = (i: number) => ({
  'x-forwarded-for': `192.0.2.${i + 1}`,
  'x-real-ip': `192.0.2.${i + 101}`,
  forwarded: `for=192.0.2.${i + 201};proto=https`,
});

async function loginCodes(t: TestApp, remoteAddress: string, headers: (i: number) => Record<string, string>) {
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      remoteAddress,
      headers: headers(i),
      payload: { email: uniqueEmail(), password: 'whatever pw' },
    });
    codes.push(res.statusCode);
  }
  return codes;
}

/** The address the audit trail records for one read made with these headers. */
async function auditedAddress(t: TestApp, remoteAddress: string, headers: Record<string, string>) {
  const u = await registerUser(t.app);
  const read = await t.app.inject({
    url: '/health/observations',
    remoteAddress,
    headers: { ...u.auth, ...headers },
  });
  expect(read.statusCode).toBe(200);
  await t.deps.audit.flush();
  const trail = await t.app.inject({ url: '/auth/me/audit', headers: u.auth });
  const items = (trail.json() as { items: { action: string; ip: string | null }[] }).items;
  return items.find((e) => e.action === 'health.observations.list')?.ip;
}

describe('TRUST_PROXY unset', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(async () => t?.close());

  it('forwarding headers do not reset the per-address limit', async () => {
    expect(await loginCodes(t, '203.0.113.20', SPOOFED)).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('the audit trail records the peer, not what the headers claim', async () => {
    expect(await auditedAddress(t, '198.51.100.5', SPOOFED(7))).toBe('198.51.100.5');
    expect(await auditedAddress(t, '127.0.0.1', SPOOFED(8))).toBe('127.0.0.1');
  });
});

describe('TRUST_PROXY=127.0.0.1/8 (a proxy on loopback)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '127.0.0.1/8' } });
  });
  afterAll(async () => t?.close());

  it('counts each forwarded client on its own', async () => {
    const codes = await loginCodes(t, '127.0.0.1', (i) => ({ 'x-forwarded-for': `192.0.2.${i + 1}` }));
    expect(codes).toEqual([401, 401, 401, 401, 401, 401, 401]);
    // One client behind the proxy still trips its own limit.
    const one = await loginCodes(t, '127.0.0.1', () => ({ 'x-forwarded-for': '192.0.2.50' }));
    expect(one).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('records the forwarded client in the audit trail, and ignores the headers from other peers', async () => {
    expect(await auditedAddress(t, '127.0.0.1', { 'x-forwarded-for': '192.0.2.60' })).toBe('192.0.2.60');
    // X-Real-IP and Forwarded are never read.
    expect(
      await auditedAddress(t, '127.0.0.1', { 'x-real-ip': '192.0.2.61', forwarded: 'for=192.0.2.62' }),
    ).toBe('127.0.0.1');
    expect(await auditedAddress(t, '203.0.113.30', { 'x-forwarded-for': '192.0.2.63' })).toBe('203.0.113.30');
  });
});

describe('TRUST_PROXY=1 (one hop)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '1' } });
  });
  afterAll(async () => t?.close());

  it('takes the address the nearest proxy saw, not one the client wrote before it', async () => {
    const headers = { 'x-forwarded-for': '192.0.2.70, 192.0.2.71' };
    expect(await auditedAddress(t, '10.0.0.2', headers)).toBe('192.0.2.71');
  });
});
