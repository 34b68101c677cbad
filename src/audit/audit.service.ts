/**
 * The audit trail.
 *
 *   record(event)               -> queued; written in batches (every `flushIntervalMs` or `maxBatch` events)
 *   flush()                     -> writes what is queued now
 *   recordNow(db, event)        -> written in the caller's transaction (erasure's anonymized record)
 *   list(principal, page)       -> the person's own events, newest first, keyset-paged
 *   forgetUser(db, userId)      -> drops queued and stored events of an account (erasure)
 *   close()                     -> final flush
 *
 * NOTE: batching trades durability for latency: a crash loses at most `flushIntervalMs` of read
 * events (changes that matter more, like erasure, use recordNow inside their transaction).
 */
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { invalidField } from '../errors.ts';
import type { Log } from '../log.ts';
import {
  type AuditEvent,
  type AuditKeyset,
  deleteEventsOfUser,
  insertEvents,
  listEvents,
} from './audit.repository.ts';

export interface AuditDeps {
  db: Db;
  clock: Clock;
  log: Log;
  flushIntervalMs?: number;
  maxBatch?: number;
}

export interface AuditEventView {
  id: number;
  action: string;
  resource_type: string | null;
  resource_ids: string[];
  item_count: number | null;
  actor_user_id: number | null;
  at: string;
  request_id: string | null;
  ip: string | null;
}

export type AuditInput = Omit<AuditEvent, 'at' | 'detail' | 'item_count' | 'request_id' | 'ip'> &
  Partial<Pick<AuditEvent, 'at' | 'detail' | 'item_count' | 'request_id' | 'ip'>>;

export type Audit = ReturnType<typeof createAudit>;

export function createAudit(deps: AuditDeps) {
  const { db, clock, log } = deps;
  const flushIntervalMs = deps.flushIntervalMs ?? 250;
  const maxBatch = deps.maxBatch ?? 200;
  let queue: AuditEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const complete = (e: AuditInput): AuditEvent => ({
    item_count: null,
    detail: null,
    request_id: null,
    ip: null,
    ...e,
    at: e.at ?? clock.now(),
  });

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queue;
    queue = [];
    const run = async () => {
      if (batch.length === 0) return;
      try {
        await insertEvents(db, batch);
      } catch (err) {
        // An account erased between the check and the insert fails the foreign key: drop the batch
        // rather than retry forever; the loss is logged (counts only).
        log.error({ err, events: batch.length }, 'audit events could not be written');
      }
    };
    inFlight = inFlight.then(run);
    return inFlight;
  }

  return {
    record(event: AuditInput): void {
      queue.push(complete(event));
      if (queue.length >= maxBatch) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), flushIntervalMs);
        timer.unref();
      }
    },

    flush,

    async recordNow(conn: Db, event: AuditInput): Promise<void> {
      await insertEvents(conn, [complete(event)]);
    },

    async list(principal: Principal, page: { cursor?: string | undefined; limit: number }) {
      await flush();
      const after = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
      const { rows, next } = await listEvents(db, principal.userId, { after, limit: page.limit });
      const items: AuditEventView[] = rows.map((r) => ({
        id: r.id,
        action: r.action,
        resource_type: r.resource_type,
        resource_ids: r.resource_ids,
        item_count: r.item_count,
        actor_user_id: r.actor_user_id,
        at: r.at.toISOString(),
        request_id: r.request_id,
        ip: r.ip,
      }));
      return { items, next_cursor: next ? encodeAuditCursor(next) : null, limit: page.limit };
    },

    async forgetUser(conn: Db, userId: number): Promise<number> {
      queue = queue.filter((e) => e.user_id !== userId && e.actor_user_id !== userId);
      await inFlight;
      return deleteEventsOfUser(conn, userId);
    },

    async close(): Promise<void> {
      await flush();
    },
  };
}

function encodeAuditCursor(k: AuditKeyset): string {
  return Buffer.from(`a1:${k.atMicros}:${k.id}`).toString('base64url');
}

function decodeAuditCursor(text: string): AuditKeyset {
  const bad = () => invalidField('cursor', 'is not a cursor of this list');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) throw bad();
  const m = /^a1:(-?\d{1,18}):(\d{1,18})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!m) throw bad();
  return { atMicros: m[1]!, id: Number(m[2]) };
}
