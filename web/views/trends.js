// Trends: every measurement type as a chart of days (weeks for a year) from /health/summary, with
// quick ranges, previous/next period, today drawn as partial, days without data distinct from
// days of zero, the person's usual range as a band, values printed beside each chart. Sleep and
// blood pressure read their few observations (one per night, one per reading) for the stages (and
// the latest night's hypnogram) and the systolic/diastolic pairs the summary does not carry.

import { h, mount } from '../lib/dom.js';
import { addDays, isoDate } from '../lib/format.js';
import { drawHypnogram, HYPNOGRAM_ORDER } from '../lib/hypnogram.js';
import {
  displayOf,
  formatMeasure,
  formatMinutes,
  MEASURES,
  measureOf,
  SLEEP_STAGES,
  TYPES,
  vendorName,
} from '../lib/measures.js';
import { fetchAll } from '../lib/observations.js';
import { preferences } from '../lib/prefs.js';
import { clockTime, formatDay, formatShortDay } from '../lib/relative.js';
import { stageStrip } from '../lib/stage-strip.js';
import { baselineOf, bucketValue, fetchSummary } from '../lib/summary.js';
import { drawSvgChart } from '../lib/svg-chart.js';

/** @typedef {import('../lib/measures.js').Units} Units */
/** @typedef {import('../lib/summary.js').Bucket} Bucket */
/** @typedef {import('../lib/svg-chart.js').Slot} Slot */
/** @typedef {import('../lib/observations.js').HealthObservation} HealthObservation */

const RANGES = [
  { days: 7, label: 'Week', bucket: 'day' },
  { days: 30, label: 'Month', bucket: 'day' },
  { days: 90, label: '90 days', bucket: 'day' },
  { days: 365, label: 'Year', bucket: 'week' },
];
/** The chosen range and the last day shown, kept while the page lives. */
const view = { days: 30, end: '' };

/** @param {HTMLElement} main @param {AbortSignal} signal */
export async function renderTrends(main, signal) {
  const type = location.hash.split('/')[2];
  if (type && MEASURES[type]) return renderTrend(main, signal, type);
  return renderOverview(main, signal);
}

/** Every type's last 30 days, small; the ones without data listed at the end. @param {HTMLElement} main @param {AbortSignal} signal */
async function renderOverview(main, signal) {
  const today = isoDate(new Date());
  const grid = h('div', { class: 'tiles', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const none = h('p', { class: 'muted', id: 'no-data-types' });
  mount(
    main,
    h('h1', null, 'Trends'),
    h('p', { class: 'muted' }, 'The last 30 days. Open one for other ranges.'),
    grid,
    none,
  );
  const { units } = await preferences();
  const start = addDays(today, -29);
  const summaries = await Promise.all(
    TYPES.map((type) => fetchSummary(type, start, addDays(today, 1), 'day', signal).catch(() => null)),
  );
  if (signal.aborted) return;
  grid.removeAttribute('aria-busy');
  /** @type {string[]} */
  const empty = [];
  /** @type {(() => void)[]} */
  const draws = [];
  const cards = TYPES.flatMap((type, i) => {
    const summary = summaries[i];
    const m = measureOf(type);
    const values = (summary?.buckets ?? []).map((b) => bucketValue(b, m.stat));
    const known = values.filter((v) => v !== null);
    if (!summary || known.length === 0) {
      empty.push(m.name);
      return [];
    }
    const last = /** @type {Bucket} */ (summary.buckets.filter((b) => b.count > 0).at(-1));
    const avg = known.reduce((a, b) => a + b, 0) / known.length;
    const chart = h('div', { class: 'mini-chart' });
    draws.push(() =>
      drawSvgChart(chart, {
        slots: summary.buckets.map((b) => ({
          label: formatShortDay(b.date),
          value: bucketValue(b, m.stat),
          partial: b.date === today,
        })),
        kind: m.stat === 'sum' ? 'bars' : 'points',
        format: axisFormat(type, units),
        height: 110,
        describe: `${m.name}, last 30 days: average ${formatMeasure(type, avg, units)}.`,
      }),
    );
    return [
      h(
        'a',
        { class: 'card tile trend-card', href: `#/trends/${type}`, 'data-type': type },
        h('h2', null, m.name),
        h(
          'p',
          { class: 'stats' },
          h(
            'span',
            null,
            'Latest ',
            h('strong', null, formatMeasure(type, Number(last[m.stat] ?? 0), units)),
          ),
          h('span', null, 'Average ', h('strong', null, formatMeasure(type, avg, units))),
        ),
        chart,
      ),
    ];
  });
  mount(
    grid,
    cards.length ? cards : h('p', { class: 'muted' }, 'No data yet. Connect Fitbit or Withings, then sync.'),
  );
  none.textContent = empty.length ? `No data in the last 30 days: ${empty.join(', ')}.` : '';
  for (const d of draws) d();
}

/** @param {string} type @param {Units} units */
function axisFormat(type, units) {
  const d = displayOf(type, units);
  return (/** @type {number} */ v) => {
    const x = d.toDisplay(v);
    return Math.abs(x) >= 10000
      ? `${Math.round(x / 1000)}k`
      : new Intl.NumberFormat(undefined, { maximumFractionDigits: Math.abs(x) < 10 ? 1 : 0 }).format(x);
  };
}

/** @param {HTMLElement} main @param {AbortSignal} signal @param {string} type */
async function renderTrend(main, signal, type) {
  const m = measureOf(type);
  const today = isoDate(new Date());
  if (!view.end || view.end > today) view.end = today;
  const body = h('div', { class: 'trend-body' });
  const period = h('p', { class: 'period', id: 'trend-period', 'aria-live': 'polite' });
  const rangeButtons = RANGES.map((r) =>
    h(
      'button',
      {
        type: 'button',
        'aria-pressed': String(r.days === view.days),
        onclick: () => {
          view.days = r.days;
          for (const b of rangeButtons)
            b.setAttribute('aria-pressed', String(b === rangeButtons[RANGES.indexOf(r)]));
          void draw();
        },
      },
      r.label,
    ),
  );
  const next = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', onclick: () => shift(1) }, 'Next ›')
  );
  const shift = (/** @type {number} */ dir) => {
    const moved = addDays(view.end, dir * view.days);
    view.end = moved > today ? today : moved;
    void draw();
  };
  mount(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/trends' }, '‹ All trends')),
    h('h1', null, m.name),
    h(
      'div',
      { class: 'trend-controls' },
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Range' }, rangeButtons),
      h(
        'div',
        { class: 'segmented', role: 'group', 'aria-label': 'Period' },
        h('button', { type: 'button', onclick: () => shift(-1) }, '‹ Previous'),
        next,
      ),
    ),
    period,
    body,
  );
  const { units } = await preferences();

  async function draw() {
    const range = /** @type {typeof RANGES[number]} */ (
      RANGES.find((r) => r.days === view.days) ?? RANGES[1]
    );
    const start = addDays(view.end, -(view.days - 1));
    next.disabled = view.end >= today;
    period.textContent = `${formatDay(start)} – ${formatDay(view.end)}`;
    body.setAttribute('aria-busy', 'true');
    mount(body, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const ctx = {
        type,
        start,
        end: view.end,
        today,
        units,
        bucket: /** @type {'day' | 'week'} */ (range.bucket),
        signal,
      };
      const parts =
        type === 'sleep'
          ? await sleepTrend(ctx)
          : type === 'blood_pressure'
            ? await pressureTrend(ctx)
            : await summaryTrend(ctx);
      if (signal.aborted) return;
      mount(body, parts.nodes);
      body.removeAttribute('aria-busy');
      for (const d of parts.draws) d();
    } catch (err) {
      if (signal.aborted) return;
      body.removeAttribute('aria-busy');
      mount(body, h('p', { class: 'error' }, `Could not load: ${/** @type {Error} */ (err).message}`));
    }
  }
  await draw();
}

/** @typedef {{ type: string, start: string, end: string, today: string, units: Units, bucket: 'day' | 'week', signal: AbortSignal }} TrendContext */

/** @param {{ label: string, value: string, field: string }[]} items */
function statRow(items) {
  return h(
    'dl',
    { class: 'stat-row' },
    items.map((i) => h('div', { 'data-stat': i.field }, h('dt', null, i.label), h('dd', null, i.value))),
  );
}

/** @param {string} start @param {string} end */
const rangeWords = (start, end) => `from ${formatDay(start)} to ${formatDay(end)}`;

/** @param {TrendContext} c */
async function summaryTrend({ type, start, end, today, units, bucket, signal }) {
  const m = measureOf(type);
  // The band needs 30 days before the period's end, whatever the range.
  const from =
    m.baseline && bucket === 'day' ? (addDays(end, -29) < start ? addDays(end, -29) : start) : start;
  const summary = await fetchSummary(type, from, addDays(end, 1), bucket, signal);
  const shown = summary.buckets.filter((b) => b.date >= start || bucket !== 'day');
  const values = shown.map((b) => bucketValue(b, m.stat));
  const known = /** @type {number[]} */ (values.filter((v) => v !== null));
  if (known.length === 0) {
    return {
      nodes: [
        h('p', { class: 'muted empty-chart' }, `No ${m.name.toLowerCase()} ${rangeWords(start, end)}.`),
      ],
      draws: [],
    };
  }
  const lastBucket = /** @type {Bucket} */ (shown.filter((b) => b.count > 0).at(-1));
  const avg = known.reduce((a, b) => a + b, 0) / known.length;
  const band = m.baseline
    ? baselineOf(summary.buckets.filter((b) => b.date > addDays(end, -30)).map((b) => bucketValue(b, 'avg')))
    : null;
  const fmt = (/** @type {number} */ v) => formatMeasure(type, v, units);
  const perWeek = bucket === 'week' && m.stat === 'sum';
  const stats = [
    {
      label: 'Latest',
      value: `${fmt(Number(lastBucket[m.stat]))} (${formatShortDay(lastBucket.date)})`,
      field: 'latest',
    },
    { label: perWeek ? 'Average per week' : 'Average per day', value: fmt(avg), field: 'average' },
    m.stat === 'sum'
      ? { label: 'Total', value: fmt(known.reduce((a, b) => a + b, 0)), field: 'total' }
      : {
          label: 'Lowest – highest',
          value: `${fmt(Math.min(...known))} – ${fmt(Math.max(...known))}`,
          field: 'range',
        },
  ];
  if (band)
    stats.push({
      label: 'Your usual range (30 days)',
      value: `${fmt(band.low)} – ${fmt(band.high)}`,
      field: 'baseline',
    });
  const missing = values.filter((v) => v === null).length;
  const chart = h('div', { class: 'chart-box', id: `trend-chart-${type}` });
  const partialOf = (/** @type {Bucket} */ b) =>
    bucket === 'day' ? b.date === today : b.date <= today && addDays(b.date, 7) > today;
  return {
    nodes: [
      statRow(stats),
      chart,
      legend([
        m.stat === 'sum' ? ['bar', 'Days with data'] : ['point', 'Daily value'],
        ['partial', 'Today so far'],
        ['missing', 'No data'],
        band ? ['band', 'Your usual range'] : null,
      ]),
      h(
        'p',
        { class: 'muted small' },
        `${known.length} ${bucket === 'week' ? 'weeks' : 'days'} with data, ${missing} without.`,
      ),
    ],
    draws: [
      () =>
        drawSvgChart(chart, {
          slots: shown.map((b) => ({
            label: formatShortDay(b.date),
            value: bucketValue(b, m.stat),
            partial: partialOf(b),
          })),
          kind: m.stat === 'sum' ? 'bars' : 'points',
          band: band ? { low: band.low, high: band.high } : null,
          format: axisFormat(type, units),
          describe: `${m.name} ${rangeWords(start, end)}: average ${fmt(avg)}, latest ${fmt(Number(lastBucket[m.stat]))}.`,
        }),
    ],
  };
}

/** @param {([string, string] | null)[]} items */
function legend(items) {
  return h(
    'ul',
    { class: 'legend' },
    items
      .filter((i) => i !== null)
      .map(([key, text]) =>
        h('li', null, h('span', { class: `swatch swatch-${key}`, 'aria-hidden': 'true' }), text),
      ),
  );
}

/** One bar per night, stacked by stage; the latest night's detail below. @param {TrendContext} c */
async function sleepTrend({ start, end, today, signal }) {
  const items = await fetchAll({ type: 'sleep', start, end: addDays(end, 1), sort: 'date' }, signal);
  if (items.length === 0)
    return {
      nodes: [h('p', { class: 'muted empty-chart' }, `No sleep ${rangeWords(start, end)}.`)],
      draws: [],
    };
  /** @type {Map<string, HealthObservation>} the main (longest) sleep of each night */
  const byNight = new Map();
  for (const it of items) {
    const seen = byNight.get(it.date);
    if (!seen || it.value > seen.value) byNight.set(it.date, it);
  }
  /** @type {Slot[]} */
  const slots = [];
  for (let d = start; d <= end; d = addDays(d, 1)) {
    const night = byNight.get(d);
    slots.push({
      label: formatShortDay(d),
      value: night ? night.value / 60 : null,
      parts: night
        ? SLEEP_STAGES.map((s) => ({ key: s.key, value: (night.components?.[s.key] ?? 0) / 60 }))
        : undefined,
      partial: d === today && night?.status === 'preliminary',
    });
  }
  const nights = [...byNight.values()];
  const avg = nights.reduce((a, n) => a + n.value, 0) / nights.length;
  const latest = /** @type {HealthObservation} */ (nights.at(-1));
  const chart = h('div', { class: 'chart-box', id: 'trend-chart-sleep' });
  const present = SLEEP_STAGES.filter((s) => nights.some((n) => (n.components?.[s.key] ?? 0) > 0));
  // The latest night's detail from the source that sent its stage order, when one did (two
  // sources may both have measured the night); else from the one the bars show.
  const ordered = items
    .filter((i) => i.date === latest.date && (i.stages?.length ?? 0) > 0)
    .sort((a, b) => b.value - a.value)[0];
  const detail = nightDetail(ordered ?? latest);
  return {
    nodes: [
      statRow([
        {
          label: 'Latest night',
          value: `${formatMinutes(latest.value)} (${formatShortDay(latest.date)})`,
          field: 'latest',
        },
        { label: 'Average asleep', value: formatMinutes(avg), field: 'average' },
        { label: 'Nights', value: String(nights.length), field: 'nights' },
      ]),
      chart,
      legend([
        ...present.map((s) => /** @type {[string, string]} */ ([`stage-${s.key}`, s.name])),
        ['missing', 'No data'],
      ]),
      detail.node,
    ],
    draws: [
      ...detail.draws,
      () =>
        drawSvgChart(chart, {
          slots,
          kind: 'stack',
          format: (v) => `${Math.round(v)} h`,
          describe: `Sleep per night ${rangeWords(start, end)}: average ${formatMinutes(avg)} asleep over ${nights.length} nights.`,
        }),
    ],
  };
}

/**
 * One night: bedtime to wake-up as a line, its stages in proportion, and when the source sent the
 * order of the stages, the hypnogram (stages through the night) with a text summary and a table.
 * @param {HealthObservation} night
 * @returns {{ node: HTMLElement, draws: (() => void)[] }}
 */
function nightDetail(night) {
  const stages = SLEEP_STAGES.filter((s) => (night.components?.[s.key] ?? 0) > 0);
  const inBed = night.effective_end
    ? (Date.parse(night.effective_end) - Date.parse(night.effective_start)) / 60_000
    : night.value;
  const hypno = hypnogram(night);
  const node = h(
    'section',
    { class: 'night', 'aria-labelledby': 'night-title', 'data-night': night.date },
    h('h2', { id: 'night-title' }, `Night of ${formatDay(addDays(night.date, -1))}`),
    h('p', { class: 'muted small' }, `From ${vendorName(night.source.vendor)}`),
    h(
      'p',
      null,
      `In bed ${clockTime(night.effective_start)} – ${night.effective_end ? clockTime(night.effective_end) : '…'} (${formatMinutes(inBed)}), asleep ${formatMinutes(night.value)}.`,
    ),
    h(
      'div',
      { class: 'night-strip' },
      h('span', { class: 'edge' }, clockTime(night.effective_start)),
      stageStrip(night, 'stage-strip tall'),
      h('span', { class: 'edge' }, night.effective_end ? clockTime(night.effective_end) : ''),
    ),
    h(
      'table',
      { class: 'compact' },
      h('caption', { class: 'visually-hidden' }, 'Time in each stage'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'Stage'),
          h('th', { scope: 'col' }, 'Time'),
          h('th', { scope: 'col' }, 'Share'),
        ),
      ),
      h(
        'tbody',
        null,
        stages.map((s) => {
          const min = night.components?.[s.key] ?? 0;
          const total = stages.reduce((a, x) => a + (night.components?.[x.key] ?? 0), 0);
          return h(
            'tr',
            { 'data-stage': s.key },
            h(
              'th',
              { scope: 'row' },
              h('span', { class: `swatch stage-${s.key}`, 'aria-hidden': 'true' }),
              s.name,
            ),
            h('td', { class: 'num' }, formatMinutes(min)),
            h('td', { class: 'num' }, `${Math.round((min / total) * 100)}%`),
          );
        }),
      ),
    ),
    hypno
      ? hypno.node
      : h(
          'p',
          { class: 'muted small' },
          'This source sent stage totals only, not their order through the night.',
        ),
  );
  return { node, draws: hypno ? [hypno.draw] : [] };
}

/**
 * The hypnogram of a night with `stages`: the SVG (rows awake, REM, light, deep), a sentence saying
 * what it shows, and the same steps as a table for who cannot see the chart.
 * @param {HealthObservation} night
 * @returns {{ node: HTMLElement, draw: () => void } | null}
 */
function hypnogram(night) {
  const stages = night.stages ?? [];
  if (stages.length === 0) return null;
  const name = (/** @type {string} */ key) => SLEEP_STAGES.find((s) => s.key === key)?.name ?? key;
  const keys = new Set(stages.map((s) => s.stage));
  const staged = ['rem', 'light', 'deep'].some((k) => keys.has(k));
  const rows = HYPNOGRAM_ORDER.filter(
    (k) => keys.has(k) || (staged && ['awake', 'rem', 'light', 'deep'].includes(k)),
  ).map((key) => ({ key, name: name(key) }));
  const minutes = (/** @type {{ start: string, end: string }} */ s) =>
    Math.round((Date.parse(s.end) - Date.parse(s.start)) / 60_000);
  const start = night.effective_start;
  const end = night.effective_end ?? /** @type {{ end: string }} */ (stages.at(-1)).end;
  const changes = stages.length - 1;
  const firstDeep = stages.find((s) => s.stage === 'deep');
  const firstRem = stages.find((s) => s.stage === 'rem');
  const awakenings = stages.filter((s, i) => s.stage === 'awake' && i > 0 && i < stages.length - 1).length;
  const summary = [
    `Stages through the night from ${clockTime(start)} to ${clockTime(end)}: ${stages.length} periods, ${changes} changes of stage`,
    firstDeep ? `first deep sleep at ${clockTime(firstDeep.start)}` : '',
    firstRem ? `first REM at ${clockTime(firstRem.start)}` : '',
    `woke ${awakenings} ${awakenings === 1 ? 'time' : 'times'} during the night`,
  ]
    .filter(Boolean)
    .join(', ');
  const box = h('div', { class: 'chart-box hypnogram-box', id: 'hypnogram-chart' });
  const node = h(
    'section',
    { class: 'hypnogram-section', 'aria-labelledby': 'hypnogram-title' },
    h('h3', { id: 'hypnogram-title' }, 'Stages through the night'),
    box,
    h('p', { class: 'muted small', id: 'hypnogram-summary' }, `${summary}.`),
    h(
      'details',
      null,
      h('summary', null, 'Stages by time'),
      h(
        'table',
        { class: 'compact', id: 'hypnogram-table' },
        h('caption', { class: 'visually-hidden' }, 'Stages of the night in order'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'From'),
            h('th', { scope: 'col' }, 'To'),
            h('th', { scope: 'col' }, 'Stage'),
            h('th', { scope: 'col' }, 'Time'),
          ),
        ),
        h(
          'tbody',
          null,
          stages.map((s) =>
            h(
              'tr',
              { 'data-stage': s.stage },
              h('td', null, clockTime(s.start)),
              h('td', null, clockTime(s.end)),
              h(
                'th',
                { scope: 'row' },
                h('span', { class: `swatch stage-${s.stage}`, 'aria-hidden': 'true' }),
                name(s.stage),
              ),
              h('td', { class: 'num' }, formatMinutes(minutes(s))),
            ),
          ),
        ),
      ),
    ),
  );
  return {
    node,
    draw: () => drawHypnogram(box, { stages, rows, start, end, describe: `Hypnogram. ${summary}.` }),
  };
}

/** Systolic over diastolic, one line per day (the day's mean of each). @param {TrendContext} c */
async function pressureTrend({ start, end, signal }) {
  const items = await fetchAll({ type: 'blood_pressure', start, end: addDays(end, 1), sort: 'date' }, signal);
  const readings = items.filter(
    (i) => i.components?.systolic !== undefined && i.components?.diastolic !== undefined,
  );
  if (readings.length === 0) {
    return {
      nodes: [h('p', { class: 'muted empty-chart' }, `No blood pressure ${rangeWords(start, end)}.`)],
      draws: [],
    };
  }
  /** @type {Map<string, { sys: number[], dia: number[] }>} */
  const byDay = new Map();
  for (const r of readings) {
    const day = byDay.get(r.date) ?? { sys: [], dia: [] };
    day.sys.push(Number(r.components?.systolic));
    day.dia.push(Number(r.components?.diastolic));
    byDay.set(r.date, day);
  }
  const mean = (/** @type {number[]} */ a) => a.reduce((x, y) => x + y, 0) / a.length;
  /** @type {Slot[]} */
  const slots = [];
  for (let d = start; d <= end; d = addDays(d, 1)) {
    const day = byDay.get(d);
    slots.push(
      day
        ? { label: formatShortDay(d), value: mean(day.sys), high: mean(day.sys), low: mean(day.dia) }
        : { label: formatShortDay(d), value: null },
    );
  }
  const last = /** @type {HealthObservation} */ (readings.at(-1));
  const pair = (/** @type {number} */ s, /** @type {number} */ d) => `${Math.round(s)}/${Math.round(d)} mmHg`;
  const chart = h('div', { class: 'chart-box', id: 'trend-chart-blood_pressure' });
  const allSys = readings.map((r) => Number(r.components?.systolic));
  const allDia = readings.map((r) => Number(r.components?.diastolic));
  return {
    nodes: [
      statRow([
        {
          label: 'Latest',
          value: `${pair(Number(last.components?.systolic), Number(last.components?.diastolic))} (${formatShortDay(last.date)} ${clockTime(last.effective_start)})`,
          field: 'latest',
        },
        { label: 'Average', value: pair(mean(allSys), mean(allDia)), field: 'average' },
        { label: 'Readings', value: String(readings.length), field: 'readings' },
      ]),
      chart,
      legend([
        ['high', 'Systolic'],
        ['low', 'Diastolic'],
        ['missing', 'No reading'],
      ]),
    ],
    draws: [
      () =>
        drawSvgChart(chart, {
          slots,
          kind: 'range',
          format: (v) => String(Math.round(v)),
          describe: `Blood pressure ${rangeWords(start, end)}: ${readings.length} readings, average ${pair(mean(allSys), mean(allDia))}.`,
        }),
    ],
  };
}
