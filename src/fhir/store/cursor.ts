/**
 * Opaque page cursors: base64url of [sort, value, id]. Stable while data is added (keyset, not offset).
 *
 *   encodeCursor('-date', keyset) -> 'WyItZGF0ZSIs...'
 *   decodeCursor(text, '-date')   -> keyset | undefined (undefined: not ours, or made for another sort)
 */
import type { Keyset, ObservationSort } from './observation-query.repository.ts';

// PostgreSQL's text output of a timestamptz ('2024-01-02 05:00:00.123+00'), or an infinity.
const PG_TIMESTAMPTZ =
  /^(-?infinity|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2}){0,2}|Z)?)$/;

export function encodeCursor(sort: ObservationSort, keyset: Keyset): string {
  return Buffer.from(JSON.stringify([sort, keyset.value, keyset.id])).toString('base64url');
}

export function decodeCursor(text: string, sort: ObservationSort): Keyset | undefined {
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(text)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [s, value, id] = parsed as unknown[];
    if (s !== sort || typeof value !== 'string' || typeof id !== 'string') return undefined;
    if (!PG_TIMESTAMPTZ.test(value)) return undefined;
    return { value, id };
  } catch {
    return undefined;
  }
}
