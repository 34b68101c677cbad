import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// A Flutter app signed in with Firebase or another OIDC provider sends that provider's JWT.
let t: TestApp;
let jwks: Server;
let privateKey: CryptoKey;
const issuer = 'https://idp.example.test';
const audience = 'phr-mobile';

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const port = (jwks.address() as AddressInfo).port;
  t = await createTestApp({
    env: { AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks`, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience },
  });
});
afterAll(async () => {
  await t?.close();
  jwks?.close();
});

function sign(claims: Record<string, unknown>, aud = audience, sub = 'firebase-uid-42', iat?: number) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(aud)
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('external identity provider', () => {
  it('maps sub to a local user created on first sight, and the same user afterwards', async () => {
    const token = await sign({ email: 'Grace@Example.test', name: 'Grace' });
    const first = await t.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ email: 'grace@example.test', name: 'Grace' });
    const again = await t.app.inject({
      url: '/auth/me',
      headers: { authorization: `Bearer ${await sign({})}` },
    });
    expect(again.json().id).toBe(first.json().id);
  });

  it('rejects a token for another audience', async () => {
    const token = await sign({}, 'someone-else');
    expect(
      (await t.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(401);
  });

  it('keeps refusing the tokens issued before an erasure; a later sign-in starts a new account', async () => {
    const sub = 'firebase-uid-erased';
    const issuedAt = Math.floor(Date.now() / 1000) - 60;
    const token = {
      authorization: `Bearer ${await sign({ email: 'erased@example.test' }, audience, sub, issuedAt)}`,
    };
    const other = { authorization: `Bearer ${await sign({}, audience, sub, issuedAt + 1)}` };
    const me = await t.app.inject({ url: '/auth/me', headers: token });
    expect(me.statusCode).toBe(200);
    const id = (me.json() as { id: number }).id;
    expect((await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: token })).statusCode).toBe(204);
    for (const headers of [token, other]) {
      for (const url of ['/auth/me', '/health/observations']) {
        const res = await t.app.inject({ url, headers });
        expect(res.statusCode, url).toBe(401);
      }
    }
    const users = await t.deps.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'erased@example.test')
      .execute();
    expect(users).toEqual([]);
    // The person signs in at the provider again: a fresh token, a fresh (empty) account.
    const fresh = await sign(
      { email: 'erased@example.test' },
      audience,
      sub,
      Math.floor(Date.now() / 1000) + 1,
    );
    const again = await t.app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${fresh}` } });
    expect(again.statusCode).toBe(200);
    expect((again.json() as { id: number }).id).not.toBe(id);
  });
});
