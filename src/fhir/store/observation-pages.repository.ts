/**
 * Pages of a person's Observations for the health API's pages and exports, filtered on the owner
 * (observation-conditions.ts). The hot queries are prepared statements
 * compiled once per shape (src/db/prepared.ts).
 *
 *   pageKeys(db, userId, filter, { sort, after, limit })         -> { rows: [{ id, content_hash }], next }
 *     (the page query's keys read back as one text)
 *   findStoredJson(db, userId, ids)                              -> [{ id, content_hash, resource (stored JSON) }]
 *   pageObservations(db, userId, filter, { sort, after, limit }) -> { resources (meta put back), next }
 */
import type { Observation } from '@medplum/fhirtypes';
import { type SqlBool, sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { preparedStatement } from '../../db/prepared.ts';
import { type StoredRowFields, toStored } from './fhir.repository.ts';
import { observationConditions } from './observation-conditions.ts';
import type {
  Bound,
  ObservationFilter,
  ObservationKey,
  ObservationKeyset,
  ObservationSort,
} from './observation-filter.ts';

const micros = sql<string>`(extract(epoch from effective_start) * 1000000)::bigint::text`;
const fromMicros = (m: string) => sql`(timestamptz 'epoch' + ${m}::bigint * interval '1 microsecond')`;

export interface PageRequest {
  sort: ObservationSort;
  after?: ObservationKeyset | undefined;
  limit: number;
  /** Select the resource, version_id and last_updated (exports) instead of content_hash (pages). */
  full?: boolean;
}

interface PageInput {
  userId: number;
  filter: ObservationFilter;
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

// Prepared: every branch is an equality on the index's leading columns (user, type) or the
// (user, date) index, so the generic plan is the best plan whatever the values.
/** The page query (exports: `full`). Exported for tests. */
export const pageStatement = preparedStatement(
  (db, p: PageInput) => pageQuery(db, p.userId, p.filter, p.page),
  pageShape,
);
/** The page query's keys aggregated into one text, in the page's order (`pageKeys`). Exported for tests. */
export const keysStatement = preparedStatement(
  (db, p: PageInput) => keysQuery(db, p.userId, p.filter, p.page),
  pageShape,
);
const storedJsonStatement = preparedStatement(
  (db, p: { userId: number; ids: string[] }) =>
    db
      .selectFrom('fhir_resources')
      .select(['id', 'content_hash', 'resource'])
      .where('user_id', '=', p.userId)
      .where(sql<SqlBool>`resource_type = 'Observation'`)
      .where(sql<SqlBool>`id = any(${p.ids}::text[])`),
  (p, slot) => ({ userId: slot(p.userId), ids: slot(p.ids) }),
);

/**
 * The page's ids and content hashes only: the health API renders items from a cache keyed on them
 * (src/health/rendered-items.ts) and reads the stored JSON of the ones it lacks (`findStoredJson`).
 */
export async function pageKeys(
  db: Db,
  userId: number,
  filter: ObservationFilter,
  page: Omit<PageRequest, 'full'>,
): Promise<{ rows: ObservationKey[]; next: ObservationKeyset | undefined }> {
  const [row] = await keysStatement.execute(db, { userId, filter, page });
  return splitPage(row?.keys ? parseKeys(row.keys) : [], page.limit);
}

/** The stored JSON of a person's Observations by id (the ones a page lists and no cache holds). */
export async function findStoredJson(
  db: Db,
  userId: number,
  ids: string[],
): Promise<(ObservationKey & { resource: string })[]> {
  return storedJsonStatement.execute(db, { userId, ids });
}

/** The page's Observations with id and meta.versionId / lastUpdated put back (exports). */
export async function pageObservations(
  db: Db,
  userId: number,
  filter: ObservationFilter,
  page: Omit<PageRequest, 'full'>,
): Promise<{ resources: Observation[]; next: ObservationKeyset | undefined }> {
  const rows = await pageStatement.execute(db, { userId, filter, page: { ...page, full: true } });
  const { rows: list, next } = splitPage(rows, page.limit);
  // `full` selects the resource, version_id and last_updated.
  const resources = list.map((r) => toStored<Observation>(r as StoredRowFields).resource);
  return { resources, next };
}

/** The limit + 1 rows a page query reads -> the page, and the keyset after it when there is more. */
function splitPage<R extends { id: string; k: string }>(
  rows: R[],
  limit: number,
): { rows: R[]; next: ObservationKeyset | undefined } {
  const list = rows.length > limit ? rows.slice(0, limit) : rows;
  const last = list[list.length - 1];
  const next = rows.length > limit && last ? { startMicros: last.k, id: last.id } : undefined;
  return { rows: list, next };
}

/**
 * `id,k,content_hash` per row, rows separated by `;`: FHIR ids ([A-Za-z0-9.-]), sort keys (digits)
 * and hashes (base64url) hold neither. One text instead of a row of three fields per item, which
 * pg would decode into an array, an object and three strings per row (bench/api/README.md).
 */
function parseKeys(text: string): (ObservationKey & { k: string })[] {
  return text.split(';').map((r) => {
    const a = r.indexOf(',');
    const b = r.indexOf(',', a + 1);
    return { id: r.slice(0, a), k: r.slice(a + 1, b), content_hash: r.slice(b + 1) };
  });
}

/** The page query's keys aggregated into one text (`pageKeys`); exported for tests. */
export function keysQuery(db: Db, userId: number, filter: ObservationFilter, page: PageRequest) {
  const dir = sql.raw(page.sort === '-date' ? 'desc' : 'asc');
  return db.selectFrom(sql<PageRow>`(${pageQuery(db, userId, filter, page)})`.as('p')).select(
    sql<string | null>`string_agg(p.id || ',' || p.k || ',' || p.content_hash, ';'
        order by p.k::bigint ${dir}, p.id ${dir})`.as('keys'),
  );
}

/**
 * The page's query (limit + 1 rows, to know whether there is a next page); exported for EXPLAIN tests.
 * Several types: one ordered, limited index scan per type, merged in order (Merge Append), so a page
 * reads at most limit + 1 rows per type whatever the range; one scan over all the types' rows in
 * the range would read and sort every row (a year of three daily types: 1,095 rows for a page of 50).
 */
export function pageQuery(db: Db, userId: number, filter: ObservationFilter, page: PageRequest) {
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
function pageBranch(db: Db, userId: number, filter: ObservationFilter, page: PageRequest, withStart = false) {
  const desc = page.sort === '-date';
  let q = db
    .selectFrom('fhir_resources')
    .select(['id', micros.as('k')])
    .$if(withStart, (qb) => qb.select('effective_start'))
    // The health API renders items from a cache keyed on the content hash (and reads the JSON of
    // the ones it lacks); exports read the resources and their version columns (meta rebuilt).
    .$if(page.full !== true, (qb) => qb.select('content_hash'))
    .$if(page.full === true, (qb) => qb.select(['resource', 'version_id', 'last_updated']))
    .where((eb) => eb.and(observationConditions(eb, userId, filter)));
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
