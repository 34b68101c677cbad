// The sync runner's prefetch pipeline on its own: item i + 1 is fetched while item i commits,
// commits stay in order, a failed fetch stops before later items, a failed commit aborts the prefetch.
import { describe, expect, it } from 'vitest';
import { pipelined } from '../../src/sync/pipeline.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('pipelined', () => {
  it('fetches the next item while the current one commits, and commits in order', async () => {
    const events: string[] = [];
    const commitGate = deferred();
    const done = pipelined([1, 2, 3], {
      fetch: async (n) => {
        events.push(`fetch ${n}`);
        return n * 10;
      },
      commit: async (value, n) => {
        events.push(`commit ${n} start`);
        if (n === 1) await commitGate.promise;
        events.push(`commit ${n}=${value}`);
      },
    });
    await new Promise((r) => setTimeout(r, 10));
    // Item 2 was fetched while item 1's commit is still waiting.
    expect(events).toEqual(['fetch 1', 'fetch 2', 'commit 1 start']);
    commitGate.resolve();
    expect(await done).toBeUndefined();
    expect(events.filter((e) => e.startsWith('commit') && e.includes('='))).toEqual([
      'commit 1=10',
      'commit 2=20',
      'commit 3=30',
    ]);
  });

  it('returns a failed fetch and neither fetches nor commits the items after it', async () => {
    const fetched: number[] = [];
    const committed: number[] = [];
    const boom = new Error('fetch 2 failed');
    const failed = await pipelined([1, 2, 3, 4], {
      fetch: async (n) => {
        fetched.push(n);
        if (n === 2) throw boom;
        return n;
      },
      commit: async (n) => {
        committed.push(n);
      },
    });
    expect(failed).toEqual({ item: 2, error: boom });
    expect(fetched).toEqual([1, 2]);
    expect(committed).toEqual([1]);
  });

  it('throws a failed commit and aborts the fetch in flight', async () => {
    const signals: AbortSignal[] = [];
    const committed: number[] = [];
    const run = pipelined([1, 2, 3], {
      fetch: (n, signal) => {
        signals.push(signal);
        if (n === 1) return Promise.resolve(n);
        // Item 2 never finishes on its own: only the abort ends it.
        return new Promise<number>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
      commit: async (n) => {
        committed.push(n);
        throw new Error('commit failed');
      },
    });
    await expect(run).rejects.toThrow('commit failed');
    expect(committed).toEqual([1]);
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(true);
  });

  it('passes the outer signal on to every fetch', async () => {
    const outer = new AbortController();
    outer.abort();
    const failed = await pipelined(['a'], {
      signal: outer.signal,
      fetch: async (_item, signal) => {
        signal.throwIfAborted();
        return 1;
      },
      commit: async () => {},
    });
    expect(failed?.item).toBe('a');
  });
});
