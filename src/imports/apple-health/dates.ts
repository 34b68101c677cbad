/**
 * Dates of an Apple Health export: `yyyy-MM-dd HH:mm:ss ±hhmm`, whole seconds.
 *
 *   parseAppleDate('2024-03-01 08:15:00 +0100') -> epoch ms of that instant, or undefined
 *
 * NOTE: every date of one export carries the exporting phone's offset at export time, not the
 * offset the sample was recorded in: only the instant is kept. Local days come from the record's
 * HKTimeZone metadata, else the person's zone (docs/apple-health.md "Dates").
 */
import { digits } from '../../fhir/time.ts';

/** NOTE: runs three times per record, millions of times per export: character codes, no regex. */
export function parseAppleDate(text: string | undefined): number | undefined {
  if (text === undefined || text.length !== 25) return undefined;
  if (
    text.charCodeAt(4) !== 45 || // '-'
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 || // ' '
    text.charCodeAt(13) !== 58 || // ':'
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 32
  )
    return undefined;
  const sign = text.charCodeAt(20);
  if (sign !== 43 && sign !== 45) return undefined; // '+' | '-'
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const oh = digits(text, 21, 2);
  const om = digits(text, 23, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 60 || oh < 0 || om < 0 || om > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const offset = (oh * 60 + om) * (sign === 45 ? -1 : 1);
  return local - offset * 60_000;
}
