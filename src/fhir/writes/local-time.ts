/**
 * Local date-times without a UTC offset (what the PHR app sends) -> FHIR dateTimes with one (pure).
 *
 *   withZoneOffset('2026-11-28T08:15:30.123456', 'Asia/Jakarta') -> '2026-11-28T08:15:30.123456+07:00'
 *   normalizeDateTime(holder, 'effectiveDateTime', zone, 'Observation.effectiveDateTime')
 *     -> holder.effectiveDateTime gets the offset; holder._effectiveDateTime keeps the string as sent
 *        in the `original-date-time` extension (FHIR JSON's extension slot of a primitive)
 *
 * NOTE: the app sends `DateTime.toIso8601String()` of a device-local time (microseconds, no offset)
 * and never says its zone (docs/mobile-app.md "What the app calls", "Times"); we read it in the person's zone
 * (users.time_zone, else DEFAULT_TIME_ZONE). A time that falls in a DST gap or overlap takes the
 * offset `zoneOffsetAt` picks (src/fhir/zones.ts: before a gap's jump; an overlap's second time).
 */
import type { Extension } from '@medplum/fhirtypes';
import { invalidField } from '../../errors.ts';
import { PHR_FHIR_BASE } from '../codes.ts';
import { toRange } from '../store/fhir-dates.ts';
import { formatOffset } from '../time.ts';

/** valueString: the date-time exactly as the client sent it, before an offset was attached. */
const ORIGINAL_DATE_TIME_EXTENSION = `${PHR_FHIR_BASE}/StructureDefinition/original-date-time`;

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const DATE_OR_DATE_TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The same wall-clock time with the zone's offset at that time; seconds added when missing. */
function withZoneOffset(local: string, zone: string): string {
  const text = local.length === 16 ? `${local}:00` : local;
  const range = toRange(text, zone);
  if (!range) throw new RangeError(`not a local date-time: ${local}`);
  const wall = Date.parse(`${text.slice(0, 23)}Z`);
  return `${text}${formatOffset(Math.round((wall - range.start) / 60_000))}`;
}

/**
 * Attaches the zone's offset to `holder[key]` when it is a date-time without one, and records the
 * original string. Dates, and date-times that have an offset, are left as they are. A value that is
 * not a FHIR date/dateTime at all (or an impossible one, `2026-02-30`) is a 400 naming `path`.
 */
export function normalizeDateTime(
  holder: Record<string, unknown> | undefined,
  key: string,
  zone: string,
  path: string,
): void {
  const value = holder?.[key];
  if (holder === undefined || value === undefined) return;
  if (typeof value !== 'string' || !DATE_OR_DATE_TIME.test(value) || !toRange(value, zone)) {
    throw invalidField(path, 'is not a FHIR dateTime (YYYY-MM-DDThh:mm:ss with an optional offset)');
  }
  if (!LOCAL_DATE_TIME.test(value)) return;
  holder[key] = withZoneOffset(value, zone);
  const slot = `_${key}`;
  const element = (holder[slot] ?? {}) as { extension?: Extension[] };
  const others = (element.extension ?? []).filter((e) => e.url !== ORIGINAL_DATE_TIME_EXTENSION);
  holder[slot] = {
    ...element,
    extension: [...others, { url: ORIGINAL_DATE_TIME_EXTENSION, valueString: value }],
  };
}
