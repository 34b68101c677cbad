import * as oauth from 'oauth4webapi';
import { VendorAuthorizationError } from './types.ts';

/**
 * The vendor's redirect back, checked by oauth4webapi (state, error, iss): its parameters, or a
 * VendorAuthorizationError with a stable reason for the result page (ACCESS_DENIED when the person
 * refused, AUTHORIZATION_ERROR for another error the vendor named, INVALID_RESPONSE otherwise).
 */
export function validatedCallback(
  vendor: string,
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  callback: URLSearchParams,
  state: string,
): URLSearchParams {
  try {
    return oauth.validateAuthResponse(as, client, callback, state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      const reason = err.error === 'access_denied' ? 'ACCESS_DENIED' : 'AUTHORIZATION_ERROR';
      throw new VendorAuthorizationError(vendor, reason, `Authorization refused: ${err.error}`);
    }
    throw new VendorAuthorizationError(
      vendor,
      'INVALID_RESPONSE',
      'Authorization response is not valid',
      err,
    );
  }
}
