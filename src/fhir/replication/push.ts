/**
 * The replication job: a plain async handler, registered with whatever runs jobs.
 *
 *   pushOutbox(deps) -> { sent, failed, more }
 *
 * Takes the due outbox rows (oldest first), sends them as one transaction Bundle and deletes the
 * rows the server accepted (at-least-once: a crash between the two re-sends, and conditional
 * updates make the re-send a no-op). A retryable failure (network, 408, 429, 5xx) defers the whole
 * batch with exponential backoff and full jitter (capped), honouring Retry-After; a 4xx on a
 * multi-row batch is retried row by row so one bad resource cannot hold the others back. A row the
 * server refuses with a 4xx (not 408/429) on `deadLetterAfter` attempts becomes a dead letter.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import type { Log } from '../../log.ts';
import { findResourcesByIds } from '../store/fhir.repository.ts';
import {
  completeRows,
  deadLetterRows,
  deferRows,
  type OutboxRow,
  takeDue,
} from '../store/replication-outbox.repository.ts';
import type { StoredResourceType } from '../store/resource-row.ts';
import { toTransactionBundle } from './transaction-bundle.ts';

export interface PushDeps {
  db: Db;
  fetch: typeof fetch;
  clock: Clock;
  log: Log;
  /** FHIR base URL, e.g. https://fhir.example/fhir. */
  serverUrl: string;
  batchSize?: number;
  timeoutMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** Attempts a refused (4xx) row gets before it becomes a dead letter. Default DEAD_LETTER_AFTER. */
  deadLetterAfter?: number;
  random?: () => number;
  onResult?: (r: { sent: number; failed: number; deadLettered: number; error?: string }) => void;
}

/**
 * A 4xx is the server's verdict on the resource, so a few attempts are enough to ride out a
 * server being reconfigured; network errors, 408, 429 and 5xx are retried without limit.
 */
const DEAD_LETTER_AFTER = 5;

export interface PushResult {
  sent: number;
  failed: number;
  /** More rows were due than one batch holds. */
  more: boolean;
}

class PushError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryable: boolean, retryAfterMs?: number) {
    super(message);
    this.name = 'PushError';
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

export async function pushOutbox(deps: PushDeps): Promise<PushResult> {
  const batchSize = deps.batchSize ?? 200;
  const rows = await takeDue(deps.db, deps.clock.now(), batchSize);
  if (rows.length === 0) return { sent: 0, failed: 0, more: false };
  const resources = await loadResources(deps.db, rows);
  let sent = 0;
  let failed = 0;
  let deadLettered = 0;
  let error: string | undefined;
  try {
    await send(deps, rows, resources);
    await completeRows(deps.db, rows);
    sent = rows.length;
  } catch (err) {
    const e = toPushError(err);
    if (!e.retryable && rows.length > 1) {
      for (const row of rows) {
        try {
          await send(deps, [row], resources);
          await completeRows(deps.db, [row]);
          sent += 1;
        } catch (single) {
          const se = toPushError(single);
          deadLettered += await defer(deps, [row], se);
          error = se.message;
          failed += 1;
        }
      }
    } else {
      deadLettered += await defer(deps, rows, e);
      error = e.message;
      failed = rows.length;
    }
  }
  deps.onResult?.({ sent, failed, deadLettered, ...(error ? { error } : {}) });
  return { sent, failed, more: rows.length === batchSize };
}

async function send(deps: PushDeps, rows: OutboxRow[], resources: Map<string, Resource>): Promise<void> {
  const bundle = toTransactionBundle(rows, resources);
  let res: Response;
  try {
    res = await deps.fetch(deps.serverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify(bundle),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw new PushError(`FHIR server unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
  }
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new PushError(
    `FHIR server answered ${res.status}: ${text.slice(0, 300)}`,
    retryable,
    retryAfterMs(res),
  );
}

/** Schedules the rows' next attempt, or sets refused ones aside; returns how many became dead letters. */
async function defer(deps: PushDeps, rows: OutboxRow[], e: PushError): Promise<number> {
  const { baseMs, maxMs } = deps.backoff ?? { baseMs: 1_000, maxMs: 15 * 60_000 };
  const random = deps.random ?? Math.random;
  const now = deps.clock.now();
  const limit = deps.deadLetterAfter ?? DEAD_LETTER_AFTER;
  const dead = e.retryable ? [] : rows.filter((r) => r.attempts + 1 >= limit);
  const deferred = rows
    .filter((r) => !dead.includes(r))
    .map((r) => {
      // Full jitter: uniform in [0, min(max, base * 2^attempts)], never sooner than Retry-After.
      const cap = Math.min(maxMs, baseMs * 2 ** Math.min(r.attempts, 30));
      const wait = Math.max(random() * cap, e.retryAfterMs ?? 0);
      return { id: r.id, nextAttemptAt: new Date(now.getTime() + wait) };
    });
  await deferRows(deps.db, deferred, e.message);
  await deadLetterRows(
    deps.db,
    dead.map((r) => r.id),
    e.message,
    now,
  );
  if (deferred.length > 0)
    deps.log.warn(
      { rows: deferred.length, retryable: e.retryable, err: e.message },
      'FHIR replication push failed',
    );
  for (const r of dead)
    deps.log.error(
      { resourceType: r.resource_type, resourceId: r.resource_id, attempts: r.attempts + 1, err: e.message },
      'FHIR replication: change refused, set aside as a dead letter',
    );
  return dead.length;
}

function toPushError(err: unknown): PushError {
  return err instanceof PushError
    ? err
    : new PushError(err instanceof Error ? err.message : String(err), true);
}

function retryAfterMs(res: Response): number | undefined {
  const header = res.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Current stored state of every `put` row, read per owner. */
async function loadResources(db: Db, rows: OutboxRow[]): Promise<Map<string, Resource>> {
  const wanted = new Map<string, { userId: number; type: StoredResourceType; ids: string[] }>();
  for (const r of rows) {
    if (r.action !== 'put') continue;
    const key = `${r.user_id}/${r.resource_type}`;
    const group = wanted.get(key) ?? {
      userId: r.user_id,
      type: r.resource_type as StoredResourceType,
      ids: [],
    };
    group.ids.push(r.resource_id);
    wanted.set(key, group);
  }
  const out = new Map<string, Resource>();
  for (const g of wanted.values()) {
    for (const s of await findResourcesByIds(db, g.userId, g.type, g.ids)) {
      out.set(`${s.resource.resourceType}/${s.resource.id}`, s.resource);
    }
  }
  return out;
}
