/**
 * The imports and import_resources tables. Every read and change of an import filters on its owner.
 *
 *   insertImport(db, row)                          -> false when the person already has one queued or running
 *   findImport(db, userId, id) / listImports(db, userId, limit)
 *   startImport(db, userId, id, now)               -> true when it moved queued -> running
 *   saveProgress(db, userId, id, patch)            -> counts and progress of a running import
 *   finishImport(db, userId, id, patch)            -> succeeded | failed, with counts or the error
 *   recordCreated(db, importId, rows)              -> remembers Observations the import created
 *   createdPage(db, importId, limit)               -> a page of them (undo deletes page by page)
 *   forgetCreated(db, importId, ids)
 *   deleteImport(db, userId, id)                   -> true when the row was there
 */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ImportsTable } from './imports.tables.ts';

export type ImportRow = Selectable<ImportsTable>;

export async function insertImport(
  db: Db,
  row: { id: string; user_id: number; kind: string; created_at: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto('imports')
    .values({ ...row, status: 'queued' })
    // The partial unique index imports_open: one queued or running import per person.
    .onConflict((oc) => oc.column('user_id').where('status', 'in', ['queued', 'running']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Marks the person's queued or running imports created before `before` as failed: their job is gone
 * (a worker stopped mid-import); the runner never picks a failed import up again.
 */
export async function failStale(db: Db, userId: number, before: Date, now: Date): Promise<number> {
  const r = await db
    .updateTable('imports')
    .set({ status: 'failed', error: 'the import stopped: upload the file again', finished_at: now })
    .where('user_id', '=', userId)
    .where('status', 'in', ['queued', 'running'])
    .where('created_at', '<', before)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function findImport(db: Db, userId: number, id: string): Promise<ImportRow | undefined> {
  return db
    .selectFrom('imports')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listImports(db: Db, userId: number, limit: number): Promise<ImportRow[]> {
  return db
    .selectFrom('imports')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function startImport(db: Db, userId: number, id: string, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('imports')
    .set({ status: 'running', started_at: now })
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

type Patch = Pick<
  Updateable<ImportsTable>,
  | 'progress'
  | 'bytes'
  | 'records_read'
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'skipped'
  | 'by_type'
  | 'file_key'
  | 'source_count'
>;

export async function saveProgress(db: Db, userId: number, id: string, patch: Patch): Promise<void> {
  await db.updateTable('imports').set(patch).where('user_id', '=', userId).where('id', '=', id).execute();
}

export async function finishImport(
  db: Db,
  userId: number,
  id: string,
  patch: Patch & { status: 'succeeded' | 'failed'; error?: string | null; finished_at: Date },
): Promise<void> {
  await db.updateTable('imports').set(patch).where('user_id', '=', userId).where('id', '=', id).execute();
}

/** The person's latest succeeded import of the same file, read the same way. */
export async function findSameFile(
  db: Db,
  userId: number,
  fileKey: string,
  exceptId: string,
): Promise<ImportRow | undefined> {
  return db
    .selectFrom('imports')
    .selectAll()
    .where('user_id', '=', userId)
    .where('file_key', '=', fileKey)
    .where('status', '=', 'succeeded')
    .where('source_count', 'is not', null)
    .where('id', '!=', exceptId)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** How many Observations the person has from a source (observation_days, kept by triggers). */
export async function countFromSource(db: Db, userId: number, source: string): Promise<number> {
  const row = await db
    .selectFrom('observation_days')
    .select((eb) => eb.fn.sum<string | number | null>('n_rows').as('n'))
    .where('user_id', '=', userId)
    .where('source', '=', source)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Whether any of the person's Observations from a source was written after `since`. */
export async function changedSince(db: Db, userId: number, source: string, since: Date): Promise<boolean> {
  const row = await db
    .selectFrom('fhir_resources')
    .select('id')
    .where('user_id', '=', userId)
    .where('last_updated', '>', since)
    .where('source_vendor', '=', source)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function recordCreated(
  db: Db,
  importId: string,
  rows: readonly { id: string; type: string | null }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('import_resources')
    .values(rows.map((r) => ({ import_id: importId, resource_id: r.id, type: r.type })))
    .onConflict((oc) => oc.columns(['import_id', 'resource_id']).doNothing())
    .execute();
}

export async function createdPage(
  db: Db,
  importId: string,
  limit: number,
): Promise<{ resource_id: string; type: string | null }[]> {
  return db
    .selectFrom('import_resources')
    .select(['resource_id', 'type'])
    .where('import_id', '=', importId)
    .orderBy('resource_id')
    .limit(limit)
    .execute();
}

export async function forgetCreated(db: Db, importId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .deleteFrom('import_resources')
    .where('import_id', '=', importId)
    .where('resource_id', 'in', ids)
    .execute();
}

export async function deleteImport(db: Db, userId: number, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('imports')
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
