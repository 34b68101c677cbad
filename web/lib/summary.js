// Reading /health/summary (one bucket per local day, week or month; one source per day) and the
// personal baseline the pages draw as a band.

import { getJson } from './api.js';

/**
 * @typedef {{ date: string, start: string, end: string, count: number, min: number | null, max: number | null, avg: number | null, sum: number | null, source: string | null }} Bucket
 * @typedef {{ type: string, unit: string, unit_display: string, bucket: string, buckets: Bucket[] }} Summary
 */

/**
 * @param {string} type @param {string} start first local date @param {string} end the day after the last
 * @param {'day' | 'week' | 'month'} [bucket] @param {AbortSignal} [signal]
 * @returns {Promise<Summary>}
 */
export function fetchSummary(type, start, end, bucket = 'day', signal) {
  const query = new URLSearchParams({ type, start, end, bucket });
  return getJson(`/health/summary?${query}`, signal);
}

/** The value a bucket stands for: a total (steps) or a mean (heart rate); null with no data. @param {Bucket} b @param {'sum' | 'avg'} stat */
export function bucketValue(b, stat) {
  if (b.count === 0) return null;
  const v = b[stat];
  return v === null ? null : Number(v);
}

/**
 * The person's usual range: mean ± one standard deviation of the daily values (at least 7 days).
 * @param {(number | null)[]} values
 * @returns {{ low: number, high: number, mean: number, days: number } | null}
 */
export function baselineOf(values) {
  const v = values.filter((x) => x !== null && Number.isFinite(x));
  if (v.length < 7) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { low: mean - sd, high: mean + sd, mean, days: v.length };
}
