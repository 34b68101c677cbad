// Today, the landing page: the day's activity against the person's goals, last night's sleep,
// resting heart rate and HRV against their 30-day baseline, the latest weight and blood pressure,
// and how fresh each source is. One request per thing shown, all at once.

import { getJson } from '../lib/api.js';
import { h, mount } from '../lib/dom.js';
import { addDays, isoDate } from '../lib/format.js';
import { formatMeasure, formatMinutes, SLEEP_STAGES, vendorName } from '../lib/measures.js';
import { fetchPage } from '../lib/observations.js';
import { preferences } from '../lib/prefs.js';
import { clockTime, formatDay, relativeTime } from '../lib/relative.js';
import { stageStrip } from '../lib/stage-strip.js';
import { baselineOf, bucketValue, fetchSummary } from '../lib/summary.js';
import { drawSvgChart } from '../lib/svg-chart.js';

/** @typedef {import('../lib/summary.js').Summary} Summary */
/** @typedef {import('../lib/observations.js').HealthObservation} HealthObservation */
/** @typedef {import('../lib/measures.js').Units} Units */

/** @param {HTMLElement} main @param {AbortSignal} signal */
export async function renderToday(main, signal) {
  const today = isoDate(new Date());
  const grid = h(
    'div',
    { class: 'tiles', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading your day…'),
  );
  mount(main, h('h1', null, 'Today'), h('p', { class: 'muted' }, formatDay(today)), grid);

  const start = addDays(today, -30);
  const end = addDays(today, 1);
  const latest = (/** @type {string} */ type) =>
    fetchPage({ type, limit: 1 }).then((p) => p.items[0] ?? null);
  const [prefs, integrations, steps, energy, rhr, hrv, sleep, weight, pressure] = await Promise.all([
    preferences(),
    getJson('/integrations/vendors', signal).then((r) => r.integrations ?? []),
    fetchSummary('steps', addDays(today, -6), end, 'day', signal),
    fetchSummary('calories', addDays(today, -6), end, 'day', signal),
    fetchSummary('resting_heart_rate', start, end, 'day', signal),
    fetchSummary('hrv_rmssd', start, end, 'day', signal),
    lastNight(),
    latest('body_weight'),
    latest('blood_pressure'),
  ]);
  if (signal.aborted) return;
  const units = prefs.units;
  /** @type {{ vendor: string, status: string, last_sync_at: string | null, next_sync_at: string | null }[]} */
  const connected = integrations.filter(
    (/** @type {{ status: string }} */ i) => i.status !== 'pending_authorization',
  );
  const nothing = connected.length === 0 && !steps.buckets.some((b) => b.count > 0) && !sleep && !weight;
  grid.removeAttribute('aria-busy');
  if (nothing) {
    mount(
      grid,
      h(
        'section',
        { class: 'card empty-state', 'data-tile': 'empty' },
        h('h2', null, 'Nothing here yet'),
        h('p', null, 'Connect Fitbit or Withings to see your steps, sleep, heart rate and weight here.'),
        h('a', { class: 'button primary', href: '#/integrations' }, 'Connect a device'),
      ),
    );
    return;
  }
  mount(
    grid,
    goalTile('steps', 'Steps', steps, prefs.goals.steps, today, units),
    goalTile('calories', 'Energy burned', energy, prefs.goals.energy, today, units),
    sleepTile(sleep, prefs.goals.sleep, today),
    baselineTile('resting_heart_rate', 'Resting heart rate', rhr, today, units),
    baselineTile('hrv_rmssd', 'Heart rate variability', hrv, today, units),
    latestTile('body_weight', 'Weight', weight, units),
    pressureTile(pressure),
    sourcesTile(connected),
  );
  for (const draw of pendingCharts.splice(0)) draw();
}

/** The latest night's main sleep: the longest ending on the latest date (naps and a second source aside). */
async function lastNight() {
  const { items } = await fetchPage({ type: 'sleep', limit: 6 });
  const date = items[0]?.date;
  const same = items.filter((i) => i.date === date);
  return same.reduce(
    (best, i) => (best === null || i.value > best.value ? i : best),
    /** @type {HealthObservation | null} */ (null),
  );
}

/** Charts drawn once their tiles are in the page (they size to their box). @type {(() => void)[]} */
const pendingCharts = [];

/** @param {string} id @param {string} title @param {...unknown} body */
function tile(id, title, ...body) {
  return h(
    'section',
    { class: 'card tile', 'data-tile': id, 'aria-labelledby': `tile-${id}` },
    h('h2', { id: `tile-${id}` }, title),
    ...body,
  );
}

/** @param {string} type */
const trendLink = (type, text = 'See trend') => h('a', { class: 'more', href: `#/trends/${type}` }, text);

/**
 * @param {string} type @param {string} title @param {Summary} summary @param {number} goal
 * @param {string} today @param {Units} units
 */
function goalTile(type, title, summary, goal, today, units) {
  const days = summary.buckets.filter((b) => b.count > 0);
  const day = days.find((b) => b.date === today) ?? days.at(-1);
  if (!day) {
    return tile(
      type,
      title,
      h('p', { class: 'muted' }, `No ${title.toLowerCase()} yet. Connect Fitbit or Withings to see them.`),
    );
  }
  const value = bucketValue(day, 'sum') ?? 0;
  const pct = Math.round((value / goal) * 100);
  const when = day.date === today ? 'so far today' : `on ${formatDay(day.date)}`;
  return tile(
    type,
    title,
    h('p', { class: 'big', 'data-field': 'value' }, formatMeasure(type, value, units)),
    h('progress', { max: goal, value: Math.min(value, goal), 'aria-label': `${title}: ${pct}% of the goal` }),
    h('p', { class: 'muted small' }, `${pct}% of your goal of ${formatMeasure(type, goal, units)}, ${when}`),
    trendLink(type),
  );
}

/** @param {HealthObservation | null} night @param {number} goal @param {string} today */
function sleepTile(night, goal, today) {
  if (!night)
    return tile(
      'sleep',
      'Sleep',
      h('p', { class: 'muted' }, 'No sleep recorded yet. Wear your tracker at night to see it here.'),
    );
  const stages = SLEEP_STAGES.filter((s) => (night.components?.[s.key] ?? 0) > 0);
  const total = stages.reduce((a, s) => a + (night.components?.[s.key] ?? 0), 0) || night.value;
  const lastNight = night.date >= addDays(today, -1);
  return tile(
    'sleep',
    lastNight ? 'Last night' : `Sleep, ${formatDay(night.date)}`,
    h('p', { class: 'big', 'data-field': 'value' }, formatMinutes(night.value)),
    h(
      'p',
      { class: 'muted small' },
      `${clockTime(night.effective_start)} – ${night.effective_end ? clockTime(night.effective_end) : '…'} · goal ${formatMinutes(goal)} · ${vendorName(night.source.vendor)}`,
    ),
    stages.length > 0
      ? [
          stageStrip(night),
          h(
            'ul',
            { class: 'legend' },
            stages.map((s) =>
              h(
                'li',
                null,
                h('span', { class: `swatch stage-${s.key}`, 'aria-hidden': 'true' }),
                `${s.name} ${formatMinutes(night.components?.[s.key] ?? 0)} (${Math.round(((night.components?.[s.key] ?? 0) / total) * 100)}%)`,
              ),
            ),
          ),
        ]
      : null,
    trendLink('sleep'),
  );
}

/** @param {string} type @param {string} title @param {Summary} summary @param {string} today @param {Units} units */
function baselineTile(type, title, summary, today, units) {
  const days = summary.buckets.filter((b) => b.count > 0);
  const last = days.at(-1);
  if (!last) return tile(type, title, h('p', { class: 'muted' }, `No ${title.toLowerCase()} yet.`));
  const value = bucketValue(last, 'avg') ?? 0;
  const before = summary.buckets.filter((b) => b.date < last.date).map((b) => bucketValue(b, 'avg'));
  const band = baselineOf(before);
  const chart = h('div', { class: 'mini-chart' });
  const recent = summary.buckets.slice(-14);
  pendingCharts.push(() =>
    drawSvgChart(chart, {
      slots: recent.map((b) => ({
        label: b.date.slice(8),
        value: bucketValue(b, 'avg'),
        partial: b.date === today,
      })),
      kind: 'points',
      band: band ? { low: band.low, high: band.high } : null,
      format: (v) => String(Math.round(v)),
      height: 120,
      describe: `${title}, last 14 days${band ? `, with your usual range ${Math.round(band.low)} to ${Math.round(band.high)}` : ''}.`,
    }),
  );
  let verdict = 'Not enough days yet for your usual range (7 needed).';
  if (band) {
    const where = value < band.low ? 'below' : value > band.high ? 'above' : 'within';
    verdict = `${where === 'within' ? 'Within' : where === 'below' ? 'Below' : 'Above'} your usual ${formatMeasure(type, band.low, units)} – ${formatMeasure(type, band.high, units)} (last ${band.days} days)`;
  }
  return tile(
    type,
    title,
    h('p', { class: 'big', 'data-field': 'value' }, formatMeasure(type, value, units)),
    h(
      'p',
      { class: 'muted small', 'data-field': 'baseline' },
      verdict,
      last.date === today ? '' : `, on ${formatDay(last.date)}`,
    ),
    chart,
    trendLink(type),
  );
}

/** @param {string} type @param {string} title @param {HealthObservation | null} item @param {Units} units */
function latestTile(type, title, item, units) {
  if (!item)
    return tile(
      type,
      title,
      h('p', { class: 'muted' }, 'No weight yet. Connect a Withings scale to see it here.'),
    );
  return tile(
    type,
    title,
    h('p', { class: 'big', 'data-field': 'value' }, formatMeasure(type, item.value, units)),
    h('p', { class: 'muted small' }, `${formatDay(item.date)}, ${vendorName(item.source.vendor)}`),
    trendLink(type),
  );
}

/** @param {HealthObservation | null} item */
function pressureTile(item) {
  const title = 'Blood pressure';
  if (!item)
    return tile(
      'blood_pressure',
      title,
      h('p', { class: 'muted' }, 'No blood pressure yet. Connect a Withings monitor to see it here.'),
    );
  const sys = Math.round(item.components?.systolic ?? item.value);
  const dia = item.components?.diastolic;
  return tile(
    'blood_pressure',
    title,
    h(
      'p',
      { class: 'big', 'data-field': 'value' },
      dia === undefined ? `${sys} mmHg` : `${sys}/${Math.round(dia)} mmHg`,
    ),
    h(
      'p',
      { class: 'muted small' },
      `${formatDay(item.date)} at ${clockTime(item.effective_start)}, ${vendorName(item.source.vendor)}`,
    ),
    trendLink('blood_pressure'),
  );
}

/** @param {{ vendor: string, status: string, last_sync_at: string | null, next_sync_at: string | null }[]} connected */
function sourcesTile(connected) {
  return tile(
    'sources',
    'Sources',
    connected.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'Nothing is connected. ',
          h('a', { href: '#/integrations' }, 'Connect Fitbit or Withings'),
          '.',
        )
      : h(
          'ul',
          { class: 'plain' },
          connected.map((i) =>
            h(
              'li',
              { 'data-vendor': i.vendor },
              h('strong', null, vendorName(i.vendor)),
              i.status === 'connected'
                ? i.last_sync_at
                  ? `, synced ${relativeTime(i.last_sync_at)}`
                  : ', first sync on its way'
                : `: ${i.status === 'needs_reauth' ? 'needs to be connected again' : i.status.replaceAll('_', ' ')}`,
            ),
          ),
        ),
    h('a', { class: 'more', href: '#/sync' }, 'Sources and sync'),
  );
}
