/**
 * FHIR date/dateTime/instant values as half-open ranges of epoch ms, by their precision
 * (R4 search.html "date": "the parameter value ... is itself an implicit range").
 *
 *   toRange('2024-01-02', zone)              -> [2024-01-02T00:00 local, 2024-01-03T00:00 local)
 *   toRange('2024-01-02T10:00:00+05:30')     -> [t, t + 1 s)
 *   toRange('2024-01-02T10:00:00.123Z')      -> [t, t + 1 ms)
 *
 * A value without an offset is read in `zone` (a fixed '+hh:mm' or an IANA name; default UTC):
 * the PHR app sends local date-times without one (docs/mobile-app.md "What the app calls", "Times").
 */
import { offsetMinutes } from '../time.ts';
import { zoneOffsetAt } from '../zones.ts';

const DATE_TIME_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface MsRange {
  start: number;
  end: number;
}

/** Parses a FHIR date/dateTime/instant (search values may stop at minutes). undefined if not valid. */
export function toRange(value: string, zone = 'UTC'): MsRange | undefined {
  const m = DATE_TIME_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : 1;
  const day = d ? Number(d) : 1;
  const hour = hh ? Number(hh) : 0;
  const minute = mi ? Number(mi) : 0;
  const second = ss ? Number(ss) : 0;
  const millis = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined; // 2026-02-30
  }
  let wallEnd: number;
  if (!mo) wallEnd = Date.UTC(year + 1, 0, 1);
  else if (!d) wallEnd = Date.UTC(year, month, 1);
  else if (!hh) wallEnd = Date.UTC(year, month - 1, day + 1);
  else if (!ss) wallEnd = wall + 60_000;
  else if (!frac) wallEnd = wall + 1_000;
  else wallEnd = wall + 1;

  if (tz) {
    const offset = offsetMinutes(tz);
    if (offset === undefined) return undefined;
    return { start: wall - offset * 60_000, end: wallEnd - offset * 60_000 };
  }
  return {
    start: wall - zoneOffsetAt(zone, wall) * 60_000,
    end: wallEnd - zoneOffsetAt(zone, wallEnd) * 60_000,
  };
}
