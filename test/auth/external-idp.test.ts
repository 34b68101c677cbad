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

function sign(claims: Record<string, unknown>, aud = audience) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(aud)
    .setSubject('firebase-uid-42')
    .setIssuedAt()
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
});
