/**
 * One sync of one integration (the `sync.integration` job): plan, then for each data type fetch
 * chunk by chunk, oldest first, committing each chunk with its cursor and the run's counts.
 *
 *   runner.run({ integrationId, syncRunId?, reason, types?, windowStart?, windowEnd? }, { jobId, signal })
 *
 * Resumable: the plan and per-type progress live on the run item, so a retried, delayed or
 * recovered job continues after the last committed chunk. Failures: see failures.ts and
 * sync.outcome.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { LiveEvents } from '../events/stream-hub.ts';
import type { Measurement } from '../fhir/measurement.ts';
import type { FhirStore } from '../fhir/store/fhir.service.ts';
import { formatOffset } from '../fhir/time.ts';
import { localDateIn, offsetAt, storedZone } from '../fhir/zones.ts';
import type { AccessTokens } from '../integrations/access-tokens.ts';
import type { IntegrationRow } from '../integrations/integrations.repository.ts';
import * as integrations from '../integrations/integrations.repository.ts';
import type { Log } from '../log.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import type { SyncStream, VendorSession, VendorSync } from '../vendors/sync.types.ts';
import { consentCoverage } from '../vendors/types.ts';
import { commitChunk, prepareChunk } from './commit-chunk.ts';
import { classify } from './failures.ts';
import { pipelined } from './pipeline.ts';
import { addDays, chunksOf } from './plan.ts';
import { type RequestMeter, requestMeter } from './request-meter.ts';
import { ORPHAN_AFTER_MS, type SyncJobData } from './sync.jobs.ts';
import { createOutcomes, type SyncSettings } from './sync.outcome.ts';
import * as repo from './sync.repository.ts';
import type { SyncError } from './sync.tables.ts';
import { syncProgress } from './sync-progress.ts';

export interface SyncRunnerDeps {
  db: Db;
  clock: Clock;
  log: Log;
  /** Each vendor's part of a sync, by vendor id. */
  syncOf: (vendor: string) => VendorSync | undefined;
  accessTokens: AccessTokens;
  store: FhirStore;
  vendors: VendorRegistry;
  settings: SyncSettings;
  /** The live event stream (docs/events.md §7): woken after each commit, told the run's progress. */
  live?: LiveEvents | undefined;
}

/** At most one `sync.progress` message per run this often (the last chunk's may be skipped). */
export const PROGRESS_EVERY_MS = 250;

interface StreamProgress {
  start: string;
  end: string;
  /** Changes after this cursor instead of the dates (the vendor's incremental read). */
  since?: string;
  /** Last chunk end committed, null before the first. */
  done: string | null;
}

export interface StoredPlan {
  zone: string;
  today: string;
  /** When the plan was made (ISO instant). */
  plannedAt?: string;
  targeted: boolean;
  /** Samples arrived with another offset than the zone gives (the user travelled or changed zones). */
  zoneStale?: boolean;
  /** By stream id (for Google, our measurement type). */
  types: Record<string, StreamProgress>;
  errors: SyncError[];
}

/** The vendor session of one run: it counts its requests until the run item records them. */
type RunSession = VendorSession & { requests: RequestMeter };

/** What one run works with, read once at its start. */
interface RunContext {
  runId: string;
  integration: IntegrationRow;
  vendor: VendorSync;
  session: RunSession;
  /** The FHIR store's owner (user row, zone); updated when the run stores a new zone. */
  owner: Awaited<ReturnType<FhirStore['ownerOf']>>;
  /** When the last `sync.progress` message went out (clock ms). */
  progressAt?: number;
}

export type SyncRunner = ReturnType<typeof createSyncRunner>;

export function createSyncRunner(deps: SyncRunnerDeps) {
  const { db, clock, log } = deps;
  const outcomes = createOutcomes(deps);

  async function itemFor(data: SyncJobData, integration: IntegrationRow, jobId: string) {
    if (data.syncRunId) return repo.findItem(db, data.syncRunId, integration.id);
    const open = await repo.findOpenItemForJob(db, integration.id, jobId);
    if (open) return open;
    // A queued or running full run (manual, backfill) covers the scheduled sync: no second run.
    if (data.reason === 'scheduled') {
      const since = new Date(clock.now().getTime() - ORPHAN_AFTER_MS);
      if ((await repo.integrationsWithOpenRun(db, [integration.id], since)).has(integration.id)) {
        log.info({ integrationId: integration.id }, 'sync: scheduled run skipped, another is open');
        return undefined;
      }
    }
    const runId = randomUUID();
    const item = { integrationId: integration.id, vendor: integration.vendor, jobId };
    await repo.insertRun(
      db,
      { id: runId, userId: integration.user_id, reason: data.reason, now: clock.now() },
      [item],
    );
    return repo.findItem(db, runId, integration.id);
  }

  /** The user's zone: the stored one, or (backfill, none stored, or `refresh`) the vendor's. */
  async function timeZone(run: RunContext, refresh: boolean): Promise<string> {
    const known = storedZone(run.owner.storedZone);
    if (!refresh && known) return known;
    const zone = await run.vendor.timeZone(run.session);
    if (zone) {
      await repo.setUserTimeZone(db, run.integration.user_id, zone);
      run.owner = { ...run.owner, zone, storedZone: zone };
      return zone;
    }
    return run.owner.zone;
  }

  async function makePlan(data: SyncJobData, run: RunContext): Promise<StoredPlan> {
    const { integration } = run;
    const zone = await timeZone(run, data.reason === 'backfill');
    const today = localDateIn(zone, clock.now().getTime());
    const adapter = findVendor(deps.vendors, integration.vendor);
    const granted = new Set(adapter ? consentCoverage(adapter, integration.scopes).types : []);
    const wanted = data.types?.length ? new Set(data.types) : undefined;
    const cursors = await repo.readCursors(db, integration.id);
    const target =
      data.windowStart && data.windowEnd ? { start: data.windowStart, end: data.windowEnd } : undefined;
    const plannedAt = clock.now().toISOString();
    const plan: StoredPlan = { zone, today, plannedAt, targeted: Boolean(target), types: {}, errors: [] };
    const offered = new Set(adapter?.dataTypes.map((d) => d.type));
    for (const stream of run.vendor.streams) {
      const types = stream.types.filter((t) => offered.has(t) && (!wanted || wanted.has(t)));
      if (types.length === 0) continue;
      const refused = types.filter((t) => !granted.has(t));
      for (const type of refused)
        plan.errors.push({ code: 'SCOPE_NOT_GRANTED', message: `${type}: the user did not grant its scope` });
      if (refused.length === types.length) continue;
      const { backfillDays, overlapDays } = deps.settings;
      const cursor = cursors.get(stream.id);
      const range = run.vendor.planStream(stream, { today, cursor, backfillDays, overlapDays, target });
      if (range) plan.types[stream.id] = { ...range, done: null };
    }
    return plan;
  }

  /** A new plan is saved once, as the run item starts; each commit then saves its progress. */
  async function startPlan(data: SyncJobData, run: RunContext, jobId: string): Promise<StoredPlan> {
    const plan = await makePlan(data, run);
    const starts = Object.values(plan.types).map((t) => t.start);
    const windowStart = starts.length ? starts.reduce((a, b) => (a < b ? a : b)) : plan.today;
    await repo.startItem(db, run.runId, run.integration.id, {
      jobId,
      plan,
      windowStart,
      windowEnd: plan.today,
      now: clock.now(),
    });
    return plan;
  }

  async function run(data: SyncJobData, ctx: { jobId: string; signal: AbortSignal }): Promise<void> {
    const integration = await integrations.getIntegration(db, data.integrationId);
    if (!integration?.is_active) return;
    const item = await itemFor(data, integration, ctx.jobId);
    if (!item || item.finished_at) return;
    const ref = { runId: item.run_id, integration };
    if (integration.status !== 'connected') {
      return outcomes.finish(ref, data, 'failed', [
        { code: statusCode(integration.status), message: 'not connected' },
      ]);
    }

    const vendor = deps.syncOf(integration.vendor);
    if (!vendor) {
      return outcomes.finish(ref, data, 'failed', [
        { code: 'VENDOR_NOT_SUPPORTED', message: `${integration.vendor}: no sync` },
      ]);
    }
    const requests = requestMeter();
    const session: RunSession = {
      withToken: (call) => deps.accessTokens.withAccessToken(integration.id, call),
      budgetKey: vendor.budgetKey(integration),
      vendorUserId: integration.vendor_user_id,
      signal: ctx.signal,
      onRequest: requests.onRequest,
      requests,
    };
    try {
      const owner = await deps.store.ownerOf({ userId: integration.user_id });
      const r: RunContext = { runId: item.run_id, integration, vendor, session, owner };
      const plan = (item.plan as StoredPlan | null) ?? (await startPlan(data, r, ctx.jobId));
      const yesterday = addDays(localDateIn(plan.zone, clock.now().getTime()), -1);
      for (const stream of vendor.streams) {
        const progress = plan.types[stream.id];
        if (progress) await syncStream(r, plan, stream, progress, yesterday);
      }
      // The data's own offsets disagree with the stored zone (travel, a changed setting): re-read it for next time.
      if (plan.zoneStale) await timeZone(r, true);
      await recordRequests(r);
      const synced = Object.values(plan.types).some((t) => t.done !== null);
      const status = plan.errors.length === 0 ? 'succeeded' : synced ? 'partial' : 'failed';
      await outcomes.finish(ref, data, status, plan.errors);
    } catch (err) {
      await outcomes.fail(ref, data, vendor, session, err);
    }
  }

  /** The requests not yet counted, added to the run item (with the plan, when it changed). */
  async function recordRequests(run: RunContext, plan?: StoredPlan): Promise<void> {
    const n = run.session.requests.unrecorded;
    const counts = { ...zero(), requests: n };
    if (plan) await repo.saveProgress(db, run.runId, run.integration.id, counts, plan);
    else await repo.addCounts(db, run.runId, run.integration.id, counts);
    run.session.requests.recorded(n);
  }

  /**
   * One stream, chunk by chunk, oldest first. Chunk i + 1 is fetched (vendor requests, the
   * mappers, the store's rows) while chunk i commits (src/sync/pipeline.ts). A fetch that fails for
   * this stream only (skip-type) ends it with an error; the run goes on with the next.
   */
  async function syncStream(
    run: RunContext,
    plan: StoredPlan,
    stream: SyncStream,
    progress: StreamProgress,
    yesterday: string,
  ): Promise<void> {
    const { integration, session, vendor } = run;
    const from = progress.done ? addDays(progress.done, 1) : progress.start;
    const ctx = {
      zone: plan.zone,
      yesterday,
      targeted: plan.targeted,
      since: progress.since,
      plannedAt: plan.plannedAt ?? clock.now().toISOString(),
    };
    const sourceUri = vendor.sourceUri(stream);
    const failed = await pipelined(chunksOf({ start: from, end: progress.end }, stream.chunkDays), {
      signal: session.signal,
      fetch: async (chunk, signal) => {
        const f = await vendor.fetchChunk({ ...session, signal }, stream, chunk, ctx);
        const owner = run.owner;
        return { ...f, prepared: await prepareChunk(deps, { owner, sourceUri, ...f }) };
      },
      commit: async (fetched, chunk) => {
        progress.done = chunk.end;
        if (!plan.zoneStale && !zoneMatches(plan.zone, fetched.measurements)) plan.zoneStale = true;
        // The requests made so far (the prefetch's own keep counting during the commit).
        const requests = session.requests.unrecorded;
        await commitChunk(deps, {
          owner: run.owner,
          runId: run.runId,
          integrationId: integration.id,
          vendor: integration.vendor,
          stream: stream.id,
          types: stream.types,
          prepared: fetched.prepared,
          fetched: fetched.fetched,
          requests,
          plan,
          cursor: fetched.cursor,
          prune: fetched.prune ? { ...fetched.prune, vendor: integration.vendor } : undefined,
        });
        session.requests.recorded(requests);
        announce(run, plan);
      },
    });
    if (!failed) return;
    const failure = classify(failed.error, vendor);
    if (failure.kind !== 'skip-type') throw failed.error;
    log.warn(
      { integrationId: integration.id, stream: stream.id, code: failure.code },
      'sync: data type skipped',
    );
    plan.errors.push({ code: failure.code, message: `${stream.id}: ${failure.message}` });
    progress.end = progress.done ?? addDays(progress.start, -1);
    await recordRequests(run, plan);
  }

  /** After a committed chunk: wake the user's streams, and tell them the progress (rate-limited). */
  function announce(run: RunContext, plan: StoredPlan): void {
    const { live } = deps;
    if (!live) return;
    const userId = run.integration.user_id;
    live.wake(userId);
    const now = clock.now().getTime();
    if (run.progressAt !== undefined && now - run.progressAt < PROGRESS_EVERY_MS) return;
    run.progressAt = now;
    live.transient(userId, 'sync.progress', syncProgress(run.runId, run.integration.vendor, plan.types));
  }

  return { run, markFailed: outcomes.markFailed };
}

/** Whether the newest non-daily measurement carries the offset the zone gives at its instant. */
function zoneMatches(zone: string, measurements: readonly Measurement[]): boolean {
  let newest: Measurement | undefined;
  for (const m of measurements) if (!m.daily && (!newest || m.start > newest.start)) newest = m;
  return !newest || formatOffset(offsetAt(zone, Date.parse(newest.start))) === newest.utcOffset;
}

function zero(): repo.ItemCounts {
  return { requests: 0, fetched: 0, created: 0, updated: 0, unchanged: 0 };
}

function statusCode(status: string): string {
  if (status === 'needs_reauth') return 'VENDOR_AUTH_REVOKED';
  if (status === 'provider_unavailable') return 'PROVIDER_UNAVAILABLE';
  return 'VENDOR_NOT_CONNECTED';
}
