// The observations as a table, a page at a time (next_cursor forward, a stack of cursors back).

import { h, mount } from '../lib/dom.js';
import { formatNumber } from '../lib/format.js';
import { fetchPage } from '../lib/observations.js';
import { localClock, localSeconds } from '../lib/time.js';

const PAGE_SIZE = 25;
/** Every type the health API serves (test/browser/static.test.ts keeps it equal to MEASUREMENT_TYPES). */
export const TYPES = [
  'heart_rate',
  'resting_heart_rate',
  'spo2',
  'body_weight',
  'steps',
  'calories',
  'distance',
  'hrv_rmssd',
  'respiratory_rate',
  'sleep',
  'body_fat',
  'skin_temperature_deviation',
  'vo2_max',
  'blood_pressure',
  'body_temperature',
  'skin_temperature',
  'fat_mass',
  'fat_free_mass',
  'muscle_mass',
  'bone_mass',
  'height',
  'hrv_sdnn',
  'blood_glucose',
];

/** @param {() => { start: string, end: string }} getRange */
export function tableSection(getRange) {
  const typeSelect = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'table-type' },
      h('option', { value: '' }, 'All types'),
      TYPES.map((t) => h('option', { value: t }, t.replaceAll('_', ' '))),
    )
  );
  // Focusable, so a keyboard can scroll it sideways on a narrow screen.
  const body = h('div', {
    class: 'table-wrap',
    'aria-live': 'polite',
    tabindex: '0',
    role: 'region',
    'aria-labelledby': 'table-title',
  });
  const prev = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', disabled: true }, 'Previous page')
  );
  const next = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', disabled: true }, 'Next page')
  );
  const pageLabel = h('span', { class: 'muted' });
  /** Cursors of the pages seen so far: cursors[i] loads page i. @type {(string | null)[]} */
  let cursors = [null];
  let page = 0;

  async function load() {
    const { start, end } = getRange();
    body.setAttribute('aria-busy', 'true');
    prev.disabled = true;
    next.disabled = true;
    try {
      const result = await fetchPage({
        type: typeSelect.value || undefined,
        start,
        end,
        limit: PAGE_SIZE,
        cursor: cursors[page] ?? null,
      });
      cursors[page + 1] = result.next_cursor;
      mount(body, renderTable(result.items));
      pageLabel.textContent = `Page ${page + 1}`;
      prev.disabled = page === 0;
      next.disabled = !result.next_cursor;
    } catch (err) {
      mount(body, h('p', { class: 'error' }, `Could not load: ${/** @type {Error} */ (err).message}`));
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  function reset() {
    cursors = [null];
    page = 0;
    return load();
  }

  typeSelect.addEventListener('change', () => void reset());
  prev.addEventListener('click', () => {
    page = Math.max(0, page - 1);
    void load();
  });
  next.addEventListener('click', () => {
    page += 1;
    void load();
  });

  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'table-title' },
    h('h2', { id: 'table-title' }, 'Table'),
    h('div', { class: 'controls' }, h('label', { for: 'table-type' }, 'Type'), typeSelect),
    body,
    h('div', { class: 'actions pager' }, prev, pageLabel, next),
  );
  return { section, reload: reset };
}

/** @param {import('../lib/observations.js').HealthObservation[]} items */
function renderTable(items) {
  if (items.length === 0) return h('p', { class: 'muted' }, 'No observations in this range.');
  return h(
    'table',
    { id: 'observations-table' },
    h(
      'caption',
      { class: 'visually-hidden' },
      'Observations, newest first, times in the local time recorded',
    ),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Date', 'Type', 'Value', 'From', 'To', 'Status', 'Source'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      null,
      items.map((o) =>
        h(
          'tr',
          null,
          h('td', null, o.date),
          h('td', null, o.type.replaceAll('_', ' ')),
          h('td', { class: 'num' }, valueText(o)),
          h('td', null, clock(o.effective_start)),
          h('td', null, o.effective_end ? clock(o.effective_end) : '—'),
          h('td', null, o.status),
          h('td', null, [o.source.vendor, o.source.device].filter(Boolean).join(' · ') || '—'),
        ),
      ),
    ),
  );
}

/**
 * The value as read aloud: blood pressure is systolic/diastolic (`value` is the systolic alone).
 * @param {import('../lib/observations.js').HealthObservation} o
 */
function valueText(o) {
  const c = o.components;
  if (o.type === 'blood_pressure' && c?.systolic !== undefined && c.diastolic !== undefined) {
    return `${formatNumber(c.systolic)}/${formatNumber(c.diastolic)} ${o.unit_display}`;
  }
  return `${formatNumber(o.value, 2)} ${o.unit_display}`;
}

/** @param {string} iso */
function clock(iso) {
  return localClock.format(new Date(localSeconds(iso) * 1000));
}
