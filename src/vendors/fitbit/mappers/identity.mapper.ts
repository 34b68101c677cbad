/**
 * `GET /v4/users/me/identity` -> the vendor account ids to store on the connection.
 *
 *   toVendorIdentity(response) -> { healthUserId, legacyUserId }
 *
 * NOTE: healthUserId is a decimal string beyond 2^53 and must stay a string (google-health-api.md §6, §11);
 * legacyUserId is absent for users who never had a Fitbit account.
 */
import type { IdentityResponse } from './google-health.types.ts';

export interface VendorIdentity {
  healthUserId: string;
  legacyUserId: string | null;
}

export function toVendorIdentity(response: IdentityResponse): VendorIdentity {
  if (typeof response.healthUserId !== 'string' || response.healthUserId === '') {
    throw new RangeError('identity response has no healthUserId');
  }
  return { healthUserId: response.healthUserId, legacyUserId: response.legacyUserId || null };
}
