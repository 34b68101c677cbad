// Formatting helpers for dates, numbers and durations shown in the pages.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A timestamp in the viewer's local time, or a dash. @param {string | null | undefined} iso */
export function formatWhen(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** @param {number} value @param {number} [digits] */
export function formatNumber(value, digits = 1) {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(value);
}

/** 'YYYY-MM-DD' of a Date in the viewer's zone. @param {Date} date */
export function isoDate(date) {
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** 'YYYY-MM-DD' plus `days`. @param {string} day @param {number} days */
export function addDays(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(Date.UTC(/** @type {number} */ (y), /** @type {number} */ (m) - 1, d));
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The status words of the API, for people. @param {string | null | undefined} status */
export function humanStatus(status) {
  return status ? status.replaceAll('_', ' ') : '—';
}
