/**
 * Streamed exports in constant memory: keyset pages (1,000 rows by default) become text chunks
 * one page at a time; nothing holds more than a page.
 *
 *   pageThrough(fetchPage)        -> async iterable of pages until the keyset runs out
 *   exportBody(format, pages, now) -> { contentType, extension, body: AsyncIterable<string>, count() }
 *
 * csv    one HealthObservation per line (samples of heart-rate windows are left out; value is the mean)
 * ndjson FHIR Bulk Data style: one stored Observation per line
 * bundle a FHIR `collection` Bundle, written entry by entry
 */
import type { Observation } from '@medplum/fhirtypes';
import { type HealthObservation, toHealthObservation } from '../fhir/health-observation.ts';
import type { ObservationKeyset } from '../fhir/store/observation-filter.ts';

export type ExportFormat = 'csv' | 'ndjson' | 'bundle';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
type Page = { resources: Observation[]; next: ObservationKeyset | undefined };

export async function* pageThrough(
  fetchPage: (after: ObservationKeyset | undefined) => Promise<Page>,
): AsyncGenerator<Observation[]> {
  let after: ObservationKeyset | undefined;
  do {
    const page = await fetchPage(after);
    if (page.resources.length > 0) yield page.resources;
    after = page.next;
  } while (after);
}

const FORMATS = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  ndjson: { contentType: 'application/fhir+ndjson', extension: 'ndjson' },
  bundle: { contentType: 'application/fhir+json; charset=utf-8', extension: 'json' },
} as const;

export const CSV_COLUMNS = [
  'id',
  'type',
  'status',
  'value',
  'unit',
  'effective_start',
  'effective_end',
  'date',
  'source_vendor',
  'source_device',
  'code_system',
  'code',
  'sample_count',
] as const;

export function exportBody(format: ExportFormat, pages: AsyncIterable<Observation[]>, now: Date) {
  let rows = 0;
  const counted = (async function* () {
    for await (const page of pages) {
      rows += page.length;
      yield page;
    }
  })();
  const body = format === 'csv' ? csv(counted) : format === 'ndjson' ? ndjson(counted) : bundle(counted, now);
  return { ...FORMATS[format], body, count: () => rows };
}

async function* csv(pages: AsyncIterable<Observation[]>): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const rows of pages) {
    let chunk = '';
    for (const r of rows) {
      const o = toHealthObservation(r);
      if (o) chunk += `${csvLine(o)}\r\n`;
    }
    yield chunk;
  }
}

function csvLine(o: HealthObservation): string {
  return [
    text(o.id),
    text(o.type),
    text(o.status),
    String(o.value),
    text(o.unit),
    text(o.effective_start),
    text(o.effective_end ?? ''),
    text(o.date),
    text(o.source.vendor ?? ''),
    text(o.source.device ?? ''),
    text(o.code.system),
    text(o.code.code),
    o.samples ? String(o.samples.length) : '',
  ].join(',');
}

/** RFC 4180 quoting, and OWASP's CSV-injection guard for text a spreadsheet would run as a formula. */
function text(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

async function* ndjson(pages: AsyncIterable<Observation[]>): AsyncGenerator<string> {
  for await (const rows of pages) {
    let chunk = '';
    for (const r of rows) chunk += `${JSON.stringify(r)}\n`;
    yield chunk;
  }
}

async function* bundle(pages: AsyncIterable<Observation[]>, now: Date): AsyncGenerator<string> {
  yield `{"resourceType":"Bundle","type":"collection","timestamp":${JSON.stringify(now.toISOString())},"entry":[`;
  let first = true;
  for await (const rows of pages) {
    let chunk = '';
    for (const r of rows) {
      const id = r.id ?? '';
      const entry = UUID_RE.test(id) ? { fullUrl: `urn:uuid:${id}`, resource: r } : { resource: r };
      chunk += `${first ? '' : ','}${JSON.stringify(entry)}`;
      first = false;
    }
    yield chunk;
  }
  yield ']}';
}
