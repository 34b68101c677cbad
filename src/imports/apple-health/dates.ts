/**
 * Dates of an Apple Health export: `yyyy-MM-dd HH:mm:ss ±hhmm`, whole seconds.
 *
 *   parseAppleDate('2024-03-01 08:15:00 +0100') -> epoch ms of that instant, or undefined
 *
 * NOTE: every date of one export carries the exporting phone's offset at export time, not the
 * offset the sample was recorded in: only the instant is kept. Local days come from the record's
 * HKTimeZone metadata, else the person's zone (docs/apple-health.md "Dates").
 */
const APPLE_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

export function parseAppleDate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = APPLE_DATE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, sign, oh, om] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60)
    return undefined;
  const local = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
  const offset = (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1);
  return local - offset * 60_000;
}
