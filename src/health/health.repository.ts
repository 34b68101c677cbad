/**
 * Health API reads over the FHIR store's table (`fhir_resources`, src/fhir/store). Every query
 * filters on the owner and on Observation rows, and bounds `effective_start` so the
 * (user_id, type, effective_start desc, id desc) index drives it.
 *
 *   pageKeys(db, userId, filter, { sort, after, limit })         -> { rows: [{ id, content_hash }], next }
 *     (the page query's keys read back as one text)
 *   findStoredJson(db, userId, ids)                              -> [{ id, content_hash, resource (stored JSON) }]
 *   pageObservations(db, userId, filter, { sort, after, limit }) -> { resources (meta put back), next }
 *   summarize(db, userId, type, range, bucket)                   -> [{ bucket, count, min, max, avg, sum }]
 *     (date bounds: from the per-day rollup observation_days)
 *   findTimeZone(db, userId)                                     -> users.time_zone | null | undefined (no user)
 *
 * A daily total (a date-only effectiveDateTime: a [local midnight, +24 h) range) matches a
 * date-only bound by its `local_date`; everything else by its instant. The effective_start bound
 * for the index is widened by a day so those daily rows (at most ±14 h away) are still scanned.
 */
import type { Observation } from '@medplum/fhirtypes';
import { type CompiledQuery, type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { compileByShape, executePrepared } from '../db/prepared.ts';
import type { Database } from '../db/schema.ts';
import { type StoredRowFields, toStored } from '../fhir/store/fhir.repository.ts';
import type { Bound, HealthFilter, HealthKeyset, HealthRange, HealthSort } from './health.query-parser.ts';
import type { ItemKey } from './rendered-items.ts';

type Eb = ExpressionBuilder<Database, 'fhir_resources'>;
export type Bucket = 'day' | 'week' | 'month';

const micros = sql<string>`(extract(epoch from effective_start) * 1000000)::bigint::text`;
const fromMicros = (m: string) => sql`(timestamptz 'epoch' + ${m}::bigint * interval '1 microsecond')`;

export interface PageRequest {
  sort: HealthSort;
  after?: HealthKeyset | undefined;
  limit: number;
  /** Select the resource, version_id and last_updated (exports) instead of content_hash (pages). */
  full?: boolean;
}

/**
 * The page's ids and content hashes only: the health API renders items from a cache keyed on them
 * (src/health/rendered-items.ts) and reads the stored JSON of the ones it lacks (`findStoredJson`).
 */
export async function pageKeys(
  db: Db,
  userId: number,
  filter: HealthFilter,
  page: Omit<PageRequest, 'full'>,
): Promise<{ rows: ItemKey[]; next: HealthKeyset | undefined }> {
  const [row] = await executePrepared(db, compiledKeysQuery(db, { userId, filter, page }));
  return splitPage(row?.keys ? parseKeys(row.keys) : [], page.limit);
}

/** The limit + 1 rows a page query reads -> the page, and the keyset after it when there is more. */
function splitPage<R extends { id: string; k: string }>(
  rows: R[],
  limit: number,
): { rows: R[]; next: HealthKeyset | undefined } {
  const list = rows.length > limit ? rows.slice(0, limit) : rows;
  const last = list[list.length - 1];
  const next = rows.length > limit && last ? { startMicros: last.k, id: last.id } : undefined;
  return { rows: list, next };
}

/**
 * `id,k,content_hash` per row, rows separated by `;`: FHIR ids ([A-Za-z0-9.-]), sort keys (digits)
 * and hashes (base64url) hold neither. One text instead of 51 rows of three fields, whose decoding
 * by pg (an array, an object and three strings per row) the server paid for on every page
 * (bench/api/README.md).
 */
function parseKeys(text: string): (ItemKey & { k: string })[] {
  return text.split(';').map((r) => {
    const a = r.indexOf(',');
    const b = r.indexOf(',', a + 1);
    return { id: r.slice(0, a), k: r.slice(a + 1, b), content_hash: r.slice(b + 1) };
  });
}

/** The page's Observations with id and meta.versionId / lastUpdated put back (exports). */
export async function pageObservations(
  db: Db,
  userId: number,
  filter: HealthFilter,
  page: Omit<PageRequest, 'full'>,
): Promise<{ resources: Observation[]; next: HealthKeyset | undefined }> {
  const { rows, next } = await runPage(db, userId, filter, { ...page, full: true });
  // `full` selects the resource, version_id and last_updated.
  const resources = rows.map((r) => toStored<Observation>(r as StoredRowFields).resource);
  return { resources, next };
}

/** The stored JSON of a person's Observations by id (the ones a page lists and no cache holds). */
export async function findStoredJson(
  db: Db,
  userId: number,
  ids: string[],
): Promise<(ItemKey & { resource: string })[]> {
  return executePrepared(
    db,
    db
      .selectFrom('fhir_resources')
      .select(['id', 'content_hash', 'resource'])
      .where('user_id', '=', userId)
      .where(sql<SqlBool>`resource_type = 'Observation'`)
      .where(sql<SqlBool>`id = any(${ids}::text[])`),
  );
}

interface PageInput {
  userId: number;
  filter: HealthFilter;
  page: PageRequest;
}

/** The values of a page request as slots: what is left is its shape (src/db/prepared.ts). */
function pageShape({ userId, filter, page }: PageInput, slot: (value: unknown) => never): PageInput {
  const bound = (b: Bound | undefined) =>
    b && { instant: slot(b.instant), ...(b.date === undefined ? {} : { date: slot(b.date) }) };
  const from = bound(filter.from);
  const to = bound(filter.to);
  return {
    userId: slot(userId),
    filter: {
      ...(filter.types ? { types: filter.types.map(slot) } : {}),
      ...(filter.sources ? { sources: filter.sources.map(slot) } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    },
    page: {
      sort: page.sort,
      limit: slot(page.limit),
      ...(page.after
        ? { after: { startMicros: slot(page.after.startMicros), id: slot(page.after.id) } }
        : {}),
      ...(page.full === undefined ? {} : { full: page.full }),
    },
  };
}

const compiledPages = new WeakMap<Db, (input: PageInput) => CompiledQuery<PageRow>>();

/** The page query compiled once per shape and database handle, its values filled in per call. */
export function compiledPageQuery(db: Db, input: PageInput): CompiledQuery<PageRow> {
  let compile = compiledPages.get(db);
  if (!compile) {
    compile = compileByShape((p: PageInput) => pageQuery(db, p.userId, p.filter, p.page), pageShape);
    compiledPages.set(db, compile);
  }
  return compile(input);
}

const compiledKeys = new WeakMap<Db, (input: PageInput) => CompiledQuery<{ keys: string | null }>>();

/** The page query's keys aggregated into one text, in the page's order (`pageKeys`). */
export function compiledKeysQuery(db: Db, input: PageInput): CompiledQuery<{ keys: string | null }> {
  let compile = compiledKeys.get(db);
  if (!compile) {
    compile = compileByShape((p: PageInput) => keysQuery(db, p.userId, p.filter, p.page), pageShape);
    compiledKeys.set(db, compile);
  }
  return compile(input);
}

/** Exported for tests. */
export function keysQuery(db: Db, userId: number, filter: HealthFilter, page: PageRequest) {
  const dir = sql.raw(page.sort === '-date' ? 'desc' : 'asc');
  return db.selectFrom(sql<PageRow>`(${pageQuery(db, userId, filter, page)})`.as('p')).select(
    sql<string | null>`string_agg(p.id || ',' || p.k || ',' || p.content_hash, ';'
        order by p.k::bigint ${dir}, p.id ${dir})`.as('keys'),
  );
}

async function runPage(db: Db, userId: number, filter: HealthFilter, page: PageRequest) {
  // Prepared: every branch is an equality on the index's leading columns (user, type) or the
  // (user, date) index, so the generic plan is the best plan whatever the values.
  return splitPage(await executePrepared(db, compiledPageQuery(db, { userId, filter, page })), page.limit);
}

/**
 * The page's query (limit + 1 rows, to know whether there is a next page); exported for EXPLAIN tests.
 * Several types: one ordered, limited index scan per type, merged in order (Merge Append), so a page
 * reads at most limit + 1 rows per type whatever the range; one scan over all the types' rows in
 * the range would read and sort every row (a year of three daily types: 1,095 rows for a page of 50).
 */
export function pageQuery(db: Db, userId: number, filter: HealthFilter, page: PageRequest) {
  const types = filter.types;
  if (!types || types.length < 2) return pageBranch(db, userId, filter, page);
  const branches = types.map((type) => pageBranch(db, userId, { ...filter, types: [type] }, page, true));
  const merged = sql<PageRow & { effective_start: Date }>`(${sql.join(
    branches.map((b) => sql`(${b})`),
    sql` union all `,
  )})`.as('merged');
  const dir = page.sort === '-date' ? 'desc' : 'asc';
  return db
    .selectFrom(merged)
    .select(['id', 'k'])
    .$if(page.full !== true, (qb) => qb.select('content_hash'))
    .$if(page.full === true, (qb) => qb.select(['resource', 'version_id', 'last_updated']))
    .orderBy('effective_start', dir)
    .orderBy('id', dir)
    .limit(sql<number>`${page.limit}::int + 1`);
}

interface PageRow {
  id: string;
  k: string;
  /** Without `full`. */
  content_hash?: string;
  /** Only with `full`. */
  resource?: string;
  version_id?: number;
  last_updated?: Date;
}

/** One ordered index range scan; `withStart` also selects the sort key for a merge above it. */
function pageBranch(db: Db, userId: number, filter: HealthFilter, page: PageRequest, withStart = false) {
  const desc = page.sort === '-date';
  let q = db
    .selectFrom('fhir_resources')
    .select(['id', micros.as('k')])
    .$if(withStart, (qb) => qb.select('effective_start'))
    // The health API renders items from a cache keyed on the content hash (and reads the JSON of
    // the ones it lacks); exports read the resources and their version columns (meta rebuilt).
    .$if(page.full !== true, (qb) => qb.select('content_hash'))
    .$if(page.full === true, (qb) => qb.select(['resource', 'version_id', 'last_updated']))
    .where((eb) => eb.and(conditions(eb, userId, filter)));
  if (page.after) {
    const at = fromMicros(page.after.startMicros);
    q = q.where(
      desc
        ? sql<SqlBool>`(effective_start, id) < (${at}, ${page.after.id})`
        : sql<SqlBool>`(effective_start, id) > (${at}, ${page.after.id})`,
    );
  }
  const dir = desc ? 'desc' : 'asc';
  return q.orderBy('effective_start', dir).orderBy('id', dir).limit(sql<number>`${page.limit}::int + 1`);
}

// What one row contributes to a summary, as the rollup's triggers count it (migration 0011): a
// window of samples its readings, any other Observation its value.
const rowValues = sql`coalesce(sample_count, (value is not null)::int)`;
const rowMin = sql`case when sample_count is null then value else sample_min end`;
const rowMax = sql`case when sample_count is null then value else sample_max end`;
const rowSum = sql`case when sample_count is null then value else sample_sum end`;

export interface BucketRow {
  bucket: string;
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  sum: number | null;
}

/**
 * One row per local bucket with data. Buckets group on the measurement's `local_date`
 * (date_trunc to ISO week or month). Values are each Observation's `valueQuantity.value`, and for a
 * window of samples (intraday heart rate) its samples: count = readings, min/max the lowest and
 * highest reading, avg weighs every reading once (migration 0011).
 */
export async function summarize(
  db: Db,
  userId: number,
  type: string,
  range: HealthRange,
  bucket: Bucket,
): Promise<BucketRow[]> {
  // count is cast to int in SQL: both drivers return it as a number, no per-row copy needed.
  // Prepared: equality on the rollup's key prefix (user, type), or on the (user, type, date) index.
  // The buckets come back as one JSON text (an array of [bucket, count, min, max, avg, sum]), parsed
  // natively: decoding 365 rows of six fields through the driver cost the server more than building
  // the text costs PostgreSQL (bench/api/README.md), and the event loop is the scarcer resource:
  // PostgreSQL spreads over its backends, the server has one thread. Every number is finite
  // (toResourceRow keeps no other).
  const inner = summaryQuery(db, userId, type, range, bucket);
  const [row] = await executePrepared(
    db,
    sql<{ buckets: string }>`select '[' || coalesce(string_agg('["' || bucket || '",' || count || ','
      || coalesce(min::text, 'null') || ',' || coalesce(max::text, 'null') || ','
      || coalesce(avg::text, 'null') || ',' || coalesce(sum::text, 'null') || ']', ',' order by bucket), '')
      || ']' as buckets from (${inner}) b`.compile(db),
  );
  const buckets = JSON.parse(row?.buckets ?? '[]') as [
    string,
    number,
    number | null,
    number | null,
    number | null,
    number | null,
  ][];
  return buckets.map(([b, count, min, max, avg, sum]) => ({ bucket: b, count, min, max, avg, sum }));
}

/**
 * Bounds that are local dates (or none) read the per-day rollup `observation_days` (kept by
 * triggers, migration 0007): a year of hourly heart-rate windows is 365 rows, not 8,760. A bound
 * with a time of day cuts through a day, so those summaries aggregate the observations themselves.
 */
export function summaryQuery(db: Db, userId: number, type: string, range: HealthRange, bucket: Bucket) {
  // Grouped on the date, formatted once per bucket (not per row). The unit is a literal so the
  // select list and GROUP BY hold the same expression (bucket is one of three known words).
  const key =
    bucket === 'day' ? sql`local_date` : sql`date_trunc(${sql.lit(bucket)}, local_date::timestamp)::date`;
  const byDay = [range.from, range.to].every((b) => b === undefined || b.date !== undefined);
  if (byDay) {
    return db
      .selectFrom('observation_days')
      .select([
        sql<string>`(${key})::text`.as('bucket'),
        sql<number>`sum(n_values)::int`.as('count'),
        sql<number | null>`min(min)`.as('min'),
        sql<number | null>`max(max)`.as('max'),
        sql<number | null>`sum(sum) / nullif(sum(n_values), 0)`.as('avg'),
        sql<number | null>`sum(sum)`.as('sum'),
      ])
      .where('user_id', '=', userId)
      .where('type', '=', type)
      .$if(range.from !== undefined, (q) => q.where(sql<SqlBool>`local_date >= ${range.from?.date}::date`))
      .$if(range.to !== undefined, (q) => q.where(sql<SqlBool>`local_date < ${range.to?.date}::date`))
      .groupBy(key)
      .orderBy(key);
  }
  return db
    .selectFrom('fhir_resources')
    .select([
      sql<string>`(${key})::text`.as('bucket'),
      sql<number>`sum(${rowValues})::int`.as('count'),
      sql<number | null>`min(${rowMin})`.as('min'),
      sql<number | null>`max(${rowMax})`.as('max'),
      sql<number | null>`sum(${rowSum}) / nullif(sum(${rowValues}), 0)`.as('avg'),
      sql<number | null>`sum(${rowSum})`.as('sum'),
    ])
    .where((eb) =>
      eb.and(conditions(eb, userId, { types: [type] as HealthFilter['types'], ...range }, 'local')),
    )
    .where('local_date', 'is not', null)
    .groupBy(key)
    .orderBy(key);
}

export async function findTimeZone(db: Db, userId: number): Promise<string | null | undefined> {
  const row = await db.selectFrom('users').select('time_zone').where('id', '=', userId).executeTakeFirst();
  return row ? row.time_zone : undefined;
}

/**
 * `dateMode`: 'mixed' (observations: daily totals by local date, the rest by instant) or
 * 'local' (summary: every row by its local date, so buckets and bounds agree).
 */
function conditions(
  eb: Eb,
  userId: number,
  filter: HealthFilter,
  dateMode: 'mixed' | 'local' = 'mixed',
): Expression<SqlBool>[] {
  // 'Observation' as a literal: the partial indexes' predicate must match a prepared (generic) plan.
  const out: Expression<SqlBool>[] = [
    eb('user_id', '=', userId),
    sql<SqlBool>`resource_type = 'Observation'`,
  ];
  const types = filter.types;
  if (types && types.length === 1) out.push(eb('type', '=', types[0]!));
  else if (types) out.push(eb('type', 'in', types));
  else out.push(eb('type', 'is not', null));
  if (filter.sources) out.push(eb('source_vendor', 'in', filter.sources));
  out.push(eb('effective_start', '>', sql<Date>`'-infinity'::timestamptz`));
  out.push(eb('effective_start', '<', sql<Date>`'infinity'::timestamptz`));
  if (filter.from) out.push(...bound(eb, filter.from, '>=', dateMode));
  if (filter.to) out.push(...bound(eb, filter.to, '<', dateMode));
  return out;
}

function bound(eb: Eb, b: Bound, op: '>=' | '<', dateMode: 'mixed' | 'local'): Expression<SqlBool>[] {
  if (b.date === undefined) return [eb('effective_start', op, b.instant)];
  // In SQL, not JS: the page query is compiled once per shape with the values as parameters.
  const widened = sql<Date>`${b.instant}::timestamptz ${sql.raw(op === '>=' ? '-' : '+')} interval '24 hours'`;
  const byDate = sql<SqlBool>`local_date ${sql.raw(op)} ${b.date}::date`;
  if (dateMode === 'local') return [eb('effective_start', op, widened), byDate];
  const byInstant = sql<SqlBool>`effective_start ${sql.raw(op)} ${b.instant}`;
  return [
    eb('effective_start', op, widened),
    sql<SqlBool>`(case when daily then ${byDate} else ${byInstant} end)`,
  ];
}
