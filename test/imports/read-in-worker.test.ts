/**
 * The export read in its worker thread: the same measurements as the collector in this thread,
 * batches handed over one at a time, a file that is not an export failing as one, an abort and
 * a heap too small for the file ending the thread with a reason.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../src/imports/apple-health/collector.ts';
import { type ReaderMessage, readInWorker } from '../../src/imports/apple-health/read-in-worker.ts';
import { ExportFormatError, readExport } from '../../src/imports/apple-health/reader.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'apple-health', 'export-3-days.zip');
const ZONE = 'Europe/Berlin';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'phr-read-in-worker-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function drain(gen: AsyncGenerator<ReaderMessage>): Promise<ReaderMessage[]> {
  const out: ReaderMessage[] = [];
  for await (const m of gen) out.push(m);
  return out;
}

describe('readInWorker', () => {
  it('gives the measurements the collector gives in this thread, in batches, then the counts', async () => {
    const here = createCollector({ zone: ZONE });
    await readExport(FIXTURE, { onRecord: here.add });
    const expected = here.finish();

    const messages = await drain(
      readInWorker({ path: FIXTURE, zone: ZONE, work: join(work, 'spill'), batchSize: 50 }),
    );
    const kinds = messages.map((m) => m.kind);
    expect(kinds.indexOf('read')).toBeGreaterThan(-1);
    expect(kinds.at(-1)).toBe('done');
    // Batches come only after the file is read, and none is larger than asked.
    const batches = messages.flatMap((m) => (m.kind === 'batch' ? [m.measurements] : []));
    expect(kinds.indexOf('batch')).toBeGreaterThan(kinds.indexOf('read'));
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(50);

    const key = (m: { type: string; start: string; value?: number }) => `${m.type}|${m.start}|${m.value}`;
    const got = batches.flat().map(key).sort();
    expect(got).toEqual(expected.measurements.map(key).sort());
    const done = messages.at(-1) as Extract<ReaderMessage, { kind: 'done' }>;
    expect(done.recordsRead).toBe(expected.recordsRead);
    expect(done.byType).toEqual(expected.byType);
    expect(done.skipped).toEqual(expected.skipped);
    const read = messages.find((m) => m.kind === 'read') as Extract<ReaderMessage, { kind: 'read' }>;
    expect(read.records).toBe(expected.recordsRead);
    // An estimate, for the progress bar.
    expect(Math.abs(read.total - expected.measurements.length)).toBeLessThanOrEqual(
      expected.measurements.length * 0.05,
    );
  });

  it('fails a file that is not an export with ExportFormatError and its reason', async () => {
    const path = join(work, 'notes.txt');
    await writeFile(path, 'not xml at all');
    const failure = await drain(
      readInWorker({ path, zone: ZONE, work: join(work, 'spill'), batchSize: 50 }),
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExportFormatError);
    expect((failure as Error).message).toMatch(/not well-formed XML|not an Apple Health export/);
  });

  it('stops the thread when aborted, with the abort as the reason', async () => {
    const controller = new AbortController();
    const gen = readInWorker(
      { path: FIXTURE, zone: ZONE, work: join(work, 'spill'), batchSize: 10 },
      { signal: controller.signal },
    );
    const failure = await (async () => {
      for await (const m of gen) if (m.kind === 'batch') controller.abort();
    })().catch((e: unknown) => e);
    expect((failure as Error).name).toBe('AbortError');
  });

  it('ends with a reason when the file needs more than the thread may hold', async () => {
    // A heap too small for any export: the thread runs out before it finishes the file.
    const failure = await drain(
      readInWorker(
        { path: FIXTURE, zone: ZONE, work: join(work, 'spill'), batchSize: 50 },
        { limits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 4 } },
      ),
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/ran out of its 4 MB heap/);
  });
});
