// Sources and sync: each connected source with its last and next sync and what it has stored per
// type, a sync button, the live progress of a running sync (the event stream's `sync.progress`,
// days done of days planned; the run's stored `progress` when the page opens mid-run), and the
// history of runs with what started them and how they ended. Nothing connected says so.

import { ApiError, getJson, sendJson } from '../lib/api.js';
import { announce, h, mount } from '../lib/dom.js';
import { followEvents, pause } from '../lib/event-stream.js';
import { formatWhen, humanStatus } from '../lib/format.js';
import { measureOf, vendorName } from '../lib/measures.js';
import { relativeTime } from '../lib/relative.js';

/**
 * @typedef {{ types_done: number, types_total: number, days_done: number, days_total: number }} Progress
 * @typedef {{ vendor: string, status: string, window?: { start: string | null, end: string | null }, requests?: number, fetched?: number, created?: number, updated?: number, unchanged?: number, errors?: { code: string, message: string }[], progress?: Progress | null }} IntegrationResult
 * @typedef {{ sync_id: string, status: string, trigger?: string, started_at?: string | null, finished_at?: string | null, integrations?: IntegrationResult[] }} SyncResult
 * @typedef {{ sync_id: string, vendor: string } & Progress} SyncProgress
 * @typedef {{ id: string, vendor: string, display_name?: string, status: string, last_sync_at: string | null, last_sync_status: string | null, next_sync_at: string | null }} Integration
 */

const DONE = new Set(['succeeded', 'partial', 'failed']);
const FALLBACK_POLL_MS = 10_000;
const TRIGGERS = /** @type {Record<string, string>} */ ({
  manual: 'Sync now',
  scheduled: 'Scheduled',
  webhook: 'New data announced',
  backfill: 'First sync',
});

/** What an error code means for the person, and what to do. @type {Record<string, string>} */
const ERROR_WORDS = {
  VENDOR_AUTH_REVOKED: 'Access was revoked or expired. Connect it again on the Integrations page.',
  ACCOUNT_NOT_LINKED: 'The account is not set up at the vendor yet. Set it up there, then connect again.',
  VENDOR_RATE_LIMITED:
    'The vendor’s request limit was reached. The next sync continues where this one stopped.',
  VENDOR_UNAVAILABLE: 'The vendor is not answering right now. The next scheduled sync tries again.',
  VENDOR_ERROR: 'The vendor answered with an error. The next scheduled sync tries again.',
  JOBS_UNAVAILABLE: 'The sync service is busy. Try again in a minute.',
};

/** @param {HTMLElement} main @param {AbortSignal} signal */
export async function renderSync(main, signal) {
  const sources = h(
    'div',
    { id: 'sources', class: 'tiles', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading…'),
  );
  const result = h('div', { id: 'sync-result', 'aria-live': 'polite' });
  const history = h('section', { id: 'sync-history', class: 'card', 'aria-labelledby': 'history-heading' });
  const button = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', class: 'primary', id: 'start-sync', disabled: true }, 'Sync now')
  );
  const reload = () => Promise.all([showSources(sources, signal), showHistory(history, signal)]);
  button.addEventListener('click', () => start(button, result, signal, reload));
  mount(
    main,
    h('h1', null, 'Sources and sync'),
    h(
      'p',
      { class: 'muted' },
      'New data is pulled on a schedule and when a source announces it. You can also sync now.',
    ),
    h('div', { class: 'actions' }, button),
    result,
    sources,
    history,
  );
  const [connected, runs] = await Promise.all([showSources(sources, signal), showHistory(history, signal)]);
  if (signal.aborted) return;
  button.disabled = connected === 0;
  if (connected === 0) {
    mount(
      result,
      h(
        'section',
        { class: 'card empty-state', 'data-status': 'nothing-connected' },
        h('h2', null, 'Nothing is connected'),
        h('p', null, 'There is nothing to sync yet. Connect Fitbit or Withings first.'),
        h('a', { class: 'button primary', href: '#/integrations' }, 'Connect a source'),
      ),
    );
    return;
  }
  // A run already going (the first sync after connecting, or one started elsewhere): follow it;
  // otherwise the latest run's outcome.
  const open = runs.find((r) => !DONE.has(r.status));
  if (open) await follow(open.sync_id, button, result, signal, reload);
  else if (runs[0]) showResult(result, runs[0]);
}

/** @param {HTMLButtonElement} button @param {HTMLElement} result @param {AbortSignal} signal @param {() => Promise<unknown>} reload */
async function start(button, result, signal, reload) {
  button.disabled = true;
  try {
    const queued = await sendJson('POST', '/health/sync');
    showResult(result, { sync_id: queued.sync_id, status: queued.status ?? 'queued', integrations: [] });
    announce('Sync started.');
    await follow(queued.sync_id, button, result, signal, reload);
  } catch (err) {
    const code = err instanceof ApiError ? err.code : '';
    announce(ERROR_WORDS[code] ?? `Could not sync: ${/** @type {Error} */ (err).message}`, 'error');
    button.disabled = false;
  }
}

/**
 * @param {string} id @param {HTMLButtonElement} button @param {HTMLElement} result
 * @param {AbortSignal} signal @param {() => Promise<unknown>} reload
 */
async function follow(id, button, result, signal, reload) {
  button.disabled = true;
  const finished = new AbortController();
  const active = AbortSignal.any([signal, finished.signal]);
  /** The latest live progress of each vendor's part of this sync. @type {Map<string, SyncProgress>} */
  const progress = new Map();
  /** @type {SyncResult | null} */
  let last = null;
  const read = async () => {
    /** @type {SyncResult} */
    const sync = await getJson(`/health/sync/${encodeURIComponent(id)}`);
    if (active.aborted) return;
    last = sync;
    showResult(result, sync, progress);
    if (!DONE.has(sync.status)) return;
    finished.abort();
    const totals = sum(sync.integrations ?? []);
    announce(
      `Sync ${humanStatus(sync.status)}: ${totals.created} new, ${totals.updated} updated, ${totals.unchanged} already here.`,
      sync.status === 'succeeded' ? 'ok' : 'error',
    );
    button.disabled = false;
    void reload();
  };
  void followEvents({
    signal: active,
    onOpen: () => void read().catch(() => {}),
    onMessage: (m) => {
      if (m.data?.data?.sync_id !== id) return;
      if (m.event === 'sync.progress') {
        progress.set(m.data.data.vendor, m.data.data);
        if (last && !active.aborted) showResult(result, last, progress);
      } else if (m.event === 'sync.completed' || m.event === 'sync.failed') {
        void read().catch(() => {});
      }
    },
  });
  while (!active.aborted) {
    await read().catch(() => {});
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

/** @param {HTMLElement} el @param {SyncResult} sync @param {Map<string, SyncProgress>} [live] */
function showResult(el, sync, live = new Map()) {
  const running = !DONE.has(sync.status);
  const rows = sync.integrations ?? [];
  mount(
    el,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'sync-heading', 'data-status': sync.status },
      h(
        'h2',
        { id: 'sync-heading' },
        running ? 'Syncing ' : 'Last sync ',
        h('span', { class: `badge badge-${sync.status}` }, humanStatus(sync.status)),
      ),
      h(
        'p',
        { class: 'muted' },
        `${TRIGGERS[sync.trigger ?? 'manual'] ?? sync.trigger}, started ${formatWhen(sync.started_at)}`,
        sync.finished_at ? `, finished ${formatWhen(sync.finished_at)}` : '',
      ),
      rows.length === 0
        ? h('p', { class: 'muted' }, running ? 'Waiting for the first results…' : 'No source was synced.')
        : null,
      rows.map((r) => {
        const p = live.get(r.vendor) ?? r.progress ?? null;
        return h(
          'div',
          { class: 'sync-row', 'data-vendor': r.vendor },
          h(
            'h3',
            null,
            vendorName(r.vendor),
            ' ',
            h('span', { class: `badge badge-${r.status}` }, humanStatus(r.status)),
          ),
          running && !DONE.has(r.status) ? progressLine(r.vendor, p) : null,
          h(
            'dl',
            { class: 'counts' },
            countItem('New', r.created, 'created'),
            countItem('Updated', r.updated, 'updated'),
            countItem('Already here', r.unchanged, 'unchanged'),
            countItem('Fetched', r.fetched, 'fetched'),
          ),
          errorList(r),
        );
      }),
    ),
  );
}

/** @param {string} label @param {number | undefined} value @param {string} field */
const countItem = (label, value, field) =>
  h('div', null, h('dt', null, label), h('dd', { 'data-field': field }, value ?? 0));

/** Days done of days planned: determinate once the run is planned. @param {string} vendor @param {Progress | null} p */
function progressLine(vendor, p) {
  if (!p || p.days_total === 0) {
    return h(
      'p',
      { class: 'sync-progress' },
      h('progress', { 'aria-label': `${vendorName(vendor)}: planning` }),
      ' Planning…',
    );
  }
  const pct = Math.round((p.days_done / p.days_total) * 100);
  return h(
    'p',
    {
      class: 'sync-progress',
      'data-vendor': vendor,
      'data-days-done': p.days_done,
      'data-days-total': p.days_total,
    },
    h('progress', {
      max: p.days_total,
      value: p.days_done,
      'aria-label': `${vendorName(vendor)}: ${pct}% done`,
    }),
    ` ${p.days_done} of ${p.days_total} days read, ${p.types_done} of ${p.types_total} data types done (${pct}%)`,
  );
}

/** @param {IntegrationResult} r */
function errorList(r) {
  const errors = r.errors ?? [];
  if (errors.length === 0) return null;
  return h(
    'ul',
    { class: 'error-box' },
    errors.map((e) => h('li', { 'data-code': e.code }, ERROR_WORDS[e.code] ?? e.message)),
  );
}

/** The connected sources with their schedule and stored days per type. @param {HTMLElement} el @param {AbortSignal} signal */
async function showSources(el, signal) {
  const [mine, sources] = await Promise.all([
    getJson('/integrations/vendors', signal),
    getJson('/health/sources', signal).catch(() => ({ effective: [] })),
  ]);
  if (signal.aborted) return 0;
  /** @type {Integration[]} */
  const integrations = (mine.integrations ?? []).filter(
    (/** @type {Integration} */ i) => i.status !== 'pending_authorization',
  );
  el.removeAttribute('aria-busy');
  /** @type {{ type: string, recent_days: Record<string, number> }[]} */
  const effective = sources.effective ?? [];
  mount(
    el,
    integrations.map((i) => {
      const counts = effective
        .map((e) => ({ type: e.type, days: e.recent_days?.[i.vendor] ?? 0 }))
        .filter((c) => c.days > 0);
      return h(
        'section',
        { class: 'card tile', 'data-source': i.vendor, 'aria-labelledby': `source-${i.vendor}` },
        h('h2', { id: `source-${i.vendor}` }, vendorName(i.vendor)),
        sourceState(i),
        h(
          'dl',
          { class: 'schedule' },
          h(
            'div',
            null,
            h('dt', null, 'Last sync'),
            h(
              'dd',
              { 'data-field': 'last' },
              i.last_sync_at ? `${relativeTime(i.last_sync_at)} (${formatWhen(i.last_sync_at)})` : 'not yet',
            ),
          ),
          h(
            'div',
            null,
            h('dt', null, 'Next sync'),
            h('dd', { 'data-field': 'next' }, i.next_sync_at ? relativeTime(i.next_sync_at) : '—'),
          ),
        ),
        counts.length > 0
          ? h(
              'details',
              null,
              h('summary', null, `Days with data in the last 30 days (${counts.length} types)`),
              h(
                'ul',
                { class: 'plain type-counts' },
                counts.map((c) => h('li', { 'data-type': c.type }, `${measureOf(c.type).name}: ${c.days}`)),
              ),
            )
          : h('p', { class: 'muted small' }, 'No data stored from it in the last 30 days yet.'),
      );
    }),
  );
  return integrations.length;
}

/** @param {Integration} i */
function sourceState(i) {
  if (i.status === 'connected') return h('p', { class: 'ok-text' }, 'Connected');
  if (i.status === 'needs_reauth') {
    return h(
      'p',
      { class: 'error' },
      'Access was revoked or expired. ',
      h('a', { href: '#/integrations' }, 'Connect it again'),
      '.',
    );
  }
  return h('p', { class: 'muted' }, humanStatus(i.status));
}

/** @param {HTMLElement} el @param {AbortSignal} signal @returns {Promise<SyncResult[]>} */
async function showHistory(el, signal) {
  /** @type {{ items: SyncResult[] }} */
  const { items } = await getJson('/health/sync?limit=20', signal);
  if (signal.aborted) return items;
  mount(
    el,
    h('h2', { id: 'history-heading' }, 'Recent syncs'),
    items.length === 0
      ? h('p', { class: 'muted' }, 'No syncs yet.')
      : h(
          'div',
          { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'history-heading' },
          h(
            'table',
            { class: 'cards-on-phone' },
            h('caption', { class: 'visually-hidden' }, 'Recent syncs, newest first'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['When', 'Started by', 'Result', 'New', 'Updated', 'Sources and notes'].map((c) =>
                  h('th', { scope: 'col' }, c),
                ),
              ),
            ),
            h(
              'tbody',
              null,
              items.map((run) => {
                const t = sum(run.integrations ?? []);
                const notes = (run.integrations ?? []).flatMap((r) =>
                  (r.errors ?? []).map((e) => `${vendorName(r.vendor)}: ${ERROR_WORDS[e.code] ?? e.message}`),
                );
                return h(
                  'tr',
                  { 'data-sync': run.sync_id, 'data-trigger': run.trigger ?? '' },
                  h('th', { scope: 'row', 'data-label': 'When' }, formatWhen(run.started_at)),
                  h('td', { 'data-label': 'Started by' }, TRIGGERS[run.trigger ?? ''] ?? run.trigger ?? '—'),
                  h(
                    'td',
                    { 'data-label': 'Result' },
                    h('span', { class: `badge badge-${run.status}` }, humanStatus(run.status)),
                  ),
                  h('td', { class: 'num', 'data-label': 'New' }, t.created),
                  h('td', { class: 'num', 'data-label': 'Updated' }, t.updated),
                  h(
                    'td',
                    { 'data-label': 'Sources and notes' },
                    notes.length
                      ? notes.join(' ')
                      : (run.integrations ?? []).map((r) => vendorName(r.vendor)).join(', '),
                  ),
                );
              }),
            ),
          ),
        ),
  );
  return items;
}
