// NOTE: Withings' request signing: hex(HMAC-SHA256(client_secret, values joined by commas)), over
// `action,client_id,timestamp` for getnonce and `action,client_id,nonce` for signed calls; a nonce
// lives 30 minutes and works once (docs/withings.md, The sandbox emulator).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const NONCE_TTL_MS = 30 * 60_000;

export function signValues(secret: string, values: (string | number)[]): string {
  return createHmac('sha256', secret).update(values.join(',')).digest('hex');
}

export function signaturesEqual(expected: string, given: string | undefined): boolean {
  if (!given || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

export class NonceStore {
  readonly #now: () => Date;
  readonly #nonces = new Map<string, { clientId: string; expiresAt: number }>();

  constructor(now: () => Date) {
    this.#now = now;
  }

  issue(clientId: string): string {
    const now = this.#now().getTime();
    for (const [nonce, entry] of this.#nonces) if (entry.expiresAt <= now) this.#nonces.delete(nonce);
    const nonce = randomBytes(20).toString('hex');
    this.#nonces.set(nonce, { clientId, expiresAt: now + NONCE_TTL_MS });
    return nonce;
  }

  /** Spends a nonce; false when it is unknown, spent, expired or another client's. */
  consume(nonce: string | undefined, clientId: string): boolean {
    const entry = nonce ? this.#nonces.get(nonce) : undefined;
    if (!nonce || !entry) return false;
    this.#nonces.delete(nonce);
    return entry.clientId === clientId && entry.expiresAt > this.#now().getTime();
  }
}
