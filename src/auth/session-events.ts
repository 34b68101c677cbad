/**
 * Tells every API process that a user's sessions ended (logout, reuse of a refresh token, erasure),
 * so each drops its cached answers at once instead of when they expire (src/auth/sessions.ts).
 *
 *   const events = await createSessionEvents({ redis, channel, onEnded, log })
 *   events.announce(userId)   -> published on `channel` (Redis pub/sub); every process, this one
 *                                included, calls onEnded(userId)
 *   await events.close()
 *
 * Without Redis (one process) `announce` does nothing: the caller has already forgotten locally.
 * A message lost while Redis is down only delays the 401 until the cache entry expires.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Log } from '../log.ts';

export interface SessionEvents {
  announce(userId: number): void;
  close(): Promise<void>;
}

export async function createSessionEvents(options: {
  redis: Redis | undefined;
  channel: string;
  onEnded: (userId: number) => void;
  log: Log;
}): Promise<SessionEvents> {
  const { redis, channel, onEnded, log } = options;
  if (!redis) return { announce() {}, async close() {} };
  const subscriber = redis.duplicate({ connectionName: `${channel}:sub`, lazyConnect: true });
  subscriber.on('error', (err) => log.warn({ err }, 'session events connection error'));
  subscriber.on('message', (from: string, message: string) => {
    const userId = Number(message);
    if (from === channel && Number.isSafeInteger(userId)) onEnded(userId);
  });
  // On every (re)connection, so a start while Redis is down subscribes once it is back.
  const subscribed = new Promise<void>((resolve) => {
    subscriber.on('ready', () => {
      subscriber
        .subscribe(channel)
        .then(() => resolve())
        .catch((err: unknown) => log.warn({ err }, 'session events: could not subscribe'));
    });
  });
  try {
    await subscriber.connect();
    // Not forever: a start goes on without it (entries then expire by themselves).
    await Promise.race([subscribed, delay(2_000, undefined, { ref: false })]);
  } catch (err) {
    log.warn({ err }, 'session events: Redis unreachable at start; retrying in the background');
  }
  return {
    announce(userId) {
      redis.publish(channel, String(userId)).catch((err: unknown) => {
        log.warn({ err }, 'session events: could not announce an ended session');
      });
    },
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
