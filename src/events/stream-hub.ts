/**
 * Fan-out for the live event stream (docs/events.md §7): tells the open streams of a user, in
 * every API process, that something happened.
 *
 *   const hub = await createStreamHub({ redis, channel, log })
 *   hub.wake(userId)                 -> after a commit: that user's streams read their new rows
 *   hub.transient(userId, type, data) -> a message that is not stored (sync.progress), sent as is
 *   const off = hub.listen(userId, { wake, transient })   -> this process's stream; off() to leave
 *   hub.count(userId)                -> this process's open streams of that user
 *   await hub.close()
 *
 * With Redis, both are published on `channel` ({u} or {u,t,d}, never a payload of the outbox) and
 * every process, this one included, hands them to its listeners; without Redis an in-process
 * emitter does. Messages carry no event data: a woken stream reads its rows from the database,
 * so a lost message only delays (each stream also polls).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Log } from '../log.ts';

export interface StreamListener {
  wake(): void;
  transient(type: string, data: unknown): void;
}

export interface StreamHub {
  wake(userId: number): void;
  transient(userId: number, type: string, data: unknown): void;
  listen(userId: number, listener: StreamListener): () => void;
  count(userId: number): number;
  close(): Promise<void>;
}

type Message = { u: number; t?: string; d?: unknown };

export async function createStreamHub(options: {
  redis: Redis | undefined;
  channel: string;
  log: Log;
}): Promise<StreamHub> {
  const { redis, channel, log } = options;
  const listeners = new Map<number, Set<StreamListener>>();

  const deliver = (m: Message) => {
    const set = listeners.get(m.u);
    if (!set) return;
    for (const l of set) {
      if (m.t === undefined) l.wake();
      else l.transient(m.t, m.d);
    }
  };

  let publish: (m: Message) => void = deliver;
  let closeRedis = async () => {};
  if (redis) {
    const subscriber = redis.duplicate({ connectionName: `${channel}:sub`, lazyConnect: true });
    subscriber.on('error', (err) => log.warn({ err }, 'event stream connection error'));
    subscriber.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      try {
        const m = JSON.parse(text) as Message;
        if (Number.isSafeInteger(m.u)) deliver(m);
      } catch {
        // Not ours: ignored.
      }
    });
    const subscribed = new Promise<void>((resolve) => {
      subscriber.on('ready', () => {
        subscriber
          .subscribe(channel)
          .then(() => resolve())
          .catch((err: unknown) => log.warn({ err }, 'event stream: could not subscribe'));
      });
    });
    try {
      await subscriber.connect();
      await Promise.race([subscribed, delay(2_000, undefined, { ref: false })]);
    } catch (err) {
      log.warn({ err }, 'event stream: Redis unreachable at start; streams poll until it is back');
    }
    publish = (m) => {
      redis.publish(channel, JSON.stringify(m)).catch((err: unknown) => {
        log.warn({ err }, 'event stream: could not publish');
      });
    };
    closeRedis = async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  return {
    wake(userId) {
      publish({ u: userId });
    },
    transient(userId, type, data) {
      publish({ u: userId, t: type, d: data });
    },
    listen(userId, listener) {
      const set = listeners.get(userId) ?? new Set<StreamListener>();
      listeners.set(userId, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(userId) === set) listeners.delete(userId);
      };
    },
    count(userId) {
      return listeners.get(userId)?.size ?? 0;
    },
    async close() {
      listeners.clear();
      await closeRedis();
    },
  };
}

/** What committing code needs of the hub: wake a user's streams, or send them a transient message. */
export type LiveEvents = Pick<StreamHub, 'wake' | 'transient'>;
