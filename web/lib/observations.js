// Reading /health/observations: query building and following next_cursor.

import { getJson } from './api.js';

/**
 * @typedef {{ time: string, value: number }} Sample
 * @typedef {{ id: string, type: string, status: string, value: number, unit: string, unit_display: string, effective_start: string, effective_end: string | null, date: string, source: { vendor: string | null, device: string | null }, samples: Sample[] | null, components?: Record<string, number>, stages?: { stage: string, start: string, end: string }[] }} HealthObservation
 * @typedef {{ items: HealthObservation[], next_cursor: string | null, limit: number }} Page
 */

/**
 * @param {{ type?: string | string[], start?: string, end?: string, limit?: number, cursor?: string | null, sort?: string }} query
 * @returns {string}
 */
export function observationsUrl(query) {
  const params = new URLSearchParams();
  if (query.type) params.set('type', Array.isArray(query.type) ? query.type.join(',') : query.type);
  if (query.start) params.set('start', query.start);
  if (query.end) params.set('end', query.end);
  if (query.sort) params.set('sort', query.sort);
  if (query.limit) params.set('limit', String(query.limit));
  if (query.cursor) params.set('cursor', query.cursor);
  return `/health/observations?${params}`;
}

/** One page. @param {Parameters<typeof observationsUrl>[0]} query @returns {Promise<Page>} */
export function fetchPage(query) {
  return getJson(observationsUrl(query));
}

/**
 * Every item matching `query`, following next_cursor (bounded, so a huge range cannot hang the page).
 * @param {Parameters<typeof observationsUrl>[0]} query
 * @param {AbortSignal} [signal]
 * @returns {Promise<HealthObservation[]>}
 */
export async function fetchAll(query, signal, maxPages = 50) {
  /** @type {HealthObservation[]} */
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages && !signal?.aborted; page += 1) {
    const result = await fetchPage({ ...query, limit: 500, cursor });
    items.push(...result.items);
    cursor = result.next_cursor;
    if (!cursor) break;
  }
  return items;
}
