/**
 * Withings request signatures: hex HMAC-SHA256, keyed with the client secret, over the values
 * of `action`, `client_id` and `nonce` (or `timestamp` for getnonce), joined with commas in the
 * order of their key names (docs/withings.md "Connecting"). Pure; the emulator may use it to check.
 *
 *   withingsSignature(secret, { action: 'getnonce', client_id: id, timestamp: 1718870000 })
 */
import { createHmac } from 'node:crypto';

export type SignedFields =
  | { action: string; client_id: string; timestamp: number }
  | { action: string; client_id: string; nonce: string };

/** The text that is signed: the values, sorted by key name, comma-joined. */
export function stringToSign(fields: SignedFields): string {
  return Object.entries(fields)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, value]) => String(value))
    .join(',');
}

export function withingsSignature(clientSecret: string, fields: SignedFields): string {
  return createHmac('sha256', clientSecret).update(stringToSign(fields)).digest('hex');
}
