/**
 * The live event stream's per-connection work (docs/events.md §7): a user's committed events as
 * Server-Sent Events, read from the outbox in `seq` order.
 *
 *   const streams = createEventStreams({ db, hub, log, maxPerUser, heartbeatMs, pollMs })
 *   const s = await streams.open(userId, lastEventId, write)  -> RATE_LIMITED past maxPerUser
 *   s.close()              (the client went away)
 *   streams.closeAll()     (the app shuts down: every stream's `end` is called)
 *
 * A stream starts after the user's newest event, or after `lastEventId` when it is one of theirs
 * (the outbox keeps events 30 days). It reads new rows when the hub wakes it (a commit, in any
 * process) and every `pollMs` in case a wake was lost; one read at a time, and no database
 * connection is held between reads. `: ping` comments every `heartbeatMs` keep proxies from
 * closing an idle stream. Transient messages (sync.progress) are written as they come, with no
 * `id:` line, so a client's Last-Event-ID stays on the last stored event.
 */
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Log } from '../log.ts';
import {
  findEvent,
  latestUserSeq,
  listUserEvents,
  recentUserEvents,
  userEventSeq,
} from './events.repository.ts';
import type { StoredEvent } from './events.types.ts';
import type { StreamHub } from './stream-hub.ts';

export interface EventStreamsDeps {
  db: Db;
  clock: Clock;
  hub: StreamHub;
  log: Log;
  maxPerUser: number;
  heartbeatMs: number;
  pollMs: number;
}

export interface StreamSink {
  write(text: string): void;
  /** The server ends the stream (shutdown). */
  end(): void;
}

export type EventStreams = ReturnType<typeof createEventStreams>;

const READ_BATCH = 500;
/**
 * `seq` is taken at insert, not at commit: a transaction that commits after a later one shows up
 * below the stream's position. Each read also looks this far back (by the event's time) for rows
 * it has not sent. docs/events.md §7.
 */
export const LATE_COMMIT_MS = 60_000;
const LATE_SCAN = 200;

/** One stored event as an SSE message: the webhook body plus its id (pure). */
export function formatEvent(e: StoredEvent): string {
  const body = { id: e.id, type: e.type, timestamp: e.occurred_at.toISOString(), data: e.payload };
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(body)}\n\n`;
}

/** A message that is not stored: no `id:` line (pure). */
export function formatTransient(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, data })}\n\n`;
}

export function createEventStreams(deps: EventStreamsDeps) {
  const { db, hub, log } = deps;
  const open = new Set<() => void>();
  /** Per user, each open stream's re-check of its sign-in. */
  const rechecks = new Map<number, Set<() => Promise<void>>>();

  return {
    async open(
      userId: number,
      lastEventId: string | undefined,
      sink: StreamSink,
      options: {
        /**
         * Whether the sign-in that opened the stream still holds (not logged out, session not
         * revoked): asked at every heartbeat and when the user's sessions end; false ends the stream.
         */
        stillAllowed?: () => Promise<boolean>;
      } = {},
    ): Promise<{ close(): void }> {
      if (hub.count(userId) >= deps.maxPerUser)
        throw new AppError('RATE_LIMITED', `At most ${deps.maxPerUser} open event streams per user`);
      let closed = false;
      let seq: number | undefined;
      let reading = false;
      let again = false;
      /** Ids at or below `seq` seen within LATE_COMMIT_MS (sent, or there before the stream began). */
      const seen = new Map<string, number>();

      const recentBelow = async (upTo: number) => {
        const since = deps.clock.now().getTime() - LATE_COMMIT_MS;
        for (const [id, at] of seen) if (at < since) seen.delete(id);
        const rows = await recentUserEvents(db, userId, upTo, LATE_SCAN);
        return rows.filter((r) => r.occurred_at.getTime() >= since);
      };

      async function lateCommits(): Promise<void> {
        if (seq === undefined) return;
        for (const r of (await recentBelow(seq)).reverse()) {
          if (seen.has(r.id)) continue;
          const e = await findEvent(db, r.id);
          if (closed) return;
          seen.set(r.id, r.occurred_at.getTime());
          if (e) sink.write(formatEvent(e));
        }
      }

      async function pump(): Promise<void> {
        if (closed || seq === undefined) return;
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            for (;;) {
              const rows = await listUserEvents(db, userId, { afterSeq: seq, limit: READ_BATCH });
              if (closed) return;
              for (const e of rows) {
                sink.write(formatEvent(e));
                seen.set(e.id, e.occurred_at.getTime());
                seq = e.seq;
              }
              if (rows.length < READ_BATCH) break;
            }
            await lateCommits();
          } while (again && !closed);
        } catch (err) {
          // The next wake or poll tries again.
          log.warn({ err, userId }, 'event stream: read failed');
        } finally {
          reading = false;
        }
      }

      // Listening before the first read, so nothing committed meanwhile is missed.
      const off = hub.listen(userId, {
        wake: () => void pump(),
        transient: (type, data) => {
          if (!closed) sink.write(formatTransient(type, data));
        },
      });
      const recheck = async () => {
        if (closed || !options.stillAllowed) return;
        let allowed = true;
        try {
          allowed = await options.stillAllowed();
        } catch (err) {
          // The database away for a moment: the next heartbeat asks again.
          log.warn({ err, userId }, 'event stream: sign-in check failed');
        }
        if (!allowed && !closed) shutdown();
      };
      const mine = rechecks.get(userId) ?? new Set<() => Promise<void>>();
      rechecks.set(userId, mine);
      mine.add(recheck);
      const heartbeat = setInterval(() => {
        sink.write(': ping\n\n');
        void recheck();
      }, deps.heartbeatMs);
      const poll = setInterval(() => void pump(), deps.pollMs);
      const close = () => {
        if (closed) return;
        closed = true;
        off();
        clearInterval(heartbeat);
        clearInterval(poll);
        open.delete(shutdown);
        mine.delete(recheck);
        if (mine.size === 0 && rechecks.get(userId) === mine) rechecks.delete(userId);
      };
      const shutdown = () => {
        close();
        sink.end();
      };
      open.add(shutdown);
      try {
        const resumed = lastEventId ? await userEventSeq(db, userId, lastEventId) : undefined;
        const start = resumed ?? (await latestUserSeq(db, userId));
        for (const r of await recentBelow(start)) seen.set(r.id, r.occurred_at.getTime());
        seq = start;
      } catch (err) {
        close();
        throw err;
      }
      await pump();
      return { close };
    },

    /** The user's sessions ended (a logout, a revoked session, in any process): streams ask again. */
    recheckUser(userId: number): void {
      for (const recheck of rechecks.get(userId) ?? []) void recheck();
    },

    /** Ends every open stream (the app is closing). */
    closeAll(): void {
      for (const shutdown of [...open]) shutdown();
    },
  };
}
