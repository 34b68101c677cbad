/**
 * The vendor-agnostic health API (API.md "Health data"): principal first, repository below.
 *
 *   listObservations(principal, query) -> HealthObservationsResponse
 *   summary(principal, query)          -> { type, unit, bucket, time_zone, buckets }
 *   exportObservations(principal, query) -> { contentType, filename, body: AsyncIterable<string> }
 */
import type { Principal } from '../auth/auth.service.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { CODES } from '../fhir/codes.ts';
import { type HealthObservation, toHealthObservation } from '../fhir/health-observation.ts';
import { isValidZone } from '../fhir/store/fhir-dates.ts';
import { bucketBounds } from './buckets.ts';
import { type ExportFormat, exportBody, pageThrough } from './health.export.ts';
import {
  decodeCursor,
  encodeCursor,
  type HealthFilter,
  type HealthSort,
  needsZone,
  parseRange,
  parseSources,
  parseTypes,
} from './health.query.ts';
import { type Bucket, findTimeZone, pageObservations, summarize } from './health.repository.ts';

export interface HealthServiceDeps {
  db: Db;
  clock: Clock;
  defaultTimeZone: string;
  /** Rows per keyset query while exporting. */
  exportPageSize?: number;
}

export interface FilterQuery {
  type?: string[] | string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  source?: string[] | string | undefined;
  sort?: HealthSort | undefined;
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

export interface HealthObservationsResponse {
  items: HealthObservation[];
  next_cursor: string | null;
  limit: number;
}

export type HealthService = ReturnType<typeof createHealthService>;

export function createHealthService(deps: HealthServiceDeps) {
  const { db } = deps;
  const exportPageSize = deps.exportPageSize ?? 1_000;

  /** users.time_zone when valid, else the configured default. A missing account is a 401. */
  async function zoneOf(principal: Principal): Promise<string> {
    const zone = await findTimeZone(db, principal.userId);
    if (zone === undefined) throw new AppError('UNAUTHENTICATED', 'Account no longer exists');
    return zone && isValidZone(zone) ? zone : deps.defaultTimeZone;
  }

  async function filterOf(principal: Principal, query: FilterQuery): Promise<HealthFilter> {
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
    async listObservations(
      principal: Principal,
      query: ObservationsQuery,
    ): Promise<HealthObservationsResponse> {
      const sort = query.sort ?? '-date';
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort);
      const filter = await filterOf(principal, query);
      const page = await pageObservations(db, principal.userId, filter, { sort, after, limit: query.limit });
      const items: HealthObservation[] = [];
      for (const r of page.rows) {
        const item = toHealthObservation(r.resource);
        if (item) items.push(item);
      }
      return { items, next_cursor: page.next ? encodeCursor(sort, page.next) : null, limit: query.limit };
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
      const rows = await summarize(db, principal.userId, type, range, bucket);
      return {
        type,
        unit: CODES[type].apiUnit,
        bucket,
        time_zone: zone,
        buckets: rows.map((r) => ({
          ...bucketBounds(r.bucket, bucket, zone),
          count: r.count,
          min: r.min,
          max: r.max,
          avg: r.avg,
          sum: r.sum,
        })),
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
