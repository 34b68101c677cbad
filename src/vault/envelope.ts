import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';

// AES-256-GCM envelopes: `v1.<keyId>.<nonce>.<ciphertext+tag>` (base64url parts).
// A fresh 96-bit nonce per encryption (NIST SP 800-38D §8.2.2 random construction; far
// below the 2^32 messages per key limit here). The associated data names the row and the
// field, so a ciphertext copied into another row or column fails authentication.

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Keyring {
  /** Key id of the key that encrypts; the first configured key. */
  readonly currentKeyId: string;
  encrypt(plaintext: string, aad: string): string;
  decrypt(envelope: string, aad: string): string;
  /** Key id an envelope was written with (no decryption). */
  keyIdOf(envelope: string): string;
}

/** Key id: a short hash of the key, so ids never reveal key material and are stable across deploys. */
export function keyIdFor(key: Buffer): string {
  return createHash('sha256').update('phr-vault-key-id').update(key).digest('base64url').slice(0, 10);
}

export function decodeKey(encoded: string): Buffer {
  const key = Buffer.from(encoded, 'base64url');
  if (key.length !== 32) throw new Error('encryption key must be base64url of exactly 32 bytes');
  return key;
}

export function createKeyring(encodedKeys: readonly string[]): Keyring {
  const keys = new Map<string, Buffer>();
  for (const encoded of encodedKeys) {
    const key = decodeKey(encoded);
    keys.set(keyIdFor(key), key);
  }
  const currentKeyId = encodedKeys[0] ? keyIdFor(decodeKey(encodedKeys[0])) : '';

  function fail(detail: string, cause?: unknown): AppError {
    return new AppError('TOKEN_DECRYPTION_FAILED', detail, { cause });
  }

  return {
    currentKeyId,
    encrypt(plaintext, aad) {
      const key = keys.get(currentKeyId);
      if (!key) throw new AppError('INTERNAL', 'No encryption key is configured (ENCRYPTION_KEY)');
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [VERSION, currentKeyId, nonce.toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(envelope, aad) {
      const [version, keyId, nonceText, bodyText, extra] = envelope.split('.');
      if (version !== VERSION || !keyId || !nonceText || !bodyText || extra !== undefined) {
        throw fail('Stored credential is not a valid envelope');
      }
      const key = keys.get(keyId);
      if (!key) throw fail(`Stored credential uses an unknown key (${keyId})`);
      const nonce = Buffer.from(nonceText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES)
        throw fail('Stored credential is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(body.subarray(0, body.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch (err) {
        throw fail('Stored credential failed authentication (tampered, moved or wrong key)', err);
      }
    },
    keyIdOf(envelope) {
      return envelope.split('.')[1] ?? '';
    },
  };
}
