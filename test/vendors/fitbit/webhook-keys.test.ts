/**
 * The webhook signature check against a Tink JSON keyset (src/vendors/fitbit/webhook-keys.ts),
 * with keysets made by the sandbox's signer (the format of Google's keyset file).
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { createWebhookSigner } from '../../../src/sandbox/webhooks/signature.ts';
import { createWebhookKeys, parseTinkKeyset } from '../../../src/vendors/fitbit/webhook-keys.ts';

const log = createLogger('silent');
const URL = 'https://keys.example/keyset.json';

/** A fetch serving `keyset()` (or failing), counting its calls. */
function keysetServer(keyset: () => unknown) {
  const server = {
    calls: 0,
    down: false,
    fetch: (async () => {
      server.calls += 1;
      if (server.down) throw new TypeError('fetch failed');
      return new Response(JSON.stringify(keyset()), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
  };
  return server;
}

describe('webhook signature keys', () => {
  it('accepts the keyset’s signature of the exact body, nothing else', async () => {
    const signer = createWebhookSigner();
    const server = keysetServer(() => signer.publicKeys().tinkKeyset);
    const keys = createWebhookKeys({ url: URL, fetch: server.fetch, log });
    const body = '{"data":{"healthUserId":"1","dataType":"steps"}}';
    expect(await keys.verify(body, signer.sign(body))).toBe('valid');
    expect(await keys.verify(`${body} `, signer.sign(body))).toBe('invalid');
    expect(await keys.verify(body, undefined)).toBe('invalid');
    expect(await keys.verify(body, 'not base64 at all')).toBe('invalid');
    expect(await keys.verify(body, createWebhookSigner().sign(body))).toBe('invalid');
    // A signature with a wrong prefix byte (Tink LEGACY/CRUNCHY are not Google's format).
    const raw = Buffer.from(signer.sign(body), 'base64');
    raw[0] = 0x00;
    expect(await keys.verify(body, raw.toString('base64'))).toBe('invalid');
    expect(server.calls).toBe(1); // an unknown key id refetches at most once a minute
  });

  it('fetches the keyset again for a key id it does not hold (rotation)', async () => {
    let current = createWebhookSigner();
    const server = keysetServer(() => current.publicKeys().tinkKeyset);
    const keys = createWebhookKeys({ url: URL, fetch: server.fetch, log });
    const body = '{}';
    expect(await keys.verify(body, current.sign(body))).toBe('valid');
    current = createWebhookSigner();
    // Within a minute of the last fetch the new key is not looked for: refused, Google retries.
    expect(await keys.verify(body, current.sign(body))).toBe('invalid');
    expect(server.calls).toBe(1);
  });

  it('answers unavailable while no keyset could be fetched, and recovers', async () => {
    const signer = createWebhookSigner();
    const server = keysetServer(() => signer.publicKeys().tinkKeyset);
    server.down = true;
    const keys = createWebhookKeys({ url: URL, fetch: server.fetch, log });
    expect(await keys.verify('{}', signer.sign('{}'))).toBe('unavailable');
    expect(server.calls).toBe(1);
  });

  it('reads only enabled ECDSA P-256 keys with the TINK prefix, zero-padded coordinates included', () => {
    const a = createWebhookSigner().publicKeys().tinkKeyset as { key: Record<string, unknown>[] };
    const b = createWebhookSigner().publicKeys().tinkKeyset as { key: Record<string, unknown>[] };
    const c = createWebhookSigner().publicKeys().tinkKeyset as { key: Record<string, unknown>[] };
    const [ka, kb, kc] = [a.key[0], b.key[0], c.key[0]] as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    const keyset = {
      key: [ka, { ...kb, status: 'DISABLED' }, { ...kc, outputPrefixType: 'LEGACY' }, { bogus: true }],
    };
    expect([...parseTinkKeyset(keyset).keys()]).toEqual([ka.keyId]);
    // A coordinate with Tink's leading zero byte (a positive big-endian integer) still reads.
    const proto = Buffer.from((ka.keyData as { value: string }).value, 'base64');
    const padded = padCoordinates(proto);
    const withZero = {
      key: [{ ...ka, keyData: { ...(ka.keyData as object), value: padded.toString('base64') } }],
    };
    expect(parseTinkKeyset(withZero).size).toBe(1);
  });
});

/** The same EcdsaPublicKey with a 0x00 byte in front of x and y (fields 3 and 4, 32 bytes each). */
function padCoordinates(proto: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < proto.length) {
    const tag = proto[at] as number;
    const length = proto[at + 1] as number;
    const value = proto.subarray(at + 2, at + 2 + length);
    const field = tag >> 3;
    const v = field === 3 || field === 4 ? Buffer.concat([Buffer.from([0]), value]) : value;
    out.push(Buffer.from([tag, v.length]), v);
    at += 2 + length;
  }
  return Buffer.concat(out);
}
