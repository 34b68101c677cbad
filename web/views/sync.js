// Sync: start one (POST /health/sync) and show its progress live from the event stream
// (`sync.progress`, then `sync.completed|failed`: lib/event-stream.js), reading the run
// (GET /health/sync/{id}) when the stream opens, when a vendor finishes, and every
// FALLBACK_POLL_MS in case the stream is unavailable.

import { getJson, sendJson } from '../lib/api.js';
import { announce, h, mount } from '../lib/dom.js';
import { followEvents, pause } from '../lib/event-stream.js';
import { formatWhen, humanStatus } from '../lib/format.js';

/**
 * @typedef {{ vendor: string, status: string, window?: { start: string, end: string }, requests?: number, fetched?: number, created?: number, updated?: number, unchanged?: number, errors?: { code: string, message: string }[] }} IntegrationResult
 * @typedef {{ sync_id: string, status: string, started_at?: string | null, finished_at?: string | null, integrations?: IntegrationResult[] }} SyncResult
 * @typedef {{ sync_id: string, vendor: string, types_done: number, types_total: number, days_done: number, days_total: number }} SyncProgress
 */

const DONE = new Set(['succeeded', 'partial', 'failed']);
const FALLBACK_POLL_MS = 10_000;
/** The last sync started from this page, kept while the page lives. @type {SyncResult | null} */
let lastSync = null;

/** @param {HTMLElement} main @param {AbortSignal} signal */
export function renderSync(main, signal) {
  const result = h('div', { id: 'sync-result', 'aria-live': 'polite' });
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', class: 'primary', id: 'start-sync' }, 'Sync now')
  );
  button.addEventListener('click', () => start(button, result, signal));
  mount(
    main,
    h('h1', null, 'Sync'),
    h('p', { class: 'muted' }, 'Pulls new data from every connected vendor. Syncs also run on a schedule.'),
    h('div', { class: 'actions' }, button),
    result,
  );
  if (lastSync) {
    showResult(result, lastSync);
    if (!DONE.has(lastSync.status)) void follow(lastSync.sync_id, button, result, signal);
  }
}

/** @param {HTMLButtonElement} button @param {HTMLElement} result @param {AbortSignal} signal */
async function start(button, result, signal) {
  button.disabled = true;
  try {
    const queued = await sendJson('POST', '/health/sync');
    lastSync = { sync_id: queued.sync_id, status: queued.status ?? 'queued', integrations: [] };
    showResult(result, lastSync);
    announce('Sync started.');
    await follow(queued.sync_id, button, result, signal);
  } catch (err) {
    announce(`Could not sync: ${/** @type {Error} */ (err).message}`, 'error');
    button.disabled = false;
  }
}

/** @param {string} id @param {HTMLButtonElement} button @param {HTMLElement} result @param {AbortSignal} signal */
async function follow(id, button, result, signal) {
  button.disabled = true;
  const finished = new AbortController();
  const active = AbortSignal.any([signal, finished.signal]);
  /** The latest progress of each vendor's part of this sync. @type {Map<string, SyncProgress>} */
  const progress = new Map();
  const read = async () => {
    /** @type {SyncResult} */
    const sync = await getJson(`/health/sync/${encodeURIComponent(id)}`);
    if (active.aborted) return;
    lastSync = sync;
    showResult(result, sync, progress);
    if (!DONE.has(sync.status)) return;
    finished.abort();
    const totals = sum(sync.integrations ?? []);
    announce(
      `Sync ${sync.status}: ${totals.fetched} fetched, ${totals.created} new, ${totals.updated} updated.`,
      sync.status === 'succeeded' ? 'ok' : 'error',
    );
    button.disabled = false;
  };
  void followEvents({
    signal: active,
    onOpen: () => void read().catch(() => {}),
    onMessage: (m) => {
      if (m.data?.data?.sync_id !== id) return;
      if (m.event === 'sync.progress') {
        progress.set(m.data.data.vendor, m.data.data);
        if (lastSync && !active.aborted) showResult(result, lastSync, progress);
      } else if (m.event === 'sync.completed' || m.event === 'sync.failed') {
        void read().catch(() => {});
      }
    },
  });
  while (!active.aborted) {
    await read();
    await pause(FALLBACK_POLL_MS, active);
  }
}

/** @param {IntegrationResult[]} rows */
function sum(rows) {
  const total = { fetched: 0, created: 0, updated: 0, unchanged: 0 };
  for (const r of rows) {
    total.fetched += r.fetched ?? 0;
    total.created += r.created ?? 0;
    total.updated += r.updated ?? 0;
    total.unchanged += r.unchanged ?? 0;
  }
  return total;
}

/** @param {HTMLElement} el @param {SyncResult} sync @param {Map<string, SyncProgress>} [progress] */
function showResult(el, sync, progress = new Map()) {
  const running = !DONE.has(sync.status);
  mount(
    el,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'sync-heading', 'data-status': sync.status },
      h(
        'h2',
        { id: 'sync-heading' },
        'Sync ',
        h('span', { class: `badge badge-${sync.status}` }, humanStatus(sync.status)),
      ),
      running && progress.size === 0 ? h('progress', { 'aria-label': 'Sync in progress' }) : null,
      running ? [...progress.values()].map(progressLine) : null,
      h(
        'p',
        { class: 'muted' },
        `Started ${formatWhen(sync.started_at)}`,
        sync.finished_at ? `, finished ${formatWhen(sync.finished_at)}` : '',
      ),
      (sync.integrations ?? []).length === 0
        ? h(
            'p',
            { class: 'muted' },
            running ? 'Waiting for the first results…' : 'No connected vendor was synced.',
          )
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              null,
              h('caption', { class: 'visually-hidden' }, 'Per vendor'),
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ['Vendor', 'Status', 'Fetched', 'New', 'Updated', 'Unchanged'].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h(
                'tbody',
                null,
                (sync.integrations ?? []).map((r) =>
                  h(
                    'tr',
                    { 'data-vendor': r.vendor },
                    h('th', { scope: 'row' }, r.vendor),
                    h('td', null, humanStatus(r.status)),
                    h('td', { class: 'num', 'data-field': 'fetched' }, r.fetched ?? 0),
                    h('td', { class: 'num', 'data-field': 'created' }, r.created ?? 0),
                    h('td', { class: 'num', 'data-field': 'updated' }, r.updated ?? 0),
                    h('td', { class: 'num', 'data-field': 'unchanged' }, r.unchanged ?? 0),
                  ),
                ),
              ),
            ),
          ),
      errorList(sync.integrations ?? []),
    ),
  );
}

/** @param {SyncProgress} p */
function progressLine(p) {
  return h(
    'p',
    { class: 'sync-progress', 'data-vendor': p.vendor },
    h('progress', {
      max: Math.max(1, p.days_total),
      value: p.days_done,
      'aria-label': `${p.vendor} progress`,
    }),
    ` ${p.vendor}: ${p.types_done} of ${p.types_total} data types, ${p.days_done} of ${p.days_total} days`,
  );
}

/** @param {IntegrationResult[]} rows */
function errorList(rows) {
  const errors = rows.flatMap((r) => (r.errors ?? []).map((e) => ({ vendor: r.vendor, ...e })));
  if (errors.length === 0) return null;
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    h('h3', null, 'Errors'),
    h(
      'ul',
      null,
      errors.map((e) => h('li', null, h('code', null, e.code), ` (${e.vendor}): ${e.message}`)),
    ),
  );
}
