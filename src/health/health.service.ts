/**
 * The vendor-agnostic health API (docs/api.md "Health data"): principal first, repository below.
 *
 *   listObservations(principal, query) -> RenderedPage (HealthObservationsResponse as rendered
 *                                        items; sent by src/http/rendered-page.ts)
 *   summary(principal, query)          -> { type, unit, bucket, time_zone, buckets } (one source per
 *                                        day: docs/sources.md)
 *   exportObservations(principal, query) -> { contentType, filename, body: AsyncIterable<string> }
 */

import { findTimeZone } from '../auth/auth.repository.ts';
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { CODES } from '../fhir/codes.ts';
import type { MeasurementType } from '../fhir/measurement.ts';
import type {
  ObservationFilter,
  ObservationRange,
  ObservationSort,
} from '../fhir/store/observation-filter.ts';
import { findStoredJson, pageKeys, pageObservations } from '../fhir/store/observation-pages.repository.ts';
import { localDateIn, userZone } from '../fhir/zones.ts';
import { bucketBounder } from './buckets.ts';
import { type BucketRow, summarizeDays } from './day-choice.ts';
import { type ExportFormat, exportBody, pageThrough } from './health.export.ts';
import {
  decodeCursor,
  encodeCursor,
  needsZone,
  parseRange,
  parseSources,
  parseTypes,
} from './health.query-parser.ts';
import { createItemRenderer, type ItemRenderer, type RenderedPage } from './rendered-items.ts';
import { effectiveOrder, groupOf, groupScope, ruleOf } from './source-priority.ts';
import { type Bucket, readSummaryInputs } from './summary.repository.ts';

export interface HealthServiceDeps {
  db: Db;
  clock: Clock;
  defaultTimeZone: string;
  /** Rows per keyset query while exporting. */
  exportPageSize?: number;
  /** Rendered page items (built in src/deps.ts; default: one that keeps nothing). */
  items?: ItemRenderer;
}

export interface FilterQuery {
  type?: string[] | string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  source?: string[] | string | undefined;
  sort?: ObservationSort | undefined;
}

export interface ObservationsQuery extends FilterQuery {
  limit: number;
  cursor?: string | undefined;
}

export interface SummaryQuery {
  type: string;
  start?: string | undefined;
  end?: string | undefined;
  bucket?: Bucket | undefined;
}

export type HealthService = ReturnType<typeof createHealthService>;

/**
 * One type's buckets, one source per local day by the person's priorities (docs/sources.md):
 * `today` is their local date, the end of the "worn most" window. One statement.
 */
export async function summarize(
  db: Db,
  userId: number,
  type: MeasurementType,
  range: ObservationRange,
  bucket: Bucket,
  today: string,
): Promise<BucketRow[]> {
  const group = groupOf(type);
  const inputs = await readSummaryInputs(db, {
    userId,
    type,
    range,
    groupScope: groupScope(group),
    recentUntil: ruleOf(group) === 'most_days' ? today : undefined,
  });
  const order = effectiveOrder(type, { type: inputs.typeList, group: inputs.groupList }, inputs.recentDays);
  return summarizeDays(inputs.days, order.sources, bucket);
}

const ZONE_TTL_MS = 60_000;
const ZONE_CACHE_SIZE = 10_000;

export function createHealthService(deps: HealthServiceDeps) {
  const { db } = deps;
  const exportPageSize = deps.exportPageSize ?? 1_000;
  const renderer = deps.items ?? createItemRenderer({ maxBytes: 0 });

  // A person's zone changes rarely: remember it for a minute rather than read it on every request.
  const zones = new Map<number, { zone: string; until: number }>();

  /** users.time_zone when valid, else the configured default. A missing account is a 401. */
  async function zoneOf(principal: Principal): Promise<string> {
    const now = deps.clock.now().getTime();
    const known = zones.get(principal.userId);
    if (known && known.until > now) return known.zone;
    const stored = await findTimeZone(db, principal.userId);
    if (stored === undefined) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
    const zone = userZone(stored, deps.defaultTimeZone);
    if (zones.size >= ZONE_CACHE_SIZE) zones.clear();
    zones.set(principal.userId, { zone, until: now + ZONE_TTL_MS });
    return zone;
  }

  async function filterOf(principal: Principal, query: FilterQuery): Promise<ObservationFilter> {
    const types = parseTypes(query.type);
    const sources = parseSources(query.source);
    // Only bounds without an offset need the person's zone: skip the lookup otherwise.
    const zone = needsZone(query.start) || needsZone(query.end) ? await zoneOf(principal) : 'UTC';
    return {
      ...parseRange(query, zone),
      ...(types ? { types } : {}),
      ...(sources ? { sources } : {}),
    };
  }

  return {
    /** The page as rendered items and the ids it lists. */
    async listObservations(principal: Principal, query: ObservationsQuery): Promise<RenderedPage> {
      const sort = query.sort ?? '-date';
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort);
      const filter = await filterOf(principal, query);
      const page = await pageKeys(db, principal.userId, filter, { sort, after, limit: query.limit });
      const next = page.next ? encodeCursor(sort, page.next) : null;
      const fetch = (ids: string[]) => findStoredJson(db, principal.userId, ids);
      return renderer.page(page.rows, fetch, next, query.limit);
    },

    async summary(principal: Principal, query: SummaryQuery) {
      const [type] = parseTypes(query.type) ?? [];
      if (!type || (parseTypes(query.type) ?? []).length !== 1) {
        throw new AppError('VALIDATION_FAILED', 'type: exactly one type', {
          errors: [{ field: 'type', message: 'exactly one type' }],
        });
      }
      const bucket = query.bucket ?? 'day';
      const zone = await zoneOf(principal);
      const range = parseRange(query, zone);
      const today = localDateIn(zone, deps.clock.now().getTime());
      const rows = await summarize(db, principal.userId, type, range, bucket, today);
      const bounds = bucketBounder(zone);
      return {
        type,
        unit: CODES[type].apiUnit,
        unit_display: CODES[type].apiUnitDisplay,
        bucket,
        time_zone: zone,
        buckets: rows.map((r) => {
          const { date, start, end } = bounds(r.bucket, bucket);
          const { count, min, max, avg, sum, sources } = r;
          const source = sources[0]?.source ?? null;
          // A day has one source; a week or a month lists those of its days.
          return bucket === 'day'
            ? { date, start, end, count, min, max, avg, sum, source }
            : { date, start, end, count, min, max, avg, sum, source, sources };
        }),
      };
    },

    async exportObservations(principal: Principal, query: FilterQuery & { format: ExportFormat }) {
      const sort = query.sort ?? '-date';
      const filter = await filterOf(principal, query);
      const pages = pageThrough((after) =>
        pageObservations(db, principal.userId, filter, { sort, after, limit: exportPageSize }),
      );
      return exportBody(query.format, pages, deps.clock.now());
    },
  };
}
