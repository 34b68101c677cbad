/**
 * Runs one import (the `imports.run` job):
 *
 *   file -> readInWorker (a worker thread: zip + XML streamed, the collector's mapping and dedup)
 *   -> batches through the FHIR store (the sync's write path: hash-guarded upserts, outbox, the
 *   `observations.created|updated` events) -> counts and progress on the import row
 *
 * Progress is saved (and sent to the live event stream as `import.progress`) at most every
 * PROGRESS_EVERY_MS while running. A failed import is undone: the Observations it created are
 * deleted, with their `observations.deleted` events. The uploaded file is deleted once read, or
 * when the import fails, before the import is marked finished. While the file is read, heart-rate
 * and activity records wait in DATA_DIR/imports/<id>.work (apple-health/spill.ts), and the reader's
 * heap is capped (read-in-worker.ts), so memory does not grow with the file; the directory is
 * removed when the import ends, whatever the outcome.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { insertEvents } from '../events/events.repository.ts';
import { observationEvents, upsertEvents } from '../events/observation-events.ts';
import type { LiveEvents } from '../events/stream-hub.ts';
import type { FhirStore, Owner } from '../fhir/store/fhir.service.ts';
import type { Log } from '../log.ts';
import { type PreparedChunk, prepareChunk } from '../sync/commit-chunk.ts';
import { VENDOR } from './apple-health/collector.ts';
import { readInWorker } from './apple-health/read-in-worker.ts';
import { ExportFormatError } from './apple-health/reader.ts';
import type { ImportJobData } from './imports.jobs.ts';
import * as repo from './imports.repository.ts';

export interface ImportRunnerDeps {
  db: Db;
  clock: Clock;
  log: Log;
  store: FhirStore;
  /** Where uploads wait for their job: DATA_DIR/imports. */
  uploadDir: string;
  live?: LiveEvents | undefined;
  /** Measurements per write (default 2,000). */
  batchSize?: number;
}

/** meta.source of the Observations an export creates. */
export const APPLE_HEALTH_SOURCE_URI = 'urn:apple-health:export';
/** Share of the progress bar spent reading the file; the rest is writing. */
const READ_SHARE = 0.7;
const PROGRESS_EVERY_MS = 500;
const UNDO_PAGE = 500;
/** Bump when the mapping changes what a file gives: files read before are then read again. */
const MAPPING_VERSION = 1;

export type ImportRunner = ReturnType<typeof createImportRunner>;

export function createImportRunner(deps: ImportRunnerDeps) {
  const { db, clock, log, store } = deps;
  const batchSize = deps.batchSize ?? 2_000;
  const uploadPath = (id: string) => join(deps.uploadDir, `${id}.upload`);
  const workPath = (id: string) => join(deps.uploadDir, `${id}.work`);

  async function run(data: ImportJobData, signal?: AbortSignal): Promise<void> {
    const { importId, userId } = data;
    const principal: Principal = { userId };
    const path = uploadPath(importId);
    const work = workPath(importId);
    try {
      if (!(await repo.startImport(db, userId, importId, clock.now()))) return; // gone, or done already
      const counts = { created: 0, updated: 0, unchanged: 0 };
      let recordsRead = 0;
      let lastReport = 0;
      const report = async (progress: number, force = false) => {
        const at = performance.now();
        if (!force && at - lastReport < PROGRESS_EVERY_MS) return;
        lastReport = at;
        await repo.saveProgress(db, userId, importId, { progress, records_read: recordsRead, ...counts });
        deps.live?.transient(userId, 'import.progress', { id: importId, progress: round3(progress) });
      };
      try {
        const owner = await store.ownerOf(principal);
        if (await sameFileAgain(owner, importId)) {
          await rm(path, { force: true });
          return;
        }
        let total = 1;
        let written = 0;
        let summary: { recordsRead: number; byType: object; skipped: object } | undefined;
        const reading = readInWorker({ path, zone: owner.zone, work, batchSize }, { signal });
        for await (const m of reading) {
          if (m.kind === 'progress') {
            recordsRead = m.records;
            await report(READ_SHARE * m.fraction);
          } else if (m.kind === 'read') {
            recordsRead = m.records;
            total = Math.max(1, m.total);
            await rm(path, { force: true }); // read: the file is no longer needed
          } else if (m.kind === 'batch') {
            signal?.throwIfAborted();
            const prepared = await prepareChunk(deps, {
              owner,
              sourceUri: APPLE_HEALTH_SOURCE_URI,
              measurements: m.measurements,
            });
            const c = await commit(owner, importId, prepared);
            counts.created += c.created;
            counts.updated += c.updated;
            counts.unchanged += c.unchanged;
            written += m.measurements.length;
            await report(READ_SHARE + (1 - READ_SHARE) * Math.min(1, written / total));
          } else {
            summary = m;
          }
        }
        if (!summary) throw new Error('the export reader ended without its counts');
        await rm(work, { recursive: true, force: true });
        await repo.finishImport(db, userId, importId, {
          status: 'succeeded',
          progress: 1,
          records_read: summary.recordsRead,
          ...counts,
          skipped: JSON.stringify(summary.skipped),
          by_type: JSON.stringify(summary.byType),
          source_count: await repo.countFromSource(db, userId, VENDOR),
          finished_at: clock.now(),
        });
        deps.live?.transient(userId, 'import.progress', { id: importId, progress: 1 });
        log.info({ importId, records: summary.recordsRead, ...counts }, 'import: succeeded');
      } catch (err) {
        await rm(path, { force: true });
        await rm(work, { recursive: true, force: true });
        await undo(principal, importId);
        const reason = failureReason(err);
        if (!(err instanceof ExportFormatError)) log.warn({ err, importId }, 'import: failed');
        await repo.finishImport(db, userId, importId, {
          status: 'failed',
          error: reason,
          records_read: recordsRead,
          created: 0,
          updated: 0,
          unchanged: 0,
          finished_at: clock.now(),
        });
      }
    } finally {
      await rm(path, { force: true });
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * The same file, read with the same zone and mapping, was imported before, and none of the
   * person's apple_health Observations has been written or deleted since: reading it again would
   * write nothing, so it is not read (bench/import: a re-import is then as fast as its upload).
   */
  async function sameFileAgain(owner: Owner, importId: string): Promise<boolean> {
    const { userId } = owner;
    const row = await repo.findImport(db, userId, importId);
    if (!row?.file_key) return false;
    const key = `${row.file_key.split(':')[0]}:${owner.zone}:${MAPPING_VERSION}`;
    await repo.saveProgress(db, userId, importId, { file_key: key });
    const before = await repo.findSameFile(db, userId, key, importId);
    if (!before?.finished_at || before.source_count === null) return false;
    if ((await repo.countFromSource(db, userId, VENDOR)) !== before.source_count) return false;
    if (await repo.changedSince(db, userId, VENDOR, before.finished_at)) return false;
    await repo.finishImport(db, userId, importId, {
      status: 'succeeded',
      progress: 1,
      records_read: before.records_read,
      created: 0,
      updated: 0,
      unchanged: before.created + before.updated + before.unchanged,
      skipped: before.skipped,
      by_type: before.by_type,
      source_count: before.source_count,
      finished_at: clock.now(),
    });
    log.info({ importId, sameAs: before.id }, 'import: the same file again, nothing to write');
    return true;
  }

  async function commit(owner: Owner, importId: string, prepared: PreparedChunk) {
    const principal = { userId: owner.userId };
    const { devices, observations } = prepared;
    const counts = { created: 0, updated: 0, unchanged: 0 };
    if (!observations) return counts;
    await db.transaction().execute(async (trx) => {
      if (devices) await store.upsertResources(principal, devices, { db: trx });
      const written = await store.upsertResources(principal, observations, { db: trx });
      counts.created = written.created;
      counts.updated = written.updated;
      counts.unchanged = written.unchanged;
      await insertEvents(
        trx,
        owner.userId,
        upsertEvents(owner.userId, VENDOR, written.changed, observations.rows),
        clock.now(),
      );
      const typeOf = new Map(observations.rows.map((r) => [r.id, r.type]));
      const created = written.changed.filter((c) => c.inserted && c.resource_type === 'Observation');
      await repo.recordCreated(
        trx,
        importId,
        created.map((c) => ({ id: c.id, type: typeOf.get(c.id) ?? null })),
      );
    });
    if (counts.created + counts.updated > 0) deps.live?.wake(owner.userId);
    return counts;
  }

  /** Deletes the Observations the import created, page by page, each page with its events. */
  async function undo(principal: Principal, importId: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const page = await repo.createdPage(db, importId, UNDO_PAGE);
      if (page.length === 0) break;
      deleted += await db.transaction().execute(async (trx) => {
        const done = [];
        for (const p of page) {
          if (await store.deleteResource(principal, 'Observation', p.resource_id, { db: trx }))
            done.push({ id: p.resource_id, type: p.type, effectiveStart: null });
        }
        const events = observationEvents(principal.userId, VENDOR, 'deleted', done);
        await insertEvents(trx, principal.userId, events, clock.now());
        await repo.forgetCreated(
          trx,
          importId,
          page.map((p) => p.resource_id),
        );
        return done.length;
      });
    }
    if (deleted > 0) deps.live?.wake(principal.userId);
    return deleted;
  }

  /** The job itself failed (the worker stopped, an error escaped): record it, clean up. */
  async function fail(data: ImportJobData, error: unknown): Promise<void> {
    const principal = { userId: data.userId };
    log.warn({ err: error, importId: data.importId }, 'import: job failed');
    await undo(principal, data.importId);
    await repo.finishImport(db, data.userId, data.importId, {
      status: 'failed',
      error: failureReason(error),
      finished_at: clock.now(),
    });
    await rm(uploadPath(data.importId), { force: true });
    await rm(workPath(data.importId), { recursive: true, force: true });
  }

  return { run, fail, undo, uploadPath };
}

/** What GET /imports/{id} says about a failure: the file's problem, or a generic sentence. */
function failureReason(err: unknown): string {
  if (err instanceof ExportFormatError) return err.message;
  if (err instanceof AppError && err.status < 500) return err.message;
  if (err instanceof Error && err.name === 'AbortError')
    return 'the import was interrupted: upload the file again';
  return 'the import stopped on an internal error';
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
