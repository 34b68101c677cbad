import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

// scrypt at the OWASP Password Storage Cheat Sheet cost: N=2^17, r=8, p=1 (128 MiB).
// The parameters travel in the hash so a cost change never locks anyone out.
export const DEFAULT_SCRYPT_LOG_N = 17;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, logN = DEFAULT_SCRYPT_LOG_N): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, logN, 8, 1);
  return `scrypt$${logN}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * A bcrypt hash from the original backend (passlib writes `$2b$`; `$2a$` and `$2y$` are the same
 * algorithm). Verified at sign-in, then replaced by scrypt (`needsRehash`).
 */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(stored: string): boolean {
  return BCRYPT_HASH.test(stored);
}

/** True when a verified hash is not our scrypt one and should be replaced by `hashPassword`. */
export function needsRehash(stored: string): boolean {
  return isBcryptHash(stored);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (isBcryptHash(stored)) {
    // NOTE: bcrypt reads at most 72 bytes of the password, as passlib did when it made the hash.
    // `$2y$` is PHP's name for `$2b$`; bcryptjs knows `$2a$`/`$2b$`.
    return bcrypt.compare(password, stored.replace(/^\$2y\$/, '$2b$'));
  }
  const [scheme, logN, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !logN || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(logN), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of nothing anyone knows: unknown emails are checked against it so they take as long. */
export function createDummyHash(logN: number): Promise<string> {
  return hashPassword(randomBytes(16).toString('hex'), logN);
}
