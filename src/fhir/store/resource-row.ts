/**
 * A resource -> the row the store writes: indexed columns plus the canonical JSON and its hash.
 *
 *   toResourceRow(resource, { userId, zone }) -> ResourceRow
 *   the content hash is sha256 of the JSON without meta.versionId/lastUpdated
 */
import { hash } from 'node:crypto';
import type { Condition, Observation, Resource } from '@medplum/fhirtypes';
import { CODES, typeForCode, UTC_OFFSET_EXTENSION, VENDOR_TAG_SYSTEM } from '../codes.ts';
import { effectiveRange, observationValue } from '../health-observation.ts';
import { sampleStats, samplesComponentOf } from '../heart-rate-window.ts';
import { offsetMinutes } from '../time.ts';
import type { FhirResourcesTable } from './fhir.tables.ts';
import { type MsRange, toRange } from './fhir-dates.ts';

export type StoredResourceType = 'Observation' | 'Patient' | 'Device' | 'Condition';

/** A resource as the store accepts it: a known type with an id. */
export type StorableResource = Resource & { resourceType: StoredResourceType; id: string };

/**
 * The row the store writes: the table's columns (fhir.tables.ts documents each), with instants as
 * ISO text ('-infinity' / 'infinity' for an open Period end) and the JSON as `json`; the version
 * columns are the store's to set.
 */
export interface ResourceRow
  extends Omit<
    FhirResourcesTable,
    | 'resource_type'
    | 'effective_start'
    | 'effective_end'
    | 'daily'
    | 'version_id'
    | 'last_updated'
    | 'resource'
  > {
  resource_type: StoredResourceType;
  effective_start: string | null;
  effective_end: string | null;
  daily: boolean;
  /** Canonical JSON without meta.versionId / meta.lastUpdated. */
  json: string;
}

export function toResourceRow(
  resource: StorableResource,
  ctx: { userId: number; zone: string },
): ResourceRow {
  const content = withoutVersionMeta(resource);
  // NOTE: JSON.stringify, not canonicalJson: far cheaper, and the mappers emit keys in a fixed
  // order. Content re-ordered by another producer costs one spurious version, never a lost change.
  const json = JSON.stringify(content);
  const ident = resource.identifier;
  const first = Array.isArray(ident) ? ident[0] : undefined;
  const row: ResourceRow = {
    resource_type: resource.resourceType,
    id: resource.id,
    user_id: ctx.userId,
    identifier: first?.system && first.value ? `${first.system}|${first.value}` : null,
    type: null,
    code: null,
    code_system: null,
    category: null,
    effective_start: null,
    effective_end: null,
    local_date: null,
    status: 'status' in resource && typeof resource.status === 'string' ? resource.status : null,
    source_vendor: resource.meta?.tag?.find((t) => t.system === VENDOR_TAG_SYSTEM)?.code ?? null,
    value: null,
    sample_count: null,
    sample_min: null,
    sample_max: null,
    sample_sum: null,
    daily: false,
    // One-shot hash(): cheaper than createHash() for a resource this size; the same digest.
    content_hash: hash('sha256', json, 'base64url'),
    json,
  };
  if (resource.resourceType === 'Observation') fillObservation(row, resource as Observation, ctx.zone);
  if (resource.resourceType === 'Condition') fillCondition(row, resource as Condition, ctx.zone);
  return row;
}

/**
 * A Condition (written by the user through src/fhir/writes) reuses the range columns for its
 * recordedDate (else onsetDateTime): what `recorded-date` search and sort read. The health API only
 * ever reads Observation rows.
 */
function fillCondition(row: ResourceRow, condition: Condition, zone: string): void {
  const coding = condition.code?.coding?.[0];
  row.code = coding?.code ?? null;
  row.code_system = coding?.system ?? null;
  row.category = condition.category?.[0]?.coding?.[0]?.code ?? null;
  row.status = condition.clinicalStatus?.coding?.[0]?.code ?? null;
  const at = condition.recordedDate ?? condition.onsetDateTime;
  const range = at === undefined ? undefined : toRange(at, zone);
  if (range) {
    row.effective_start = toIso(range.start);
    row.effective_end = toIso(range.end);
  }
}

function fillObservation(row: ResourceRow, obs: Observation, zone: string): void {
  const coding = obs.code?.coding?.[0];
  row.code = coding?.code ?? null;
  row.code_system = coding?.system ?? null;
  const type = typeForCode(coding?.system, coding?.code);
  row.type = type ?? null;
  row.category = obs.category?.[0]?.coding?.[0]?.code ?? null;
  // NOTE: a panel has no valueQuantity; its summary value is the systolic component (docs/api.md).
  const value = type && CODES[type].panel ? observationValue(obs, type) : obs.valueQuantity?.value;
  row.value = typeof value === 'number' && Number.isFinite(value) ? value : null;
  const samples = samplesComponentOf(obs)?.valueSampledData?.data;
  if (samples !== undefined) {
    const stats = sampleStats(samples);
    row.sample_count = stats.count;
    row.sample_min = stats.min;
    row.sample_max = stats.max;
    row.sample_sum = stats.sum;
  }
  row.daily = typeof obs.effectiveDateTime === 'string' && obs.effectiveDateTime.length === 10;
  const range = effectiveBounds(obs, zone);
  if (range) {
    row.effective_start = toIso(range.start);
    row.effective_end = toIso(range.end);
  }
  try {
    row.local_date = effectiveRange(obs)?.date ?? null;
  } catch {
    row.local_date = null;
  }
  if (row.local_date && !/^\d{4}-\d{2}-\d{2}$/.test(row.local_date)) row.local_date = null;
}

/** effective[x] as a half-open range; a date-only value is read in its utc-offset extension's offset. */
function effectiveBounds(obs: Observation, zone: string): MsRange | undefined {
  if (obs.effectiveDateTime !== undefined) {
    const ext = obs.extension?.find((e) => e.url === UTC_OFFSET_EXTENSION)?.valueString;
    const dayZone = ext && offsetMinutes(ext) !== undefined ? ext : zone;
    return toRange(obs.effectiveDateTime, obs.effectiveDateTime.length <= 10 ? dayZone : zone);
  }
  if (obs.effectiveInstant !== undefined) return toRange(obs.effectiveInstant, zone);
  const period = obs.effectivePeriod;
  if (period && (period.start || period.end)) {
    const start = period.start ? toRange(period.start, zone)?.start : Number.NEGATIVE_INFINITY;
    const end = period.end ? toRange(period.end, zone)?.end : Number.POSITIVE_INFINITY;
    if (start === undefined || end === undefined) return undefined;
    return { start, end: Math.max(start, end) };
  }
  return undefined;
}

function toIso(ms: number): string {
  if (ms === Number.POSITIVE_INFINITY) return 'infinity';
  if (ms === Number.NEGATIVE_INFINITY) return '-infinity';
  return new Date(ms).toISOString();
}

function withoutVersionMeta<T extends Resource>(resource: T): T {
  if (!resource.meta || (resource.meta.versionId === undefined && resource.meta.lastUpdated === undefined)) {
    return resource;
  }
  const { versionId: _v, lastUpdated: _l, ...meta } = resource.meta;
  const copy = { ...resource };
  if (Object.keys(meta).length > 0) copy.meta = meta;
  else delete copy.meta;
  return copy;
}

/** JSON with object keys sorted, so equal content gives equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}
