/**
 * Keyset-paged Observation queries for FHIR search and for the health API.
 *
 *   queryObservations(db, userId, query) -> { rows: StoredResource[], next: Keyset | undefined }
 *   countObservations(db, userId, query) -> number
 *
 * Dates follow R4 search.html: a search value is the range its precision implies, [ps, pe), and the
 * target is effective[x] as the half-open range [ts, te) stored at write time.
 */

import type { Observation } from '@medplum/fhirtypes';
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { Database } from '../../db/schema.ts';
import { CODES } from '../codes.ts';
import { type StoredResource, toStored } from './fhir.repository.ts';

export type DatePrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
/** One date search value: a prefix and the range [start, end) its precision implies (epoch ms). */
export interface DateCondition {
  prefix: DatePrefix;
  start: number;
  end: number;
}
export interface TokenCondition {
  system?: string | undefined;
  code: string;
}
export type ObservationSort = 'date' | '-date' | '_lastUpdated' | '-_lastUpdated';
/** Opaque to clients: the sort column's value as PostgreSQL text, and the id. */
export interface Keyset {
  value: string;
  id: string;
}

export interface ObservationQuery {
  ids?: string[];
  /** AND of ORs of tokens against code.coding. */
  codes?: TokenCondition[][];
  categories?: TokenCondition[][];
  statuses?: string[];
  /** `system|value`. */
  identifiers?: string[];
  /** Measurement types (health API). */
  types?: string[];
  sources?: string[];
  /** AND of ORs. */
  dates?: DateCondition[][];
  lastUpdated?: DateCondition[][];
  /** Health API: effective start in [from, to). */
  effectiveFrom?: Date;
  effectiveTo?: Date;
  sort: ObservationSort;
  after?: Keyset;
  limit: number;
  /** For `ap`: "now", from the app clock. */
  now?: Date;
}

type Eb = ExpressionBuilder<Database, 'fhir_resources'>;

export async function queryObservations(
  db: Db,
  userId: number,
  query: ObservationQuery,
): Promise<{ rows: StoredResource<Observation>[]; next: Keyset | undefined }> {
  const byDate = query.sort === 'date' || query.sort === '-date';
  const desc = query.sort.startsWith('-');
  const col = byDate ? sql.ref('effective_start') : sql.ref('last_updated');
  let q = db
    .selectFrom('fhir_resources')
    .select(['id', 'resource', 'version_id', 'last_updated', sql<string>`${col}::text`.as('sort_value')])
    .where((eb) => eb.and(filters(eb, userId, query)));
  if (byDate) q = q.where('effective_start', 'is not', null);
  if (query.after) {
    const { value, id } = query.after;
    q = desc
      ? q.where(sql<SqlBool>`(${col}, id) < (${value}::timestamptz, ${id})`)
      : q.where(sql<SqlBool>`(${col}, id) > (${value}::timestamptz, ${id})`);
  }
  const dir = desc ? 'desc' : 'asc';
  const rows = await q
    .orderBy(byDate ? 'effective_start' : 'last_updated', dir)
    .orderBy('id', dir)
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next = rows.length > query.limit && last ? { value: last.sort_value, id: last.id } : undefined;
  return { rows: page.map((r) => toStored<Observation>(r)), next };
}

export async function countObservations(db: Db, userId: number, query: ObservationQuery): Promise<number> {
  const row = await db
    .selectFrom('fhir_resources')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb.and(filters(eb, userId, query)))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function filters(eb: Eb, userId: number, query: ObservationQuery): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [eb('user_id', '=', userId), eb('resource_type', '=', 'Observation')];
  if (query.ids) out.push(eb('id', 'in', nonEmpty(query.ids)));
  if (query.statuses) out.push(eb('status', 'in', nonEmpty(query.statuses)));
  if (query.identifiers) out.push(eb('identifier', 'in', nonEmpty(query.identifiers)));
  if (query.types) out.push(eb('type', 'in', nonEmpty(query.types)));
  if (query.sources) out.push(eb('source_vendor', 'in', nonEmpty(query.sources)));
  for (const any of query.codes ?? []) out.push(eb.or(any.flatMap((t) => codeToken(eb, t))));
  for (const any of query.categories ?? []) out.push(eb.or(any.map((t) => categoryToken(eb, t))));
  if (query.effectiveFrom) out.push(eb('effective_start', '>=', query.effectiveFrom));
  if (query.effectiveTo) out.push(eb('effective_start', '<', query.effectiveTo));
  const now = (query.now ?? new Date()).getTime();
  for (const any of query.dates ?? []) {
    out.push(eb.or(any.map((d) => dateMatch(sql.ref('effective_start'), sql.ref('effective_end'), d, now))));
  }
  for (const any of query.lastUpdated ?? []) {
    const lu = sql.ref('last_updated');
    out.push(eb.or(any.map((d) => dateMatch(lu, sql`(${lu} + interval '1 microsecond')`, d, now))));
  }
  return out;
}

function nonEmpty(values: string[]): string[] {
  return values.length > 0 ? values : ['\u0000'];
}

/**
 * A code token matches the primary coding through the index. A secondary coding of one of our
 * types (SpO2's 59408-5) matches too: the index narrows to that type's primary code, the JSON decides.
 */
function codeToken(eb: Eb, t: TokenCondition): Expression<SqlBool>[] {
  const primary =
    t.system === undefined
      ? eb('code', '=', t.code)
      : eb.and([eb('code', '=', t.code), eb('code_system', '=', t.system)]);
  const out = [primary];
  for (const entry of Object.values(CODES)) {
    const [first, ...rest] = entry.coding;
    const alias = rest.find((c) => c.code === t.code && (t.system === undefined || c.system === t.system));
    if (!alias) continue;
    const coding = JSON.stringify({ code: { coding: [{ system: alias.system, code: alias.code }] } });
    out.push(
      eb.and([
        eb('code', '=', first.code),
        eb('code_system', '=', first.system),
        sql<SqlBool>`resource::jsonb @> ${coding}::jsonb`,
      ]),
    );
  }
  return out;
}

function categoryToken(eb: Eb, t: TokenCondition): Expression<SqlBool> {
  if (t.system === undefined) return eb('category', '=', t.code);
  const coding = JSON.stringify({ category: [{ coding: [{ system: t.system, code: t.code }] }] });
  return eb.and([eb('category', '=', t.code), sql<SqlBool>`resource::jsonb @> ${coding}::jsonb`]);
}

/**
 * R4 search.html prefixes over ranges. Target T = [ts, te), search S = [ps, pe):
 * eq S contains T; ne not eq; gt te > pe; lt ts < ps; ge gt or eq; le lt or eq;
 * sa ts >= pe; eb te <= ps; ap T overlaps S widened by 10% of its distance from now.
 * Implied bounds on ts are added so the (…, effective_start) indexes can bound the scan.
 */
function dateMatch(
  ts: Expression<unknown>,
  te: Expression<unknown>,
  d: DateCondition,
  nowMs: number,
): Expression<SqlBool> {
  const ps = new Date(d.start);
  const pe = new Date(d.end);
  const contained = sql<SqlBool>`(${ts} >= ${ps} and ${te} <= ${pe})`;
  switch (d.prefix) {
    case 'eq':
      return sql<SqlBool>`(${contained} and ${ts} < ${pe})`;
    case 'ne':
      return sql<SqlBool>`not ${contained}`;
    case 'gt':
      return sql<SqlBool>`${te} > ${pe}`;
    case 'lt':
      return sql<SqlBool>`${ts} < ${ps}`;
    case 'ge':
      return sql<SqlBool>`(${te} > ${pe} or ${contained})`;
    case 'le':
      return sql<SqlBool>`((${ts} < ${ps} or ${contained}) and ${ts} < ${pe})`;
    case 'sa':
      return sql<SqlBool>`${ts} >= ${pe}`;
    case 'eb':
      return sql<SqlBool>`(${te} <= ${ps} and ${ts} < ${ps})`;
    case 'ap': {
      const widen = Math.abs(nowMs - d.start) * 0.1;
      const lo = new Date(d.start - widen);
      const hi = new Date(d.end + widen);
      return sql<SqlBool>`(${ts} < ${hi} and ${te} > ${lo})`;
    }
  }
}
