import type { Config } from '../../config.ts';
import type { OutboundHttp } from '../../http/outbound.ts';
import type { RateBudgets } from '../../sync/rate-budgets.ts';
import { type OAuthTokenSet, type VendorAdapter, VendorAuthorizationError } from '../types.ts';
import { withingsBudget } from './budget.ts';
import { WITHINGS_VENDOR } from './errors.ts';
import { createWithingsNotify, notifyApplisFor } from './notify.ts';
import { createWithingsOAuth } from './oauth.ts';
import { WITHINGS_DATA_TYPES, WITHINGS_SCOPES } from './scopes.ts';
import { createWithingsSync } from './sync.ts';

// `withings`: scales, blood-pressure monitors, watches and sleep sensors through the Withings
// Public Health Data API with Withings OAuth.

export interface WithingsAdapterDeps {
  config: Pick<Config, 'withings'>;
  budgets: RateBudgets;
  http: OutboundHttp;
  now: () => Date;
}

export function createWithingsAdapter(deps: WithingsAdapterDeps) {
  const settings = deps.config.withings;
  const budget = withingsBudget(deps.budgets);
  const notify = createWithingsNotify({
    http: deps.http,
    apiUrl: settings.apiUrl,
    now: deps.now,
    spend: budget.spend,
  });
  const callbackUrl = settings.notifyCallbackUrl;
  return {
    id: 'withings',
    displayName: 'Withings',
    dataTypes: WITHINGS_DATA_TYPES,
    accountScopes: [WITHINGS_SCOPES.info],
    oauth: createWithingsOAuth(deps.config.withings, deps.http, deps.now, budget.spend),
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
    // NOTE: one subscription per data category the grant covers; Withings checks the URL with a HEAD first
    // (docs/withings.md "Notifications"). Without a notification URL configured, polling only.
    subscriptions: {
      async subscribe(accessToken, scopes) {
        if (!callbackUrl) return;
        for (const appli of notifyApplisFor(scopes)) {
          await notify.subscribe(accessToken, { callbackUrl, appli, comment: 'PHR Backend' });
        }
      },
      async unsubscribe(accessToken, scopes) {
        if (!callbackUrl) return;
        for (const appli of notifyApplisFor(scopes)) {
          await notify.revokeSubscription(accessToken, { callbackUrl, appli });
        }
      },
    },
    createSync: () => createWithingsSync({ http: deps.http, apiUrl: settings.apiUrl, budget }),
  } satisfies VendorAdapter;
}
