// Local wall-clock time from the API's own offsets.
//
// Wearables report a fixed UTC offset per record, not an IANA zone, so the dashboard shows each
// point at "instant + its offset" and lets uPlot format those shifted seconds as UTC. The axes
// then read in the person's local time wherever the viewer's browser is.

const OFFSET_RE = /([+-])(\d{2}):(\d{2})$/;

/** Seconds east of UTC of an RFC 3339 timestamp ('...+05:30' -> 19800, '...Z' -> 0). @param {string} iso */
export function offsetSeconds(iso) {
  const m = OFFSET_RE.exec(iso);
  if (!m) return 0;
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60;
  return m[1] === '-' ? -seconds : seconds;
}

/** The person's local wall-clock time of a timestamp, as "UTC" seconds for the chart. @param {string} iso */
export function localSeconds(iso) {
  return Date.parse(iso) / 1000 + offsetSeconds(iso);
}

/** Midnight of a 'YYYY-MM-DD' date, as "UTC" seconds. @param {string} day */
export function daySeconds(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/** Formats shifted seconds (see above) as the local time they stand for. */
export const localClock = new Intl.DateTimeFormat(undefined, {
  timeZone: 'UTC',
  dateStyle: 'medium',
  timeStyle: 'short',
});
