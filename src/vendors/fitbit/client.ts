/**
 * Google Health API v4 client for the sync engine: list (all pages), reconcile, dailyRollUp,
 * identity and settings. Every call spends the per-user request budget, goes through the one
 * outbound wrapper (timeouts, retries on 5xx, typed errors) and takes its token from the
 * caller's `withToken` (the integrations access-token service: refresh, one retry on 401).
 * Tokens never leave `withToken`'s callback; nothing here logs.
 *
 *   const client = createGoogleHealthClient({ http, apiUrl, budget });
 *   await client.dailyRollUp(session, 'steps', { start: '2026-10-01', end: '2026-11-01' });
 *   await client.list(session, 'heart-rate', { filter: physicalFilter('heart_rate', 'sample_time.physical_time', a, b) });
 */
import type { OutboundHttp } from '../../http/outbound.ts';
import type { RateBudget } from '../../sync/rate-budget.ts';
import type { VendorSession } from '../sync.types.ts';
import type {
  DailyRollUpResponse,
  IdentityResponse,
  ListDataPointsResponse,
} from './mappers/google-health.types.ts';

/** The session of one sync; its budget key is the healthUserId (or the integration id). */
export type GoogleHealthSession = VendorSession;

export interface SettingsResponse {
  timeZone?: string;
  utcOffset?: string;
}

export interface ListOptions {
  filter?: string;
  /** NOTE: default 1440, max 10,000 (sleep and exercise: 25); larger values are cut silently (docs/google-health.md §3.4). */
  pageSize?: number;
  dataSourceFamily?: string;
  /** Safety stop for runaway paging. */
  maxPages?: number;
}

const VENDOR = 'fitbit';
export const MAX_PAGE_SIZE = 10_000;
export const SESSION_PAGE_SIZE = 25;

/** NOTE: dailyRollUp ranges are capped at 14 days for these types and 90 for the others (docs/google-health.md §5.2). */
const FOURTEEN_DAY_TYPES = new Set([
  'total-calories',
  'calories-in-heart-rate-zone',
  'heart-rate',
  'active-minutes',
]);

export function dailyRollUpCapDays(dataType: string): 14 | 90 {
  return FOURTEEN_DAY_TYPES.has(dataType) ? 14 : 90;
}

/** `{type}.date >= "start" AND {type}.date < "end"` for Daily records (dates, end exclusive). */
export function dateFilter(filterName: string, start: string, endExclusive: string): string {
  return `${filterName}.date >= "${start}" AND ${filterName}.date < "${endExclusive}"`;
}

/**
 * A physical-time range filter. NOTE: only `>=` and `<` are accepted (`<=` gives
 * INVALID_DATA_POINT_FILTER_RESTRICTION_COMPARATOR); sleep filters on `interval.end_time` because
 * `start_time` is rejected for it (docs/google-health.md §3.4).
 */
export function physicalFilter(filterName: string, member: string, startIso: string, endIso: string): string {
  const field = `${filterName}.${member}`;
  return `${field} >= "${startIso}" AND ${field} < "${endIso}"`;
}

/** The ErrorInfo `reason` of a google.rpc.Status error body (docs/google-health.md §7), if any. */
export function googleErrorReason(body: unknown): string | undefined {
  const error = (body as { error?: { details?: { reason?: unknown }[]; status?: unknown } } | null)?.error;
  const reason = error?.details?.find((d) => typeof d?.reason === 'string')?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

export type GoogleHealthClient = ReturnType<typeof createGoogleHealthClient>;

export function createGoogleHealthClient(deps: { http: OutboundHttp; apiUrl: string; budget: RateBudget }) {
  const base = `${deps.apiUrl.replace(/\/$/, '')}/v4/users/me`;

  async function call<T>(
    session: GoogleHealthSession,
    url: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<T> {
    await deps.budget.take(session.budgetKey, session.signal);
    return session.withToken(async (accessToken) => {
      // Aborted meanwhile (the sync dropped a prefetch): not sent, so not counted either.
      session.signal?.throwIfAborted();
      session.onRequest?.();
      return deps.http.json<T>({
        vendor: VENDOR,
        url,
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${accessToken}`,
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        ...(session.signal ? { signal: session.signal } : {}),
      });
    });
  }

  async function pages<T extends { nextPageToken?: string }>(
    fetchPage: (pageToken: string | undefined) => Promise<T>,
    maxPages: number,
  ): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const page = await fetchPage(token);
      out.push(page);
      // NOTE: the last page has nextPageToken "" (codelab sample) or none at all (docs/google-health.md §3.4).
      token = page.nextPageToken || undefined;
    } while (token && out.length < maxPages);
    return out;
  }

  function listUrl(dataType: string, op: '' | ':reconcile', options: ListOptions, pageToken?: string) {
    const q = new URLSearchParams();
    q.set('pageSize', String(options.pageSize ?? MAX_PAGE_SIZE));
    if (options.filter) q.set('filter', options.filter);
    if (options.dataSourceFamily) q.set('dataSourceFamily', options.dataSourceFamily);
    if (pageToken) q.set('pageToken', pageToken);
    // NOTE: `:reconcile` / `:dailyRollUp` take a literal colon; `%3A` is a 404 (docs/google-health.md §3.1).
    return `${base}/dataTypes/${dataType}/dataPoints${op}?${q}`;
  }

  return {
    identity: (session: GoogleHealthSession) => call<IdentityResponse>(session, `${base}/identity`),

    /** NOTE: timeZone and utcOffset live in settings (settings.readonly), not in the profile (docs/google-health.md §3.2). */
    settings: (session: GoogleHealthSession) => call<SettingsResponse>(session, `${base}/settings`),

    /** Every page of a list query, newest first as the API sends them. */
    list(session: GoogleHealthSession, dataType: string, options: ListOptions = {}) {
      return pages<ListDataPointsResponse>(
        (token) => call(session, listUrl(dataType, '', options, token)),
        options.maxPages ?? 1_000,
      );
    },

    /**
     * The reconciled stream: one merged series across tracker, phone and other sources, the numbers
     * the Fitbit app shows. NOTE: reconciled points carry no dataSource and name themselves in
     * `dataPointName` (docs/google-health.md §3.4, §5.3).
     */
    reconcile(session: GoogleHealthSession, dataType: string, options: ListOptions = {}) {
      return pages<ListDataPointsResponse>(
        (token) => call(session, listUrl(dataType, ':reconcile', options, token)),
        options.maxPages ?? 1_000,
      );
    },

    /**
     * Daily totals over local dates [start, end) (end exclusive), one window per day, computed by
     * the vendor from the reconciled stream: no tracker + phone double counting. The range must
     * fit the type's cap (dailyRollUpCapDays).
     */
    dailyRollUp(session: GoogleHealthSession, dataType: string, range: { start: string; end: string }) {
      const days = (Date.parse(range.end) - Date.parse(range.start)) / 86_400_000;
      if (!(days >= 1 && days <= dailyRollUpCapDays(dataType))) {
        throw new RangeError(`dailyRollUp of ${dataType} over ${days} days`);
      }
      return pages<DailyRollUpResponse>(
        (pageToken) =>
          call(session, `${base}/dataTypes/${dataType}/dataPoints:dailyRollUp`, {
            method: 'POST',
            body: {
              // NOTE: civil dates nested under `date` (a bare {year,month,day} is rejected), plain
              // integers (no leading zeros), and windowSizeDays always sent: the live API gave 400
              // without it although it is documented as optional (docs/google-health.md §5.2).
              range: { start: { date: civil(range.start) }, end: { date: civil(range.end) } },
              windowSizeDays: 1,
              ...(pageToken ? { pageToken } : {}),
            },
          }),
        50,
      );
    },
  };
}

function civil(date: string): { year: number; month: number; day: number } {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return { year, month, day };
}
