/**
 * Imports, principal first (docs/api.md "Imports").
 *
 *   upload(principal, body, { declaredBytes?, truncated? }) -> { id, status: 'queued' }
 *     streams the body to DATA_DIR/imports/<id>.upload (never held in memory), at most
 *     IMPORT_MAX_BYTES (413 beyond), then enqueues `imports.run`; one queued or running import per
 *     person (409 otherwise)
 *   get(principal, id) / list(principal)   -> ImportView(s); another person's import is a 404
 *   remove(principal, id)                  -> undoes the import (deletes the Observations it
 *                                             created) and forgets it; 409 while it runs
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError, invalidField, notFound } from '../errors.ts';
import type { Enqueue } from '../jobs/registry.ts';
import type { Log } from '../log.ts';
import type { ImportJobs } from './imports.jobs.ts';
import * as repo from './imports.repository.ts';
import type { ImportRunner } from './imports.runner.ts';
import { type ImportView, toImportView } from './imports.view.ts';

export interface ImportsServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  enqueue: Enqueue<ImportJobs>;
  runner: ImportRunner;
  uploadDir: string;
  maxBytes: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIST_LIMIT = 50;
const JOBS_RETRY_AFTER_S = 10;
/** An import still open this long lost its job (a 1 GB export takes about 2 minutes: bench/import). */
const STALE_AFTER_MS = 6 * 3_600_000;

export type ImportsService = ReturnType<typeof createImportsService>;

export function createImportsService(deps: ImportsServiceDeps) {
  const { db, clock } = deps;

  async function find(principal: Principal, id: string) {
    const row = UUID.test(id) ? await repo.findImport(db, principal.userId, id) : undefined;
    if (!row) throw notFound('Import');
    return row;
  }

  function tooLarge(): AppError {
    return new AppError(
      'PAYLOAD_TOO_LARGE',
      `file: larger than the ${deps.maxBytes} bytes an import accepts`,
      {
        errors: [{ field: 'file', message: `larger than ${deps.maxBytes} bytes` }],
      },
    );
  }

  return {
    async upload(
      principal: Principal,
      body: Readable,
      options: { declaredBytes?: number | undefined; truncated?: () => boolean } = {},
    ): Promise<{ id: string; status: 'queued' }> {
      const { userId } = principal;
      if (options.declaredBytes !== undefined && options.declaredBytes > deps.maxBytes) throw tooLarge();
      const id = randomUUID();
      const now = clock.now();
      const row = { id, user_id: userId, kind: 'apple_health', created_at: now };
      let claimed = await repo.insertImport(db, row);
      const staleBefore = new Date(now.getTime() - STALE_AFTER_MS);
      if (!claimed && (await repo.failStale(db, userId, staleBefore, now)) > 0)
        claimed = await repo.insertImport(db, row);
      if (!claimed)
        throw new AppError('CONFLICT', 'An import is already queued or running: wait for it to finish');
      const path = deps.runner.uploadPath(id);
      let bytes = 0;
      const max = deps.maxBytes;
      const sha = createHash('sha256');
      try {
        await mkdir(deps.uploadDir, { recursive: true });
        const count = new Transform({
          transform(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            sha.update(chunk);
            done(bytes > max ? tooLarge() : null, chunk);
          },
        });
        await pipeline(body, count, createWriteStream(path, { mode: 0o600 }));
        if (options.truncated?.()) throw tooLarge();
        if (bytes === 0) throw invalidField('file', 'is empty');
      } catch (err) {
        await rm(path, { force: true });
        await repo.deleteImport(db, userId, id);
        if (err instanceof AppError) throw err;
        if ((err as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
        throw invalidField('file', 'the upload did not complete');
      }
      await repo.saveProgress(db, userId, id, { bytes, file_key: sha.digest('hex') });
      try {
        await deps.enqueue('imports.run', { importId: id, userId }, { jobId: `import:${id}` });
      } catch (err) {
        await rm(path, { force: true });
        await repo.finishImport(db, userId, id, {
          status: 'failed',
          error: 'the job queue could not be reached',
          finished_at: clock.now(),
        });
        deps.log.warn({ err, importId: id }, 'import: enqueue failed');
        throw new AppError('JOBS_UNAVAILABLE', 'Background jobs are unavailable: try again shortly', {
          retryAfter: JOBS_RETRY_AFTER_S,
          cause: err,
        });
      }
      return { id, status: 'queued' };
    },

    async get(principal: Principal, id: string): Promise<ImportView> {
      return toImportView(await find(principal, id));
    },

    async list(principal: Principal): Promise<{ imports: ImportView[] }> {
      const rows = await repo.listImports(db, principal.userId, LIST_LIMIT);
      return { imports: rows.map(toImportView) };
    },

    async remove(principal: Principal, id: string): Promise<void> {
      const row = await find(principal, id);
      if (row.status === 'queued' || row.status === 'running')
        throw new AppError('CONFLICT', 'The import is still running: delete it once it has finished');
      await deps.runner.undo(principal, id);
      await repo.deleteImport(db, principal.userId, id);
    },
  };
}
