import type { Measurement, MeasurementType } from '../fhir/measurement.ts';
import type { RateBudget } from '../sync/rate-budget.ts';

// What a vendor supplies to the sync engine (src/sync): the streams it reads, their plans and
// cursors, one chunk's fetch, the meaning of its errors, the account's time zone and its request
// budget. The engine owns the rest: runs, cursor storage, pipelining, outcomes, retries, jobs.
//
//   adapter.createSync() -> VendorSync   (its budget: src/sync/rate-budgets.ts, made by the adapter)
//   sync.planStream(stream, input)             -> { start, end, since? } local dates, or undefined
//   sync.fetchChunk(session, stream, chunk, ctx) -> { measurements, fetched, cursor?, prune? }

/** One sync of one integration as the vendor sees it: a token, a budget key, a way to stop. */
export interface VendorSession {
  /** Runs `call` with a valid access token; refreshes once and retries on a 401. */
  withToken<T>(call: (accessToken: string) => Promise<T>): Promise<T>;
  /** The key whose budget the requests spend (see VendorSync.budgetKey). */
  budgetKey: string;
  /** The account at the vendor (the integration's vendor_user_id), when known. */
  vendorUserId: string | null;
  signal?: AbortSignal;
  /** Called for every HTTP request sent (the sync result's `requests`). */
  onRequest?: () => void;
}

/**
 * What one fetch reads: Google reads each data type on its own, Withings one service for several
 * types (getmeas: every body measure). The id keys the stream's cursor and its plan; the types are
 * what the stream may produce (a stream is synced when one of them is granted and wanted).
 */
export interface SyncStream {
  id: string;
  types: readonly MeasurementType[];
  /** Local dates per fetch. */
  chunkDays: number;
}

export interface DateRange {
  start: string;
  end: string;
}

export interface StreamPlanInput {
  /** Today in the account's zone. */
  today: string;
  /** The stream's stored cursor (opaque to the engine; compared as text, it only moves forward). */
  cursor: string | undefined;
  backfillDays: number;
  /** Complete days re-read behind a date cursor (late device syncs rewrite them). */
  overlapDays: number;
  /** A targeted sync (notification, explicit window) instead of the cursor's. */
  target?: DateRange | undefined;
}

/** Local dates to read, inclusive; `since` asks for changes after a cursor instead (one chunk). */
export interface StreamPlan extends DateRange {
  since?: string;
}

export interface ChunkContext {
  zone: string;
  /** The last complete local date when the run planned (dates after it may still grow). */
  yesterday: string;
  /** A targeted re-read: it must not move the cursor. */
  targeted: boolean;
  /** The run's plan `since`, when it asked for changes. */
  since?: string | undefined;
  /** When the run planned (ISO instant, the app's clock). */
  plannedAt: string;
}

export interface FetchedChunk {
  measurements: Measurement[];
  /** Records (or windows with a value) the vendor returned. */
  fetched: number;
  /** The stream's cursor once this chunk is stored, if it moves. */
  cursor?: string | undefined;
  /**
   * The fetch read these whole local dates completely: stored records of the stream's types on
   * them that the vendor no longer returns are deleted (a late device sync replaced them, or the
   * user deleted them at the vendor).
   */
  prune?: DateRange | undefined;
}

/** What a vendor failure means for a sync (src/sync/failures.ts applies it). */
export type FailureKind =
  /** This stream cannot be read (scope refused, bad request): report it, sync the others. */
  | 'skip-type'
  /** Rate limited (our budget, or the vendor's): come back later, no attempt spent. */
  | 'delay'
  /** 5xx, timeouts, network: retry with backoff, spending an attempt. */
  | 'retry'
  /** An auth failure that survived a forced refresh: the grant is dead. */
  | 'reauth'
  /** The refresh said the grant is gone (access-tokens already marked the integration). */
  | 'revoked'
  /** The vendor account is not set up for the API (Google: no Google Health profile). */
  | 'not-linked'
  /** The vendor API is gone (410). */
  | 'gone'
  /** The integration holds no tokens. */
  | 'not-connected'
  | 'unknown';

export interface Failure {
  kind: FailureKind;
  code: string;
  message: string;
  /** For 'delay': when to come back (epoch ms), when known. */
  untilMs?: number;
}

export interface VendorSync {
  /** In sync order. */
  readonly streams: readonly SyncStream[];
  /** The budget every request spends, and the key an integration spends it under. */
  readonly budget: RateBudget;
  budgetKey(integration: { id: string; vendor_user_id: string | null }): string;
  planStream(stream: SyncStream, input: StreamPlanInput): StreamPlan | undefined;
  fetchChunk(
    session: VendorSession,
    stream: SyncStream,
    chunk: DateRange,
    ctx: ChunkContext,
  ): Promise<FetchedChunk>;
  /** The account's IANA zone as the vendor knows it, undefined when it cannot say. */
  timeZone(session: VendorSession): Promise<string | undefined>;
  /** The vendor-specific meaning of an error, undefined for errors it does not recognise. */
  classify(err: unknown): Failure | undefined;
  /** Observation meta.source for a stream's records. */
  sourceUri(stream: SyncStream): string;
}
