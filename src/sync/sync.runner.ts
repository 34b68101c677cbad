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
import { MEASUREMENT_TYPES, type Measurement, type MeasurementType } from '../fhir/measurement.ts';
import type { FhirStore } from '../fhir/store/fhir.service.ts';
import { formatOffset } from '../fhir/time.ts';
import { isValidZone, localDateIn, offsetAt, storedZone } from '../fhir/zones.ts';
import type { AccessTokens } from '../integrations/access-tokens.ts';
import type { IntegrationRow } from '../integrations/integrations.repository.ts';
import * as integrations from '../integrations/integrations.repository.ts';
import type { Log } from '../log.ts';
import type { GoogleHealthClient, GoogleHealthSession } from '../vendors/fitbit/client.ts';
import type { RateBudget } from '../vendors/fitbit/rate-budget.ts';
import { findVendor, type VendorRegistry } from '../vendors/registry.ts';
import { consentCoverage } from '../vendors/types.ts';
import { commitChunk, prepareChunk } from './commit-chunk.ts';
import { classify } from './failures.ts';
import { fetchChunk } from './fetch-chunk.ts';
import { pipelined } from './pipeline.ts';
import { addDays, chunksOf, planType, TYPE_SPECS } from './plan.ts';
import { type RequestMeter, requestMeter } from './request-meter.ts';
import { ORPHAN_AFTER_MS, type SyncJobData } from './sync.jobs.ts';
import { createOutcomes, type SyncSettings } from './sync.outcome.ts';
import * as repo from './sync.repository.ts';
import type { SyncError } from './sync.tables.ts';

export interface SyncRunnerDeps {
  db: Db;
  clock: Clock;
  log: Log;
  client: GoogleHealthClient;
  budget: RateBudget;
  accessTokens: AccessTokens;
  store: FhirStore;
  vendors: VendorRegistry;
  settings: SyncSettings;
}

interface TypePlan {
  start: string;
  end: string;
  /** Last chunk end committed, null before the first. */
  done: string | null;
}

export interface StoredPlan {
  zone: string;
  today: string;
  targeted: boolean;
  /** Samples arrived with another offset than the zone gives (the user travelled or changed zones). */
  zoneStale?: boolean;
  types: Partial<Record<MeasurementType, TypePlan>>;
  errors: SyncError[];
}

/** The vendor session of one run: it counts its requests until the run item records them. */
type RunSession = GoogleHealthSession & { requests: RequestMeter };

/** What one run works with, read once at its start. */
interface RunContext {
  runId: string;
  integration: IntegrationRow;
  session: RunSession;
  /** The FHIR store's owner (user row, zone); updated when the run stores a new zone. */
  owner: Awaited<ReturnType<FhirStore['ownerOf']>>;
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

  /** The user's zone: the stored one, or (backfill, none stored, or `refresh`) users/me/settings. */
  async function timeZone(run: RunContext, refresh: boolean): Promise<string> {
    const known = storedZone(run.owner.storedZone);
    if (!refresh && known) return known;
    try {
      const settings = await deps.client.settings(run.session);
      if (settings.timeZone && isValidZone(settings.timeZone)) {
        await repo.setUserTimeZone(db, run.integration.user_id, settings.timeZone);
        run.owner = { ...run.owner, zone: settings.timeZone, storedZone: settings.timeZone };
        return settings.timeZone;
      }
    } catch (err) {
      // NOTE: settings needs settings.readonly; without it the stored zone (or the default) is used.
      if (classify(err).code !== 'SCOPE_NOT_GRANTED') throw err;
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
    const plan: StoredPlan = { zone, today, targeted: Boolean(target), types: {}, errors: [] };
    for (const type of MEASUREMENT_TYPES) {
      if (wanted && !wanted.has(type)) continue;
      if (!adapter?.dataTypes.some((d) => d.type === type)) continue;
      if (!granted.has(type)) {
        plan.errors.push({ code: 'SCOPE_NOT_GRANTED', message: `${type}: the user did not grant its scope` });
        continue;
      }
      const { backfillDays, overlapDays } = deps.settings;
      const range = planType({ today, cursor: cursors.get(type), backfillDays, overlapDays, target });
      if (range) plan.types[type] = { ...range, done: null };
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

    const requests = requestMeter();
    const session: RunSession = {
      withToken: (call) => deps.accessTokens.withAccessToken(integration.id, call),
      budgetKey: integration.vendor_user_id ?? integration.id,
      signal: ctx.signal,
      onRequest: requests.onRequest,
      requests,
    };
    try {
      const owner = await deps.store.ownerOf({ userId: integration.user_id });
      const r: RunContext = { runId: item.run_id, integration, session, owner };
      const plan = (item.plan as StoredPlan | null) ?? (await startPlan(data, r, ctx.jobId));
      const yesterday = addDays(localDateIn(plan.zone, clock.now().getTime()), -1);
      for (const type of MEASUREMENT_TYPES) {
        const typePlan = plan.types[type];
        if (typePlan) await syncType(r, plan, type, typePlan, yesterday);
      }
      // The data's own offsets disagree with the stored zone (travel, a changed setting): re-read it for next time.
      if (plan.zoneStale) await timeZone(r, true);
      await recordRequests(r);
      const synced = Object.values(plan.types).some((t) => t.done !== null);
      const status = plan.errors.length === 0 ? 'succeeded' : synced ? 'partial' : 'failed';
      await outcomes.finish(ref, data, status, plan.errors);
    } catch (err) {
      await outcomes.fail(ref, data, session, err);
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
   * One data type, chunk by chunk, oldest first. Chunk i + 1 is fetched (vendor requests, the
   * mappers, the store's rows) while chunk i commits (src/sync/pipeline.ts). A fetch that fails for
   * this type only (skip-type) ends the type with an error; the run goes on with the next.
   */
  async function syncType(
    run: RunContext,
    plan: StoredPlan,
    type: MeasurementType,
    typePlan: TypePlan,
    yesterday: string,
  ): Promise<void> {
    const { integration, session } = run;
    const spec = TYPE_SPECS[type];
    if (!spec) return; // makePlan plans only the adapter's own types
    const from = typePlan.done ? addDays(typePlan.done, 1) : typePlan.start;
    const failed = await pipelined(chunksOf({ start: from, end: typePlan.end }, spec.chunkDays), {
      signal: session.signal,
      fetch: async (chunk, signal) => {
        const f = await fetchChunk(deps.client, { ...session, signal }, spec, chunk, plan.zone);
        const owner = run.owner;
        return { ...f, prepared: await prepareChunk(deps, { owner, dataType: spec.dataType, ...f }) };
      },
      commit: async (fetched, chunk) => {
        typePlan.done = chunk.end;
        if (!plan.zoneStale && !zoneMatches(plan.zone, fetched.measurements)) plan.zoneStale = true;
        // Only complete days move a cursor, and targeted re-reads never do (they may run ahead of a backfill).
        const through = chunk.end < yesterday ? chunk.end : yesterday;
        // The requests made so far (the prefetch's own keep counting during the commit).
        const requests = session.requests.unrecorded;
        await commitChunk(deps, {
          owner: run.owner,
          runId: run.runId,
          integrationId: integration.id,
          type,
          prepared: fetched.prepared,
          fetched: fetched.fetched,
          requests,
          plan,
          cursorThrough: plan.targeted || through < chunk.start ? undefined : through,
          prune:
            spec.kind === 'samples' || spec.kind === 'sleep'
              ? { ...chunk, vendor: integration.vendor }
              : undefined,
        });
        session.requests.recorded(requests);
      },
    });
    if (!failed) return;
    const failure = classify(failed.error);
    if (failure.kind !== 'skip-type') throw failed.error;
    log.warn({ integrationId: integration.id, type, code: failure.code }, 'sync: data type skipped');
    plan.errors.push({ code: failure.code, message: `${type}: ${failure.message}` });
    typePlan.end = typePlan.done ?? addDays(typePlan.start, -1);
    await recordRequests(run, plan);
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
