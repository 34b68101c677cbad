/**
 * The bearer token that guards /metrics, compared in constant time.
 *
 *   bearerMatches(authorizationHeader, token) -> boolean
 *
 * Both sides are hashed first, so `timingSafeEqual` always compares 32 bytes: neither the
 * token's characters nor its length show in the response time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  const presented = match?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token)) && presented !== '';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
