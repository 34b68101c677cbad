/**
 * The FHIR resource table. Every function takes the owner's user id and filters on it.
 *
 *   upsertRows(db, userId, rows, now)         -> changed rows (created or updated); unchanged rows are not returned
 *   findResource(db, userId, type, id)         -> StoredResource | undefined
 *   deleteResource(db, userId, type, id)       -> the deleted key | undefined
 *   deleteAllForUser(db, userId)               -> every deleted key
 *   listResources(db, userId, type, afterId, limit) -> a page of a user's resources of a type, by id
 *   findObservationIdsOn(db, userId, { type, identifierPrefix, start, end }) -> ids on those local dates
 */

import type { Resource } from '@medplum/fhirtypes';
import { CompiledQuery, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { ResourceRow, StoredResourceType } from './resource-row.ts';

export interface ChangedRow {
  resource_type: StoredResourceType;
  id: string;
  identifier: string | null;
  version_id: number;
  inserted: boolean;
}

export interface ResourceKey {
  resource_type: StoredResourceType;
  id: string;
  identifier: string | null;
}

export interface StoredResource<T extends Resource = Resource> {
  resource: T;
  versionId: number;
  lastUpdated: Date;
}

export interface StoredRowFields {
  id: string;
  resource: unknown;
  version_id: number;
  last_updated: Date;
}

/**
 * One statement for the whole batch. A row whose content hash is unchanged is
 * not touched (no version bump) and not returned. Identifiers must be unique within the batch.
 */
export async function upsertRows(
  db: Db,
  userId: number,
  rows: readonly ResourceRow[],
  now: Date,
): Promise<ChangedRow[]> {
  if (rows.length === 0) return [];
  const withId = rows.filter((r) => r.identifier !== null);
  const withoutId = rows.filter((r) => r.identifier === null);
  const out: ChangedRow[] = [];
  if (withId.length > 0) out.push(...(await runUpsert(db, userId, withId, now, 'identifier')));
  if (withoutId.length > 0) out.push(...(await runUpsert(db, userId, withoutId, now, 'id')));
  return out;
}

/**
 * The columns a batch sends as one array each, and their PostgreSQL types: the unnest arguments,
 * the INSERT's column list and the conflict's SET clause are all built from this list. `key`
 * columns identify the row and are never updated.
 */
export const BATCH_COLUMNS = [
  { name: 'resource_type', pgType: 'text', key: true },
  { name: 'id', pgType: 'text', key: true },
  { name: 'identifier', pgType: 'text', key: true },
  { name: 'type', pgType: 'text' },
  { name: 'code', pgType: 'text' },
  { name: 'code_system', pgType: 'text' },
  { name: 'category', pgType: 'text' },
  { name: 'effective_start', pgType: 'timestamptz' },
  { name: 'effective_end', pgType: 'timestamptz' },
  { name: 'local_date', pgType: 'date' },
  { name: 'status', pgType: 'text' },
  { name: 'source_vendor', pgType: 'text' },
  { name: 'value', pgType: 'float8' },
  { name: 'sample_count', pgType: 'integer' },
  { name: 'sample_min', pgType: 'float8' },
  { name: 'sample_max', pgType: 'float8' },
  { name: 'sample_sum', pgType: 'float8' },
  { name: 'daily', pgType: 'bool' },
  { name: 'content_hash', pgType: 'text' },
] as const satisfies readonly { name: keyof ResourceRow; pgType: string; key?: boolean }[];

/**
 * The upsert's text for each conflict target, built once at load. Parameters: $1 the owner, $2 the
 * time, then one array per batch column, then the JSON lines.
 *
 * A scalar subquery, not `not exists`: the planner turns the latter into a hash anti join over all
 * of the user's rows, per batch; this stays one probe of a unique index per row. A row with the
 * same id owned by someone else is never overwritten.
 */
function upsertText(target: 'identifier' | 'id'): string {
  const names = BATCH_COLUMNS.map((c) => c.name);
  const arrays = BATCH_COLUMNS.map((c, i) => `$${i + 3}::${c.pgType}[]`);
  const lines = `$${BATCH_COLUMNS.length + 3}::text`;
  const updates = BATCH_COLUMNS.filter((c) => !('key' in c)).map((c) => `${c.name} = excluded.${c.name}`);
  const same =
    target === 'identifier'
      ? 'f.resource_type = t.resource_type and f.id = t.id and f.user_id = $1 and f.identifier = t.identifier'
      : 'f.resource_type = t.resource_type and f.id = t.id and f.user_id = $1';
  const conflict = target === 'identifier' ? '(user_id, resource_type, identifier)' : '(resource_type, id)';
  const owner = target === 'id' ? ' and fhir_resources.user_id = excluded.user_id' : '';
  return `insert into fhir_resources (${names.join(', ')}, user_id, version_id, last_updated, resource)
select ${names.map((n) => `t.${n}`).join(', ')}, $1::integer, 1, $2::timestamptz, t.json
from unnest(${arrays.join(', ')}, string_to_array(${lines}, E'\\n')) as t(${names.join(', ')}, json)
where (select f.content_hash from fhir_resources f where ${same}) is distinct from t.content_hash
on conflict ${conflict} do update set ${updates.join(', ')},
  version_id = fhir_resources.version_id + 1, last_updated = excluded.last_updated, resource = excluded.resource
where fhir_resources.content_hash is distinct from excluded.content_hash${owner}
returning resource_type, id, identifier, version_id, (xmax = 0) as inserted`;
}

const UPSERT_TEXT = { identifier: upsertText('identifier'), id: upsertText('id') } as const;

/**
 * The batch travels as one array per column and the resource JSON as one text of lines, so the
 * statement has a fixed number of parameters whatever the batch size: far less PostgreSQL CPU than
 * one `jsonb_to_recordset` document (bench/fhir/README.md); the resources are stored as the text
 * they are (no jsonb parse), and an unchanged row costs one index probe.
 */
async function runUpsert(
  db: Db,
  userId: number,
  rows: readonly ResourceRow[],
  now: Date,
  target: 'identifier' | 'id',
): Promise<ChangedRow[]> {
  const parameters: unknown[] = [userId, now];
  for (const c of BATCH_COLUMNS) parameters.push(rows.map((r) => r[c.name]));
  parameters.push(jsonLines(rows));
  const result = await db.executeQuery<ChangedRow>(CompiledQuery.raw(UPSERT_TEXT[target], parameters));
  return result.rows;
}

/**
 * The rows' JSON as one UTF-8 buffer of lines. JSON.stringify output holds no raw line feed
 * (control characters are escaped), so a line feed separates the resources unambiguously.
 * NOTE: a Buffer parameter travels as is (binary format; PostgreSQL's text receive takes UTF-8
 * bytes, PGlite too), so the driver does not encode a joined string again (bench/fhir/README.md).
 */
function jsonLines(rows: readonly ResourceRow[]): Buffer {
  let size = rows.length - 1;
  for (const r of rows) size += Buffer.byteLength(r.json);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  rows.forEach((r, i) => {
    if (i > 0) out[at++] = 0x0a;
    at += out.write(r.json, at);
  });
  return out;
}

export async function findResource<T extends Resource = Resource>(
  db: Db,
  userId: number,
  type: StoredResourceType,
  id: string,
): Promise<StoredResource<T> | undefined> {
  const row = await db
    .selectFrom('fhir_resources')
    .select(['id', 'resource', 'version_id', 'last_updated'])
    .where('user_id', '=', userId)
    .where('resource_type', '=', type)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toStored<T>(row) : undefined;
}

/** Puts id, meta.versionId and meta.lastUpdated (kept in columns) back on the stored JSON. */
export function toStored<T extends Resource = Resource>(row: StoredRowFields): StoredResource<T> {
  const json = (typeof row.resource === 'string' ? JSON.parse(row.resource) : row.resource) as T;
  const lastUpdated = row.last_updated;
  const resource = {
    ...json,
    id: row.id,
    meta: { ...json.meta, versionId: String(row.version_id), lastUpdated: lastUpdated.toISOString() },
  } as T;
  return { resource, versionId: row.version_id, lastUpdated };
}

export async function deleteResource(
  db: Db,
  userId: number,
  type: StoredResourceType,
  id: string,
): Promise<ResourceKey | undefined> {
  return db
    .deleteFrom('fhir_resources')
    .where('user_id', '=', userId)
    .where('resource_type', '=', type)
    .where('id', '=', id)
    .returning(['resource_type', 'id', 'identifier'])
    .executeTakeFirst() as Promise<ResourceKey | undefined>;
}

export async function deleteAllForUser(db: Db, userId: number): Promise<ResourceKey[]> {
  return (await db
    .deleteFrom('fhir_resources')
    .where('user_id', '=', userId)
    .returning(['resource_type', 'id', 'identifier'])
    .execute()) as ResourceKey[];
}

export async function findResourcesByIds(
  db: Db,
  userId: number,
  type: StoredResourceType,
  ids: string[],
): Promise<StoredResource[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('fhir_resources')
    .select(['id', 'resource', 'version_id', 'last_updated'])
    .where('user_id', '=', userId)
    .where('resource_type', '=', type)
    .where('id', 'in', ids)
    .execute();
  return rows.map((r) => toStored(r));
}

/** Which of `ids` the user holds as `type` (ids only: reference checks of user writes). */
export async function findOwnedIds(
  db: Db,
  userId: number,
  type: StoredResourceType,
  ids: string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('fhir_resources')
    .select('id')
    .where('user_id', '=', userId)
    .where('resource_type', '=', type)
    .where('id', 'in', ids)
    .execute();
  return rows.map((r) => r.id);
}

/** Ids of the user's Observations of one type whose identifier starts with the prefix, on local dates [start, end]. */
export async function findObservationIdsOn(
  db: Db,
  userId: number,
  query: { type: string; identifierPrefix: string; start: string; end: string },
): Promise<string[]> {
  const rows = await db
    .selectFrom('fhir_resources')
    .select('id')
    .where('user_id', '=', userId)
    .where('resource_type', '=', 'Observation')
    .where('type', '=', query.type)
    .where('identifier', 'like', `${query.identifierPrefix.replace(/[\\%_]/g, '\\$&')}%`)
    .where(sql<boolean>`local_date between ${query.start}::date and ${query.end}::date`)
    .execute();
  return rows.map((r) => r.id);
}
