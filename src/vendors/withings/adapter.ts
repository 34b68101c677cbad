import type { Config } from '../../config.ts';
import type { OutboundHttp } from '../../http/outbound.ts';
import { type OAuthTokenSet, type VendorAdapter, VendorAuthorizationError } from '../types.ts';
import { WITHINGS_VENDOR } from './errors.ts';
import { createWithingsOAuth } from './oauth.ts';
import { WITHINGS_DATA_TYPES, WITHINGS_SCOPES } from './scopes.ts';
import { createWithingsSync, WITHINGS_BUDGET } from './sync.ts';

// `withings`: scales, blood-pressure monitors, watches and sleep sensors through the Withings
// Public Health Data API with Withings OAuth.

export interface WithingsAdapterDeps {
  config: Pick<Config, 'withings'>;
  http: OutboundHttp;
  now: () => Date;
}

export function createWithingsAdapter(deps: WithingsAdapterDeps) {
  return {
    id: 'withings',
    displayName: 'Withings',
    dataTypes: WITHINGS_DATA_TYPES,
    accountScopes: [WITHINGS_SCOPES.info],
    oauth: createWithingsOAuth(deps.config.withings, deps.http, deps.now),
    // NOTE: Withings has no identity call for public apps; the token answer names the user (docs/withings.md "Connecting").
    async fetchAccount(tokens: OAuthTokenSet) {
      if (!tokens.vendorUserId) {
        throw new VendorAuthorizationError(
          WITHINGS_VENDOR,
          'INVALID_RESPONSE',
          'The token answer named no user',
        );
      }
      return { vendorUserId: tokens.vendorUserId, legacyVendorUserId: null };
    },
    createSync: ({ budget }) =>
      createWithingsSync({
        http: deps.http,
        apiUrl: deps.config.withings.apiUrl,
        budget: budget('withings-app', WITHINGS_BUDGET),
      }),
  } satisfies VendorAdapter;
}
