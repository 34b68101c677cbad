import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { createKeyring, decodeKey, keyIdFor } from '../../src/vault/envelope.ts';
import { Secret } from '../../src/vault/secret.ts';

const newKey = () => randomBytes(32).toString('base64url');

function expectDecryptionFailure(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('TOKEN_DECRYPTION_FAILED');
}

describe('AES-256-GCM envelopes', () => {
  it('round-trips, names the key, and never repeats a nonce', () => {
    const key = newKey();
    const ring = createKeyring([key]);
    const a = ring.encrypt('ya29.secret-token', 'row-1');
    const b = ring.encrypt('ya29.secret-token', 'row-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret-token');
    expect(a.split('.')).toHaveLength(4);
    expect(ring.keyIdOf(a)).toBe(keyIdFor(decodeKey(key)));
    expect(ring.decrypt(a, 'row-1')).toBe('ya29.secret-token');
  });

  it('refuses tampered ciphertext, a foreign row, an unknown key and garbage with a typed error', () => {
    const ring = createKeyring([newKey()]);
    const sealed = ring.encrypt('token', 'row-1');
    const [v, kid, nonce, body] = sealed.split('.');
    const bytes = Buffer.from(body!, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    expectDecryptionFailure(() =>
      ring.decrypt([v, kid, nonce, bytes.toString('base64url')].join('.'), 'row-1'),
    );
    expectDecryptionFailure(() => ring.decrypt(sealed, 'row-2'));
    expectDecryptionFailure(() => createKeyring([newKey()]).decrypt(sealed, 'row-1'));
    expectDecryptionFailure(() => ring.decrypt('not an envelope', 'row-1'));
    expectDecryptionFailure(() => ring.decrypt(`${v}.${kid}.${nonce}.AAAA`, 'row-1'));
  });

  it('reads envelopes of every configured key and writes with the first', () => {
    const oldKey = newKey();
    const sealedOld = createKeyring([oldKey]).encrypt('token', 'row');
    const ring = createKeyring([newKey(), oldKey]);
    expect(ring.decrypt(sealedOld, 'row')).toBe('token');
    expect(ring.keyIdOf(ring.encrypt('token', 'row'))).toBe(ring.currentKeyId);
    expect(ring.currentKeyId).not.toBe(ring.keyIdOf(sealedOld));
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => createKeyring([randomBytes(16).toString('base64url')])).toThrow(/32 bytes/);
  });

  it('Secret never prints its value', () => {
    const s = new Secret('plain-value');
    expect(JSON.stringify({ s })).not.toContain('plain-value');
    expect(String(s)).not.toContain('plain-value');
    expect(inspect({ s })).not.toContain('plain-value');
    expect(s.reveal()).toBe('plain-value');
  });
});
