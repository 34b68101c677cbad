/**
 * Fetch item i + 1 while item i is committed: the vendor's latency and this process's CPU overlap
 * the database's work. Items still commit one at a time, in order.
 *
 *   pipelined(items, { fetch, commit, signal }) -> undefined, or { item, error } for a failed fetch
 *
 * A failed fetch ends the pipeline before any later item is fetched and is returned, for the caller
 * to judge. A failed commit aborts the fetch in flight (the signal `fetch` receives; its result is
 * dropped) and is thrown.
 */
export interface PipelineSteps<T, F> {
  fetch: (item: T, signal: AbortSignal) => Promise<F>;
  commit: (fetched: F, item: T) => Promise<void>;
  /** Aborts every fetch (the worker is stopping). */
  signal?: AbortSignal | undefined;
}

export async function pipelined<T, F>(
  items: readonly T[],
  steps: PipelineSteps<T, F>,
): Promise<{ item: T; error: unknown } | undefined> {
  const stop = new AbortController();
  const signal = steps.signal ? AbortSignal.any([steps.signal, stop.signal]) : stop.signal;
  const start = (i: number): Promise<F> | undefined => {
    const item = items[i];
    if (i >= items.length || item === undefined) return undefined;
    const fetching = steps.fetch(item, signal);
    fetching.catch(() => {}); // awaited in the next turn, or abandoned when a commit fails
    return fetching;
  };
  let next = start(0);
  for (const [i, item] of items.entries()) {
    let fetched: F;
    try {
      fetched = await (next ?? steps.fetch(item, signal));
    } catch (error) {
      return { item, error };
    }
    next = start(i + 1);
    try {
      await steps.commit(fetched, item);
    } catch (err) {
      stop.abort();
      throw err;
    }
  }
  return undefined;
}
