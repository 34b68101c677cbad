import type { Config } from '../../config.ts';
import type { OutboundHttp } from '../../http/outbound.ts';
import type { RateBudgets } from '../../sync/rate-budgets.ts';
import type { OAuthTokenSet, VendorAdapter } from '../types.ts';
import { type IdentityResponse, toVendorIdentity } from './mappers/index.ts';
import { createGoogleOAuth } from './oauth.ts';
import { FITBIT_DATA_TYPES, GOOGLE_HEALTH_SCOPES } from './scopes.ts';
import { createGoogleSync, GOOGLE_BUDGET } from './sync.ts';

// `fitbit`: Fitbit and Pixel Watch data through the Google Health API with Google OAuth.
// NOTE: the legacy Fitbit Web API answers 410 Gone since 2026-11-02 (docs/google-health.md §10); only Google is used.

export interface FitbitAdapterDeps {
  config: Pick<Config, 'fitbit'>;
  /** Where its per-user request budget lives (src/sync/rate-budgets.ts). */
  budgets: RateBudgets;
  http: OutboundHttp;
  now: () => Date;
}

export function createFitbitAdapter(deps: FitbitAdapterDeps) {
  const settings = deps.config.fitbit;
  const budget = deps.budgets.budget('google-user', GOOGLE_BUDGET);
  const oauth = createGoogleOAuth(settings, deps.http, deps.now);
  return {
    id: 'fitbit',
    displayName: 'Fitbit (Google Health)',
    dataTypes: FITBIT_DATA_TYPES,
    // NOTE: the time zone lives in users/me/settings, which needs settings.readonly (docs/google-health.md §3.2).
    accountScopes: [GOOGLE_HEALTH_SCOPES.settings],
    oauth,
    async fetchAccount({ accessToken }: OAuthTokenSet) {
      // NOTE: the user id is not in Google's token response; users/me/identity gives it (docs/google-health.md §6).
      const body = await deps.http.json<IdentityResponse>({
        vendor: 'fitbit',
        url: `${settings.apiUrl}/v4/users/me/identity`,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const identity = toVendorIdentity(body);
      return { vendorUserId: identity.healthUserId, legacyVendorUserId: identity.legacyUserId };
    },
    createSync: () => createGoogleSync({ http: deps.http, apiUrl: settings.apiUrl, budget }),
  } satisfies VendorAdapter;
}
