/**
 * The Google Health API's part of a sync (src/vendors/sync.types.ts): one stream per data type
 * with a date cursor (the last complete local date stored), chunks sized by the type's kind, the
 * zone from users/me/settings, and what Google's error bodies mean.
 *
 *   const sync = createGoogleSync({ http, apiUrl, budget });   // adapter.createSync builds it
 */

import { isValidZone } from '../../fhir/zones.ts';
import type { OutboundHttp } from '../../http/outbound.ts';
import { VendorHttpError } from '../../http/outbound.ts';
import { planDates } from '../../sync/plan.ts';
import type { RateBudget } from '../../sync/rate-budget.ts';
import type { Failure, SyncStream, VendorSync } from '../sync.types.ts';
import { createGoogleHealthClient, googleErrorReason } from './client.ts';
import { fetchChunk } from './fetch-chunk.ts';
import { GOOGLE_TYPES, type GoogleType } from './scopes.ts';
import { TYPE_SPECS } from './sync-plan.ts';

/** NOTE: a fixed meta.source per type, not the configured base URL, so moving the API (or a sandbox port) does not rewrite every resource. */
const SOURCE_BASE = 'https://health.googleapis.com/v4/users/me/dataTypes';

/**
 * NOTE: the limit is 300 requests per user per minute, counted in clock-minute windows
 * (docs/google-health.md §9): burst 30 + 240 a minute admits at most 270 into any minute.
 */
export const GOOGLE_BUDGET = { perMinute: 240, burst: 30 } as const;

export function createGoogleSync(deps: { http: OutboundHttp; apiUrl: string; budget: RateBudget }) {
  const client = createGoogleHealthClient(deps);
  const streams: SyncStream[] = GOOGLE_TYPES.map((type) => ({
    id: type,
    types: [type],
    chunkDays: TYPE_SPECS[type].chunkDays,
  }));
  const specOf = (stream: SyncStream) => TYPE_SPECS[stream.id as GoogleType];

  return {
    streams,
    budget: deps.budget,
    budgetKey: (integration) => integration.vendor_user_id ?? integration.id,
    planStream: (_stream, input) => planDates(input),
    async fetchChunk(session, stream, chunk, ctx) {
      const spec = specOf(stream);
      const fetched = await fetchChunk(client, session, spec, chunk, ctx.zone);
      // Only complete days move a cursor, and targeted re-reads never do (they may run ahead of a backfill).
      const through = chunk.end < ctx.yesterday ? chunk.end : ctx.yesterday;
      return {
        ...fetched,
        cursor: ctx.targeted || through < chunk.start ? undefined : through,
        // Samples and sessions are keyed by their time: what the day no longer holds goes. Daily
        // records are keyed by the date itself.
        prune: spec.kind === 'samples' || spec.kind === 'sleep' ? chunk : undefined,
      };
    },
    async timeZone(session) {
      try {
        const settings = await client.settings(session);
        return settings.timeZone && isValidZone(settings.timeZone) ? settings.timeZone : undefined;
      } catch (err) {
        // NOTE: settings needs settings.readonly; without it the stored zone (or the default) is used.
        if (classifyGoogleError(err)?.code === 'SCOPE_NOT_GRANTED') return undefined;
        throw err;
      }
    },
    classify: classifyGoogleError,
    sourceUri: (stream) => `${SOURCE_BASE}/${specOf(stream).dataType}`,
  } satisfies VendorSync;
}

/** What Google's google.rpc.Status error bodies mean for a sync (docs/google-health.md §7). */
export function classifyGoogleError(err: unknown): Failure | undefined {
  if (!(err instanceof VendorHttpError)) return undefined;
  const reason = googleErrorReason(err.vendorBody);
  const status = err.vendorStatus;
  const message = `HTTP ${status}${reason ? ` ${reason}` : ''}`;
  // NOTE: 429 RESOURCE_EXHAUSTED: retry later with backoff (docs/google-health.md §7, §9). A quota refills, so
  // waiting spends no attempt; 503 UNAVAILABLE is retried as a 5xx below, a bounded number of times.
  if (status === 429) return { kind: 'delay', code: 'VENDOR_RATE_LIMITED', message };
  if (status === 401) return { kind: 'reauth', code: 'VENDOR_AUTH_REVOKED', message };
  // NOTE: a partial consent yields 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT for that type only (docs/google-health.md §2, §7).
  if (status === 403 && reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')
    return { kind: 'skip-type', code: 'SCOPE_NOT_GRANTED', message };
  // NOTE: 400 FAILED_PRECONDITION ACCOUNT_NOT_LINKED: no Google Health profile yet (docs/google-health.md §7).
  if (reason === 'ACCOUNT_NOT_LINKED') return { kind: 'not-linked', code: 'ACCOUNT_NOT_LINKED', message };
  // NOTE: the retired legacy API answers 410 Gone (docs/google-health.md §0.8); treat the provider as unavailable.
  if (status === 410) return { kind: 'gone', code: 'PROVIDER_UNAVAILABLE', message };
  if (err.retryable) return { kind: 'retry', code: 'VENDOR_UNAVAILABLE', message };
  return { kind: 'skip-type', code: 'VENDOR_ERROR', message };
}
