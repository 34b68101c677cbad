/**
 * CPU work in slices that leave the event loop turns in between.
 *
 *   mapInSlices(items, fn, slice = 50) -> Promise<R[]>: fn over items, yielding after every slice
 *
 * Why: preparing the next batch of rows in one go stalls the write in flight at each of its round
 * trips (BEGIN, the statements, COMMIT), so PostgreSQL waits; in slices the pipelined ingest is
 * faster (bench/fhir/README.md).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export async function mapInSlices<T, R>(items: readonly T[], fn: (item: T) => R, slice = 50): Promise<R[]> {
  const out: R[] = new Array(items.length);
  for (let i = 0; i < items.length; i += 1) {
    if (i > 0 && i % slice === 0) await nextTurn();
    out[i] = fn(items[i] as T);
  }
  return out;
}
