/**
 * The worker-thread side of read-in-worker.ts: reads one export, maps it with the collector,
 * then hands its measurements over a batch at a time, each after the parent asks for the next.
 * Messages are the `FromReader` union of read-in-worker.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createCollector } from './collector.ts';
import type { FromReader, ReaderInput } from './read-in-worker.ts';
import { ExportFormatError, readExport } from './reader.ts';
import { fileSpill } from './spill.ts';

/** Progress is posted at most this often: the parent saves it every 500 ms. */
const PROGRESS_EVERY_MS = 100;

const port = parentPort;
if (!port) throw new Error('read.worker.ts runs as a worker thread');
const input = workerData as ReaderInput;
const post = (message: FromReader) => port.postMessage(message);
const next = () => new Promise<void>((resolve) => port.once('message', () => resolve()));

const spill = fileSpill(input.work);
try {
  const collector = createCollector({ zone: input.zone, spill });
  let records = 0;
  let lastPost = 0;
  await readExport(input.path, {
    onRecord: (r) => {
      records++;
      collector.add(r);
    },
    onProgress: (fraction) => {
      const at = performance.now();
      if (at - lastPost < PROGRESS_EVERY_MS) return;
      lastPost = at;
      post({ kind: 'progress', fraction, records });
    },
  });
  const result = collector.finishInBatches();
  post({ kind: 'read', records, total: result.total });
  for (const measurements of result.batches(input.batchSize)) {
    post({ kind: 'batch', measurements });
    await next();
  }
  post({ kind: 'done', recordsRead: result.recordsRead, byType: result.byType, skipped: result.skipped });
} catch (err) {
  post({
    kind: 'failed',
    format: err instanceof ExportFormatError,
    message: err instanceof Error ? err.message : String(err),
  });
} finally {
  spill.close();
  port.close();
}
