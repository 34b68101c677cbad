/**
 * Withings data-update notifications, per user and per category (`appli`): subscribe, list and
 * revoke with the user's access token through the envelope client. Withings sends a HEAD to the
 * callback URL before it accepts a subscription (a refused URL answers status 293), and later
 * POSTs only `userid`, `appli` and a date range to it, unsigned (docs/withings.md "Connecting").
 *
 *   const notify = createWithingsNotify({ http, apiUrl, now });
 *   for (const appli of notifyApplisFor(scopes)) await notify.subscribe(token, { callbackUrl, appli });
 */
import { callWithings, type WithingsCallDeps } from './envelope.ts';
import { WITHINGS_SCOPES } from './scopes.ts';

const NOTIFY_PATH = '/notify';

/** The categories that announce new data of our types. */
export const WITHINGS_APPLI = {
  /** Weight and body composition. */
  weight: 1,
  temperature: 2,
  /** Blood pressure, heart rate, SpO2. */
  pressure: 4,
  /** Daily activity. */
  activity: 16,
  sleep: 44,
  /** Profile events (`action` = unlink, delete, update). */
  user: 46,
} as const;

/** The data categories a grant of these scopes can be notified of. */
export function notifyApplisFor(scopes: readonly string[]): number[] {
  const have = new Set(scopes);
  return [
    ...(have.has(WITHINGS_SCOPES.metrics)
      ? [WITHINGS_APPLI.weight, WITHINGS_APPLI.temperature, WITHINGS_APPLI.pressure]
      : []),
    ...(have.has(WITHINGS_SCOPES.activity) ? [WITHINGS_APPLI.activity, WITHINGS_APPLI.sleep] : []),
  ];
}

export interface WithingsSubscription {
  appli: number;
  callbackUrl: string;
  comment: string | null;
}

interface ListBody {
  profiles?: { appli?: unknown; callbackurl?: unknown; comment?: unknown }[];
}

export type WithingsNotify = ReturnType<typeof createWithingsNotify>;

export function createWithingsNotify(deps: WithingsCallDeps) {
  return {
    async subscribe(
      accessToken: string,
      subscription: { callbackUrl: string; appli: number; comment?: string },
    ): Promise<void> {
      await callWithings(deps, {
        path: NOTIFY_PATH,
        action: 'subscribe',
        accessToken,
        params: {
          callbackurl: subscription.callbackUrl,
          appli: subscription.appli,
          comment: subscription.comment,
        },
      });
    },

    async revokeSubscription(
      accessToken: string,
      subscription: { callbackUrl: string; appli: number },
    ): Promise<void> {
      await callWithings(deps, {
        path: NOTIFY_PATH,
        action: 'revoke',
        accessToken,
        params: { callbackurl: subscription.callbackUrl, appli: subscription.appli },
      });
    },

    /** The user's subscriptions, of one category or of all. */
    async list(accessToken: string, filter: { appli?: number } = {}): Promise<WithingsSubscription[]> {
      const body = await callWithings<ListBody>(deps, {
        path: NOTIFY_PATH,
        action: 'list',
        accessToken,
        params: { appli: filter.appli },
      });
      return (body.profiles ?? []).flatMap((p) =>
        typeof p.appli === 'number' && typeof p.callbackurl === 'string'
          ? [
              {
                appli: p.appli,
                callbackUrl: p.callbackurl,
                comment: typeof p.comment === 'string' ? p.comment : null,
              },
            ]
          : [],
      );
    },
  };
}
