// "5 min ago", "in 2 h", "yesterday": relative times for freshness and schedules.

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const STEPS = /** @type {const} */ ([
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
]);

/** @param {string | null | undefined} iso @param {number} [now] */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return 'never';
  const diff = Date.parse(iso) - now;
  if (Math.abs(diff) < 60_000) return diff < 0 ? 'just now' : 'in a moment';
  for (const [unit, ms] of STEPS) {
    if (Math.abs(diff) >= ms) return rtf.format(Math.round(diff / ms), unit);
  }
  return 'just now';
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const shortDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** 'YYYY-MM-DD' -> "Mon 7 Dec" (the date as written, whatever the viewer's zone). @param {string} day */
export function formatDay(day) {
  return dayFormat.format(new Date(`${day}T12:00:00`));
}

/** 'YYYY-MM-DD' -> "7 Dec". @param {string} day */
export function formatShortDay(day) {
  return shortDay.format(new Date(`${day}T12:00:00Z`));
}

/** The local clock time written in an RFC 3339 timestamp ("23:12"), not converted to the viewer's zone. @param {string} iso */
export function clockTime(iso) {
  const m = /T(\d{2}):(\d{2})/.exec(iso);
  return m ? `${m[1]}:${m[2]}` : '';
}
