/**
 * Withings' part of a sync (src/vendors/sync.types.ts): three streams, each one service for
 * several types, read by date window on a backfill or a notification, and by `lastupdate`
 * (changes since the cursor, whatever their date) on every scheduled sync.
 *
 *   measures  getmeas (/measure): body measures, blood pressure, pulse, temperatures, SpO2
 *   activity  getactivity (/v2/measure): steps, distance, calories per local day
 *   sleep     getsummary (/v2/sleep): nights (and the respiratory rate over them)
 *
 * Cursors (docs/withings.md, "Streams and cursors"): a stream's cursor is an ISO instant, the Withings server time
 * of its last complete read; changes are asked for after it. A backfill sets it to the time it
 * planned, minus a margin, once its last window is stored. A window read deletes what Withings
 * no longer has on those dates (deletions have no other trace); a changes read only upserts.
 * Every request spends one application-wide budget (budget.ts): Withings limits the whole app.
 */
import { AppError } from '../../errors.ts';
import { isValidZone } from '../../fhir/zones.ts';
import type { OutboundHttp } from '../../http/outbound.ts';
import { addDays, midnightIn, planDates } from '../../sync/plan.ts';
import type { FetchedChunk, StreamPlanInput, SyncStream, VendorSession, VendorSync } from '../sync.types.ts';
import type { WithingsBudget } from './budget.ts';
import { callWithings, type WithingsParams } from './envelope.ts';
import { classifyWithingsError } from './errors.ts';
import {
  type GetActivityBody,
  type GetMeasBody,
  type GetSleepSummaryBody,
  mapActivities,
  mapMeasureGroups,
  mapSleepSummaries,
  WITHINGS_MEASTYPES,
} from './mappers/index.ts';
import { WITHINGS_STREAM_TYPES } from './scopes.ts';

/** Re-read this much before a backfill's planning time: our clock and Withings' may differ. */
const CURSOR_MARGIN_MS = 10 * 60_000;
/** Runaway paging stops here. */
const MAX_PAGES = 200;

const SOURCE_BASE = 'https://wbsapi.withings.net';

const ACTIVITY_FIELDS = 'steps,distance,totalcalories';
const SLEEP_FIELDS = [
  'total_sleep_time',
  'total_timeinbed',
  'asleepduration',
  'lightsleepduration',
  'deepsleepduration',
  'remsleepduration',
  'wakeupduration',
  'wakeupcount',
  'sleep_efficiency',
  'hr_average',
  'hr_min',
  'hr_max',
  'rr_average',
  'rr_min',
  'rr_max',
  'sleep_score',
].join(',');

type StreamId = keyof typeof WITHINGS_STREAM_TYPES;

interface Paged {
  more?: boolean | number;
  offset?: number;
  updatetime?: number | string;
}

export interface WithingsSyncDeps {
  http: OutboundHttp;
  apiUrl: string;
  budget: WithingsBudget;
}

export function createWithingsSync(deps: WithingsSyncDeps) {
  // NOTE: a 601's wait is turned into an instant on real time, as budgets and job delays are.
  const callDeps = { http: deps.http, apiUrl: deps.apiUrl.replace(/\/$/, ''), now: () => new Date() };
  const streams: SyncStream[] = [
    { id: 'measures', types: WITHINGS_STREAM_TYPES.measures, chunkDays: 90 },
    { id: 'activity', types: WITHINGS_STREAM_TYPES.activity, chunkDays: 90 },
    { id: 'sleep', types: WITHINGS_STREAM_TYPES.sleep, chunkDays: 90 },
  ];

  async function call<T>(
    session: VendorSession,
    path: string,
    action: string,
    params: WithingsParams,
  ): Promise<T> {
    // Spent before the request is counted: a call the budget holds back is never sent.
    await deps.budget.spend(session.signal);
    return session.withToken(async (accessToken) => {
      session.signal?.throwIfAborted();
      session.onRequest?.();
      return callWithings<T>(callDeps, {
        path,
        action,
        params,
        accessToken,
        ...(session.signal ? { signal: session.signal } : {}),
      });
    });
  }

  /** Every page: `more` is an int on getmeas and a boolean elsewhere; stop when the offset stalls. */
  async function pages<T extends Paged>(
    session: VendorSession,
    path: string,
    action: string,
    params: WithingsParams,
  ): Promise<T[]> {
    const out: T[] = [];
    let offset: number | undefined;
    for (;;) {
      const page = await call<T>(session, path, action, { ...params, offset });
      out.push(page);
      const next = typeof page.offset === 'number' ? page.offset : undefined;
      if (!page.more || next === undefined || next === offset || out.length >= MAX_PAGES) return out;
      offset = next;
    }
  }

  /** The query of a window read: the local dates in the account's zone (epoch bounds for getmeas). */
  function windowParams(stream: StreamId, chunk: { start: string; end: string }, zone: string) {
    if (stream === 'measures') {
      return {
        startdate: Math.floor(midnightIn(zone, chunk.start) / 1000),
        enddate: Math.floor(midnightIn(zone, addDays(chunk.end, 1)) / 1000) - 1,
      };
    }
    return { startdateymd: chunk.start, enddateymd: chunk.end };
  }

  async function read(
    session: VendorSession,
    stream: StreamId,
    query: WithingsParams,
    zone: string,
  ): Promise<{ measurements: FetchedChunk['measurements']; fetched: number; serverTime?: number }> {
    if (!session.vendorUserId) throw new AppError('VENDOR_NOT_CONNECTED', 'withings: no user id stored');
    const ctx = { userId: session.vendorUserId, fallbackZone: zone };
    switch (stream) {
      case 'measures': {
        const got = await pages<Paged & { measuregrps?: unknown[]; timezone?: string }>(
          session,
          '/measure',
          'getmeas',
          { ...query, category: 1, meastypes: WITHINGS_MEASTYPES.join(',') },
        );
        const measurements = got.flatMap((page) => mapMeasureGroups(page as GetMeasBody, ctx).measurements);
        const fetched = got.reduce((n, p) => n + (p.measuregrps?.length ?? 0), 0);
        return { measurements, fetched, ...serverTimeOf(got) };
      }
      case 'activity': {
        const got = await pages<Paged & { activities?: unknown[] }>(session, '/v2/measure', 'getactivity', {
          ...query,
          data_fields: ACTIVITY_FIELDS,
        });
        const measurements = got.flatMap((page) => mapActivities(page as GetActivityBody, ctx).measurements);
        return { measurements, fetched: got.reduce((n, p) => n + (p.activities?.length ?? 0), 0) };
      }
      case 'sleep': {
        const got = await pages<Paged & { series?: unknown[] }>(session, '/v2/sleep', 'getsummary', {
          ...query,
          data_fields: SLEEP_FIELDS,
        });
        // NOTE: a night's average pulse is not kept as heart_rate: the measures stream owns that type on
        // these dates and deletes what getmeas no longer holds (docs/withings.md "Streams and cursors").
        const measurements = got
          .flatMap((page) => mapSleepSummaries(page as GetSleepSummaryBody, ctx).measurements)
          .filter((m) => m.type !== 'heart_rate');
        return { measurements, fetched: got.reduce((n, p) => n + (p.series?.length ?? 0), 0) };
      }
    }
  }

  return {
    streams,
    budget: deps.budget.budget,
    budgetKey: () => deps.budget.key,
    planStream(_stream, input: StreamPlanInput) {
      const since = input.target ? undefined : instantCursor(input.cursor);
      if (since) return { start: input.today, end: input.today, since };
      // No cursor yet (or a notification's window): read the dates, backfill-style.
      return planDates({ ...input, cursor: undefined });
    },
    async fetchChunk(session, stream, chunk, ctx) {
      const id = stream.id as StreamId;
      if (ctx.since) {
        const lastupdate = Math.floor(Date.parse(ctx.since) / 1000);
        const got = await read(session, id, { lastupdate }, ctx.zone);
        // The next changes are asked after this answer's server time (getmeas gives it; the
        // other services do not, so the run's planning time, less the margin, stands in).
        const cursor = new Date(
          got.serverTime !== undefined ? got.serverTime * 1000 : Date.parse(ctx.plannedAt) - CURSOR_MARGIN_MS,
        ).toISOString();
        return { measurements: got.measurements, fetched: got.fetched, cursor };
      }
      const got = await read(session, id, windowParams(id, chunk, ctx.zone), ctx.zone);
      return {
        measurements: got.measurements,
        fetched: got.fetched,
        // A backfill's last window done: from now on, changes after the time it was planned.
        cursor:
          !ctx.targeted && chunk.end >= ctx.yesterday
            ? new Date(Date.parse(ctx.plannedAt) - CURSOR_MARGIN_MS).toISOString()
            : undefined,
        // Activity days are keyed by their date (a re-read overwrites them); measures and nights by
        // Withings' ids, so what the window no longer holds was deleted there.
        prune: id === 'activity' ? undefined : chunk,
      };
    },
    async timeZone(session) {
      // NOTE: no user-level zone in the public API: the devices' zone stands in (docs/withings.md "Time zones").
      const body = await call<{ devices?: { timezone?: unknown }[] }>(session, '/v2/user', 'getdevice', {});
      const zone = body.devices?.map((d) => d.timezone).find((z) => typeof z === 'string' && isValidZone(z));
      return typeof zone === 'string' ? zone : undefined;
    },
    classify: classifyWithingsError,
    sourceUri: (stream) => `${SOURCE_BASE}/${stream.id}`,
  } satisfies VendorSync;
}

/** A stored cursor that is an instant ('2026-12-07T10:00:00.000Z'); a bare date is no cursor. */
function instantCursor(cursor: string | undefined): string | undefined {
  return cursor && cursor.length > 10 && !Number.isNaN(Date.parse(cursor)) ? cursor : undefined;
}

function serverTimeOf(pages: readonly Paged[]): { serverTime?: number } {
  const t = Number(pages[0]?.updatetime);
  return Number.isFinite(t) && t > 0 ? { serverTime: t } : {};
}
