/**
 * Group commit for the delivery path: calls made while a batch is being written wait and go
 * together as the next batch (at most `max` at a time), so N concurrent deliveries cost one
 * statement instead of N. Each caller gets its own item's result, or the batch's error.
 *
 *   const find = batcher(async (keys) => results in the same order, 100)
 *   await find(key)
 */
export interface Batcher<In, Out> {
  (item: In): Promise<Out>;
  /** Resolves once everything queued so far has been run (shutdown). */
  idle(): Promise<void>;
}

export function batcher<In, Out>(run: (items: In[]) => Promise<Out[]>, max: number): Batcher<In, Out> {
  let queue: { item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  let busy = false;
  let whenIdle: { promise: Promise<void>; resolve: () => void } | undefined;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, max);
      queue = queue.slice(max);
      try {
        const out = await run(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          b.resolve(out[i] as Out);
        });
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    busy = false;
    whenIdle?.resolve();
    whenIdle = undefined;
  }

  const call = (item: In) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (busy) return;
      busy = true;
      // The first batch also takes what arrives in this turn of the event loop.
      setImmediate(() => void drain());
    });
  return Object.assign(call, {
    idle(): Promise<void> {
      if (!busy) return Promise.resolve();
      if (!whenIdle) {
        let resolve = () => {};
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        whenIdle = { promise, resolve };
      }
      return whenIdle.promise;
    },
  });
}
