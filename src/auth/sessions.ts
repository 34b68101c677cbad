/**
 * Whether an access token still stands for a live sign-in, answered from a short per-process cache.
 *
 *   const cache = createSessionCache({ ttlMs })
 *   await cache.lookup(key, load)  -> the user id `load` found for `key` (undefined: none); `load`
 *                                     runs at most once per key per ttlMs, concurrent callers share it
 *   cache.forgetUser(userId)       -> drops every entry of that user at once (logout, erasure)
 *   cache.forget(key)
 *
 * Keys (src/auth/auth.service.ts): `s:<sid>` a session (refresh-token family, live until revoked or
 * deleted), `u:<userId>` any live session of a user (tokens without `sid`), `x:<iss|sub>` the local
 * user of an external identity. Another process learns of a logout or an erasure when its entry
 * expires, or at once when it is told (src/auth/session-events.ts, with REDIS_URL).
 */

interface Entry {
  until: number;
  /** Known once `answer` settles; undefined while pending or when nothing was found. */
  userId: number | undefined;
  answer: Promise<number | undefined>;
}

export interface SessionCache {
  lookup(key: string, load: () => Promise<number | undefined>): Promise<number | undefined>;
  forget(key: string): void;
  forgetUser(userId: number): void;
}

export function createSessionCache(options: { ttlMs: number; max?: number }): SessionCache {
  const { ttlMs, max = 20_000 } = options;
  const entries = new Map<string, Entry>();
  return {
    lookup(key, load) {
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && hit.until > now) return hit.answer;
      if (entries.size >= max) entries.delete(entries.keys().next().value as string);
      const entry: Entry = { until: now + ttlMs, userId: undefined, answer: load() };
      entries.delete(key);
      entries.set(key, entry);
      entry.answer.then(
        (userId) => {
          entry.userId = userId;
        },
        // A failed lookup (database down) is not remembered: the next request asks again.
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return entry.answer;
    },
    forget(key) {
      entries.delete(key);
    },
    forgetUser(userId) {
      // A pending entry may be this user's too: dropped, its callers still get their answer.
      for (const [key, entry] of entries) {
        if (entry.userId === userId || entry.userId === undefined) entries.delete(key);
      }
    },
  };
}
