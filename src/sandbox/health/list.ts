// dataPoints.list and dataPoints:reconcile (docs/google-health.md §3.1, §3.4): newest first,
// pageSize defaults and caps, opaque page tokens bound to the query, source families.

import { createHash } from 'node:crypto';
import { type DataTypeInfo, pageSizeLimits, type SimulatedType } from '../catalog.ts';
import { invalidArgument } from '../lib/errors.ts';
import type { PersonProfile, Point, SourceId } from '../people/model.ts';
import type { PeopleStore } from '../people/people.ts';
import { compileFilter } from './filter.ts';
import { toDataPoint, toReconciledPoint } from './serialize.ts';

export interface ListQuery {
  filter?: string;
  pageSize?: string;
  pageToken?: string;
  dataSourceFamily?: string;
}

const SOURCE_RANK: Record<SourceId, number> = { tracker: 0, scale: 1, phone: 2 };

const FAMILIES: Record<string, SourceId[]> = {
  'all-sources': ['tracker', 'scale', 'phone'],
  'google-wearables': ['tracker', 'scale'],
  'google-sources': ['tracker', 'scale', 'phone'],
  // NOTE: self-sources is data written by the calling client; the sandbox has no writes (§3.4).
  'self-sources': [],
};

/** Parses `users/me/dataSourceFamilies/<family>`; undefined means the default, all-sources. */
export function sourcesForFamily(type: DataTypeInfo, family: string | undefined): SourceId[] {
  if (family === undefined || family === '') return FAMILIES['all-sources'] ?? [];
  // NOTE: dataSourceFamily is not supported for sleep (DISC, §3.4).
  if (type.id === 'sleep') {
    throw invalidArgument(
      `dataSourceFamily is not supported for data type ${type.id}.`,
      'INVALID_DATA_POINT_DATA_SOURCE_FAMILY',
    );
  }
  const match = /^users\/(?:me|-)\/dataSourceFamilies\/([a-z-]+)$/.exec(family);
  const sources = match?.[1] ? FAMILIES[match[1]] : undefined;
  if (!sources) {
    throw invalidArgument(`Invalid data source family: ${family}`, 'INVALID_DATA_POINT_DATA_SOURCE_FAMILY');
  }
  return sources;
}

function parsePageSize(type: DataTypeInfo, text: string | undefined): number {
  const { defaultSize, maxSize } = pageSizeLimits(type);
  if (text === undefined || text === '') return defaultSize;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 0) throw invalidArgument(`Invalid value for pageSize: ${text}`);
  // NOTE: above the cap is truncated silently (3P, §3.4).
  return size === 0 ? defaultSize : Math.min(size, maxSize);
}

interface Cursor {
  q: string;
  start: number;
  rank: number;
}

function fingerprint(parts: (string | undefined)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 12);
}

function decodeCursor(token: string, expected: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (cursor.q === expected && typeof cursor.start === 'number' && typeof cursor.rank === 'number')
      return cursor;
  } catch {
    // fall through to the error below
  }
  throw invalidArgument('The page token is invalid.');
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/**
 * NOTE: one merged stream, as the Fitbit app shows it (§3.4): per minute the wrist device
 * wins, the phone only fills minutes the tracker was not worn. Input is newest first.
 */
export function reconcile(points: Point[]): Point[] {
  const merged: Point[] = [];
  for (const point of points) {
    const last = merged[merged.length - 1];
    if (last && last.start === point.start) continue;
    merged.push(point);
  }
  return merged;
}

/** Loads, filters and orders the points a query sees (before paging). */
export function selectPoints(
  people: PeopleStore,
  person: PersonProfile,
  type: DataTypeInfo,
  sources: SourceId[],
  fromMs: number,
  toMs: number,
  matches: (p: Point) => boolean,
  reconciled: boolean,
): Point[] {
  if (!type.simulated) return [];
  const points = people
    .visiblePoints(person, type.id as SimulatedType, fromMs, toMs)
    .filter((p) => sources.includes(p.source) && matches(p));
  // Days come newest first already; only interleaved sources (tracker and phone) need a sort.
  if (points.some((p) => p.source !== points[0]?.source)) {
    points.sort((a, b) => b.start - a.start || SOURCE_RANK[a.source] - SOURCE_RANK[b.source]);
  }
  return reconciled ? reconcile(points) : points;
}

export function listDataPoints(
  people: PeopleStore,
  person: PersonProfile,
  type: DataTypeInfo,
  query: ListQuery,
  mode: 'list' | 'reconcile',
): Record<string, unknown> {
  if (!type.list) {
    // NOTE: message quoted from a live observation (third party, §4).
    throw invalidArgument(
      `${mode === 'list' ? 'List' : 'Reconcile'} is not supported for data type ${type.id}, but the following actions are supported: rollup, dailyRollup`,
    );
  }
  const sources = sourcesForFamily(type, query.dataSourceFamily);
  const pageSize = parsePageSize(type, query.pageSize);
  const filter = compileFilter(query.filter, type);
  const q = fingerprint([mode, type.id, query.filter, query.dataSourceFamily]);
  const cursor = query.pageToken ? decodeCursor(query.pageToken, q) : undefined;
  let points = selectPoints(
    people,
    person,
    type,
    sources,
    filter.fromMs,
    filter.toMs,
    filter.matches,
    mode === 'reconcile',
  );
  if (cursor) {
    const after = points.findIndex(
      (p) => p.start < cursor.start || (p.start === cursor.start && SOURCE_RANK[p.source] > cursor.rank),
    );
    points = after < 0 ? [] : points.slice(after);
  }
  const page = points.slice(0, pageSize);
  const last = page[page.length - 1];
  const serialize = mode === 'list' ? toDataPoint : toReconciledPoint;
  return {
    dataPoints: page.map((p) => serialize(person, type, p)),
    // NOTE: the last page carries "nextPageToken": "" as in the codelab sample (§3.4).
    nextPageToken:
      points.length > pageSize && last
        ? encodeCursor({ q, start: last.start, rank: SOURCE_RANK[last.source] })
        : '',
  };
}
