/**
 * The FHIR resource table. Every function takes the owner's user id and filters on it.
 *
 *   upsertRows(db, userId, rows, now)         -> changed rows (created or updated); unchanged rows are not returned
 *   findResource(db, userId, type, id)         -> StoredResource | undefined
 *   deleteResource(db, userId, type, id)       -> the deleted key | undefined
 *   deleteAllForUser(db, userId)               -> every deleted key
 *   listResources(db, userId, type, afterId, limit) -> a page of a user's resources of a type, by id
 */

import type { Resource } from '@medplum/fhirtypes';
import { sql } from 'kysely';
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
 * The batch travels as one array per column and the resource JSON as one text of lines, so the
 * statement has 21 parameters whatever the batch size: far less PostgreSQL CPU than one
 * `jsonb_to_recordset` document (bench/fhir/README.md); the resources are stored as the text
 * they are (no jsonb parse), and an unchanged row costs one index probe.
 */
async function runUpsert(
  db: Db,
  userId: number,
  rows: readonly ResourceRow[],
  now: Date,
  target: 'identifier' | 'id',
): Promise<ChangedRow[]> {
  const col = <K extends keyof ResourceRow>(k: K) => rows.map((r) => r[k]);
  const lines = jsonLines(rows);
  const conflict =
    target === 'identifier' ? sql`(user_id, resource_type, identifier)` : sql`(resource_type, id)`;
  const same =
    target === 'identifier'
      ? sql`f.resource_type = t.resource_type and f.id = t.id and f.user_id = ${userId} and f.identifier = t.identifier`
      : sql`f.resource_type = t.resource_type and f.id = t.id and f.user_id = ${userId}`;
  // A scalar subquery, not `not exists`: the planner turns the latter into a hash anti join over
  // all of the user's rows, per batch; this stays one probe of a unique index per row.
  // A row with the same id owned by someone else is never overwritten.
  const owner = target === 'id' ? sql`and fhir_resources.user_id = excluded.user_id` : sql``;
  const result = await sql<ChangedRow>`
    insert into fhir_resources (resource_type, id, user_id, identifier, type, code, code_system, category,
      effective_start, effective_end, local_date, status, source_vendor, value, sample_count, sample_min,
      sample_max, sample_sum, daily, version_id, last_updated, content_hash, resource)
    select t.resource_type, t.id, ${userId}, t.identifier, t.type, t.code, t.code_system, t.category,
      t.effective_start, t.effective_end, t.local_date, t.status, t.source_vendor, t.value, t.sample_count,
      t.sample_min, t.sample_max, t.sample_sum, t.daily, 1, ${now}, t.content_hash, t.json
    from unnest(${col('resource_type')}::text[], ${col('id')}::text[], ${col('identifier')}::text[],
      ${col('type')}::text[], ${col('code')}::text[], ${col('code_system')}::text[], ${col('category')}::text[],
      ${col('effective_start')}::timestamptz[], ${col('effective_end')}::timestamptz[],
      ${col('local_date')}::date[], ${col('status')}::text[], ${col('source_vendor')}::text[],
      ${col('value')}::float8[], ${col('sample_count')}::integer[], ${col('sample_min')}::float8[],
      ${col('sample_max')}::float8[], ${col('sample_sum')}::float8[], ${col('daily')}::bool[],
      ${col('content_hash')}::text[], string_to_array(${lines}::text, E'\\n'))
      as t(resource_type, id, identifier, type, code, code_system, category, effective_start, effective_end,
        local_date, status, source_vendor, value, sample_count, sample_min, sample_max, sample_sum, daily,
        content_hash, json)
    where (select f.content_hash from fhir_resources f where ${same}) is distinct from t.content_hash
    on conflict ${conflict} do update set
      type = excluded.type, code = excluded.code, code_system = excluded.code_system,
      category = excluded.category, effective_start = excluded.effective_start,
      effective_end = excluded.effective_end, local_date = excluded.local_date, status = excluded.status,
      source_vendor = excluded.source_vendor, value = excluded.value, sample_count = excluded.sample_count,
      sample_min = excluded.sample_min, sample_max = excluded.sample_max, sample_sum = excluded.sample_sum,
      daily = excluded.daily, version_id = fhir_resources.version_id + 1,
      last_updated = excluded.last_updated, content_hash = excluded.content_hash, resource = excluded.resource
    where fhir_resources.content_hash is distinct from excluded.content_hash ${owner}
    returning resource_type, id, identifier, version_id, (xmax = 0) as inserted
  `.execute(db);
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
