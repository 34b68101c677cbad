// The data page: a date range, one chart per type, the table and the export buttons.

import { getJson } from '../lib/api.js';
import { h, mount } from '../lib/dom.js';
import { addDays, formatNumber, isoDate } from '../lib/format.js';
import { fetchAll, fetchPage } from '../lib/observations.js';
import { daySeconds, localSeconds } from '../lib/time.js';
import { chartCard, drawChart, showEmpty, showLoading } from './charts.js';
import { exportSection } from './export.js';
import { tableSection } from './table.js';

/** @typedef {import('../lib/observations.js').HealthObservation} HealthObservation */

/**
 * Daily charts: type, title, how to draw, and which daily statistic of /health/summary (one source
 * per day: a Withings scale and a Fitbit never add up or show twice on one day).
 */
const DAILY = [
  { type: 'steps', title: 'Steps', kind: 'bars', stat: 'sum' },
  { type: 'calories', title: 'Calories burned', kind: 'bars', stat: 'sum' },
  { type: 'distance', title: 'Distance', kind: 'bars', stat: 'sum' },
  { type: 'body_weight', title: 'Weight', kind: 'points', stat: 'avg' },
  { type: 'resting_heart_rate', title: 'Resting heart rate', kind: 'points', stat: 'avg' },
  { type: 'spo2', title: 'Oxygen saturation (SpO2)', kind: 'points', stat: 'avg' },
];

/** @typedef {{ date: string, count: number, avg: number | null, sum: number | null, source: string | null }} DayBucket */

/** The chosen range, kept while the page lives. Dates are the person's local days, `to` inclusive. */
const range = { from: '', to: '', day: '' };

/** @param {HTMLElement} main @param {AbortSignal} signal */
export async function renderData(main, signal) {
  const from = /** @type {HTMLInputElement} */ (
    h('input', { type: 'date', id: 'range-from', required: true })
  );
  const to = /** @type {HTMLInputElement} */ (h('input', { type: 'date', id: 'range-to', required: true }));
  const day = /** @type {HTMLInputElement} */ (h('input', { type: 'date', id: 'hr-day', required: true }));
  const getRange = () => ({ start: range.from, end: addDays(range.to, 1) });

  const heart = chartCard({ id: 'heart_rate', title: 'Heart rate (intraday)' });
  const daily = DAILY.map((spec) => ({ spec, ...chartCard({ id: spec.type, title: spec.title }) }));
  for (const c of [heart, ...daily]) showLoading(c.body);
  const table = tableSection(getRange);

  /** @param {SubmitEvent} event */
  function apply(event) {
    event.preventDefault();
    if (from.value > to.value) {
      to.setCustomValidity('The end date must not be before the start date.');
      to.reportValidity();
      return;
    }
    to.setCustomValidity('');
    Object.assign(range, { from: from.value, to: to.value, day: day.value });
    void drawAll();
  }

  mount(
    main,
    h('h1', null, 'Your health data'),
    h(
      'form',
      { class: 'card controls', onsubmit: apply, 'aria-label': 'Date range' },
      h('div', { class: 'field' }, h('label', { for: 'range-from' }, 'From'), from),
      h('div', { class: 'field' }, h('label', { for: 'range-to' }, 'To'), to),
      h('div', { class: 'field' }, h('label', { for: 'hr-day' }, 'Heart-rate day'), day),
      h('button', { type: 'submit', class: 'primary' }, 'Show'),
    ),
    h('p', { class: 'muted small' }, 'Times are shown in the local time the device recorded.'),
    h(
      'div',
      { class: 'charts' },
      heart.card,
      daily.map((c) => c.card),
    ),
    table.section,
    exportSection(getRange),
  );

  if (!range.to) Object.assign(range, await defaultRange());
  if (signal.aborted) return;
  from.value = range.from;
  to.value = range.to;
  day.value = range.day;

  async function drawAll() {
    for (const c of [heart, ...daily]) showLoading(c.body);
    await Promise.all([drawHeartRate(heart, range.day, signal), drawDaily(daily, signal), table.reload()]);
  }
  await drawAll();
}

/**
 * The default view: up to 30 days ending on the latest day with data (starting no earlier than the
 * first), and the heart rate of the latest complete day (today's is still filling in).
 */
async function defaultRange() {
  const [latest, earliest, latestHeart] = await Promise.all([
    fetchPage({ limit: 1 }).catch(() => null),
    fetchPage({ limit: 1, sort: 'date' }).catch(() => null),
    fetchPage({ type: 'heart_rate', limit: 1 }).catch(() => null),
  ]);
  const to = latest?.items[0]?.date ?? isoDate(new Date());
  const first = earliest?.items[0]?.date;
  const from = first && first > addDays(to, -29) ? first : addDays(to, -29);
  const heart = latestHeart?.items[0];
  const inProgress = heart?.status === 'preliminary' && heart.date > from;
  const day = heart ? (inProgress ? addDays(heart.date, -1) : heart.date) : to;
  return { from, to, day };
}

/** @param {ReturnType<typeof chartCard>} card @param {string} day @param {AbortSignal} signal */
async function drawHeartRate(card, day, signal) {
  try {
    const items = await fetchAll(
      { type: 'heart_rate', start: day, end: addDays(day, 1), sort: 'date' },
      signal,
    );
    if (signal.aborted) return;
    const points = heartRatePoints(items);
    if (points.x.length === 0) return showEmpty(card.body, `No heart-rate data on ${day}.`);
    const unit = items[0]?.unit_display ?? '';
    card.unit.textContent = `(${unit})`;
    const min = Math.min(...points.y);
    const max = Math.max(...points.y);
    drawChart(card.body, {
      ...points,
      label: 'Heart rate',
      unit,
      kind: 'line',
      range: [daySeconds(day), daySeconds(addDays(day, 1))],
      describe: `Heart rate on ${day}: ${points.x.length} readings from ${min} to ${max} ${unit}.`,
    });
  } catch (err) {
    showEmpty(card.body, `Could not load: ${/** @type {Error} */ (err).message}`);
  }
}

/**
 * Windowed items carry their dense samples; a plain reading is one point at its start.
 * @param {HealthObservation[]} items
 */
export function heartRatePoints(items) {
  /** @type {[number, number][]} */
  const pairs = [];
  for (const item of items) {
    if (item.samples && item.samples.length > 0) {
      for (const s of item.samples) pairs.push([localSeconds(s.time), s.value]);
    } else {
      pairs.push([localSeconds(item.effective_start), item.value]);
    }
  }
  pairs.sort((a, b) => a[0] - b[0]);
  return { x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]) };
}

/** @param {(ReturnType<typeof chartCard> & { spec: typeof DAILY[number] })[]} cards @param {AbortSignal} signal */
async function drawDaily(cards, signal) {
  const start = range.from;
  const end = addDays(range.to, 1);
  await Promise.all(
    cards.map(async (card) => {
      try {
        const query = new URLSearchParams({ type: card.spec.type, start, end, bucket: 'day' });
        const summary = /** @type {{ unit_display: string, buckets: DayBucket[] }} */ (
          await getJson(`/health/summary?${query}`)
        );
        if (signal.aborted) return;
        const days = summary.buckets.filter((b) => b.count > 0 && b[card.spec.stat] !== null);
        if (days.length === 0) {
          showEmpty(card.body, `No ${card.spec.title.toLowerCase()} data from ${start} to ${range.to}.`);
          return;
        }
        const unit = summary.unit_display;
        card.unit.textContent = `(${unit})`;
        // A day's value sits at the middle of its local day.
        const x = days.map((b) => daySeconds(b.date) + 43_200);
        const y = days.map((b) => Number(b[card.spec.stat]));
        const total = y.reduce((a, b) => a + b, 0);
        drawChart(card.body, {
          x,
          y,
          label: card.spec.title,
          unit,
          kind: /** @type {'bars' | 'points'} */ (card.spec.kind),
          daily: true,
          range: [daySeconds(start), daySeconds(end)],
          describe: `${card.spec.title} from ${start} to ${range.to}: ${days.length} days, average ${formatNumber(total / days.length)} ${unit}.`,
        });
      } catch (err) {
        if (!signal.aborted) showEmpty(card.body, `Could not load: ${/** @type {Error} */ (err).message}`);
      }
    }),
  );
}
