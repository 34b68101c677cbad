/**
 * An export read and mapped in a worker thread with a heap of its own:
 *
 *   for await (const m of readInWorker({ path, zone, work, batchSize }, { signal })) {
 *     m.kind: 'progress' {fraction, records} ... 'read' {records, total} ... 'batch' {measurements} ... 'done' {recordsRead, byType, skipped}
 *   }                                      // throws ExportFormatError for a file that is not an export
 *
 * Why a thread: parsing a 1 GB export makes about a gigabyte of short-lived strings, and with
 * the process's default limits V8 lets that garbage reach several hundred MB before collecting
 * it. The thread's heap is capped (READER_LIMITS), so the import's memory stays bounded whatever
 * the process's flags, without capping the API or the sync beside it; the parse also leaves the
 * process's event loop free. The next batch is made while the caller takes one, never further
 * ahead, so at most two exist at once.
 */
import { Worker } from 'node:worker_threads';
import type { Measurement } from '../../fhir/measurement.ts';
import { ExportFormatError } from './reader.ts';

export interface ReaderInput {
  /** The uploaded file: export.zip or export.xml. */
  path: string;
  /** The person's IANA zone, for records without HKTimeZone. */
  zone: string;
  /** A directory of the import's own, for the spilled records (removed by the caller). */
  work: string;
  /** Measurements per batch. */
  batchSize: number;
}

export type FromReader =
  | { kind: 'progress'; fraction: number; records: number }
  | { kind: 'read'; records: number; total: number }
  | { kind: 'batch'; measurements: Measurement[] }
  | { kind: 'done'; recordsRead: number; byType: Record<string, number>; skipped: Record<string, number> }
  | { kind: 'failed'; format: boolean; message: string };

export type ReaderMessage = Exclude<FromReader, { kind: 'failed' }>;

/**
 * The thread's heap: the live data of a 1 GB export is 17-34 MB (bench/import/README.md); the cap
 * leaves room for exports several times larger and keeps the collected garbage small.
 */
export const READER_LIMITS = { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 12 };

const WORKER_URL = new URL('./read.worker.ts', import.meta.url);

export async function* readInWorker(
  input: ReaderInput,
  options: { signal?: AbortSignal | undefined; limits?: typeof READER_LIMITS } = {},
): AsyncGenerator<ReaderMessage, void, undefined> {
  const { signal, limits = READER_LIMITS } = options;
  signal?.throwIfAborted();
  const worker = new Worker(WORKER_URL, { workerData: input, resourceLimits: limits });
  const queue: (FromReader | Error)[] = [];
  let wake: (() => void) | undefined;
  const push = (item: FromReader | Error) => {
    queue.push(item);
    wake?.();
  };
  let finished = false;
  worker.on('message', (m: FromReader) => {
    if (m.kind === 'done' || m.kind === 'failed') finished = true;
    push(m);
  });
  worker.on('error', (err) =>
    push(
      (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new Error(`the export reader ran out of its ${limits.maxOldGenerationSizeMb} MB heap`)
        : err,
    ),
  );
  worker.on('exit', (code) => {
    if (!finished) push(new Error(`the export reader stopped (exit code ${code})`));
  });
  const onAbort = () => push(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift() as FromReader | Error;
      if (item instanceof Error) throw item;
      if (item.kind === 'failed')
        throw item.format ? new ExportFormatError(item.message) : new Error(item.message);
      // The next batch is made while this one is written: at most two exist at once.
      if (item.kind === 'batch') worker.postMessage('next');
      yield item;
      if (item.kind === 'done') return;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
  }
}
