// uPlot charts: one per measurement type, in a box of fixed height (no layout shift while data
// loads or when the width changes), resized to the width of its card.

import { h, mount } from '../lib/dom.js';

// uPlot's minified build is a classic script (index.html loads it first, deferred); it sets a global.
/** @type {any} */
const uPlot = /** @type {any} */ (globalThis).uPlot;

export const CHART_HEIGHT = 220;
const COLOR = { line: '#0b5cad', fill: 'rgba(11, 92, 173, 0.15)', axis: '#333', grid: '#e3e6ea' };

/**
 * A chart card: heading, unit, and a body that shows loading, empty or the chart.
 * @param {{ id: string, title: string }} spec
 */
export function chartCard({ id, title }) {
  const unit = h('span', { class: 'unit' });
  const body = h('div', { class: 'chart-body', id: `chart-${id}`, 'aria-busy': 'true' });
  const card = h(
    'section',
    { class: 'card chart-card', 'aria-labelledby': `chart-title-${id}`, 'data-chart': id },
    h('h2', { id: `chart-title-${id}` }, title, ' ', unit),
    body,
  );
  return { card, body, unit };
}

/** @type {WeakMap<HTMLElement, { plot: any, observer: ResizeObserver }>} */
const drawn = new WeakMap();

/** Removes the chart drawn in `body`, if any. @param {HTMLElement} body */
function clear(body) {
  const previous = drawn.get(body);
  previous?.observer.disconnect();
  previous?.plot.destroy();
  drawn.delete(body);
  body.removeAttribute('role');
  body.removeAttribute('aria-label');
}

/** @param {HTMLElement} body */
export function showLoading(body) {
  clear(body);
  body.setAttribute('aria-busy', 'true');
  body.dataset.state = 'loading';
  mount(body, h('p', { class: 'chart-note' }, 'Loading…'));
}

/** @param {HTMLElement} body @param {string} message */
export function showEmpty(body, message) {
  clear(body);
  body.removeAttribute('aria-busy');
  body.dataset.state = 'empty';
  body.dataset.points = '0';
  mount(body, h('p', { class: 'chart-note' }, message));
}

/**
 * Draws a series in `body`. x: the person's local time as shifted seconds (lib/time.js).
 * @param {HTMLElement} body
 * @param {{ x: number[], y: number[], label: string, unit: string, kind: 'line' | 'bars' | 'points', range: [number, number], daily?: boolean, describe: string }} series
 */
export function drawChart(body, { x, y, label, unit, kind, range, daily = false, describe }) {
  clear(body);
  body.removeAttribute('aria-busy');
  body.dataset.state = 'ready';
  body.dataset.points = String(x.length);
  mount(body);
  body.setAttribute('role', 'img');
  body.setAttribute('aria-label', describe);
  const width = Math.max(280, body.clientWidth);
  const fmtValue = (/** @type {unknown} */ _u, /** @type {number | null} */ v) =>
    v === null || v === undefined ? '—' : `${+v.toFixed(2)} ${unit}`;
  const opts = {
    width,
    height: CHART_HEIGHT,
    tzDate: (/** @type {number} */ ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
    cursor: { drag: { x: false, y: false } },
    legend: { show: true },
    scales: {
      x: { time: true, range: () => range },
      y: {
        range: (/** @type {unknown} */ _u, /** @type {number} */ min, /** @type {number} */ max) => {
          if (kind === 'bars') return [0, max > 0 ? max * 1.1 : 1];
          const pad = Math.max((max - min) * 0.1, 1);
          return [Math.floor(min - pad), Math.ceil(max + pad)];
        },
      },
    },
    axes: [
      { stroke: COLOR.axis, grid: { stroke: COLOR.grid }, ticks: { stroke: COLOR.grid } },
      { stroke: COLOR.axis, grid: { stroke: COLOR.grid }, ticks: { stroke: COLOR.grid }, size: 56 },
    ],
    series: [
      { label: daily ? 'Date' : 'Time', value: daily ? '{YYYY}-{MM}-{DD}' : '{YYYY}-{MM}-{DD} {HH}:{mm}' },
      {
        label,
        stroke: COLOR.line,
        width: kind === 'line' ? 1.5 : 2,
        fill: kind === 'bars' ? COLOR.fill : undefined,
        value: fmtValue,
        paths: kind === 'bars' ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined,
        points: kind === 'points' ? { show: true, size: 6, fill: COLOR.line } : { show: false },
        spanGaps: false,
      },
    ],
  };
  const plot = new uPlot(opts, [x, y], body);
  const observer = new ResizeObserver(() => {
    const w = Math.max(280, body.clientWidth);
    if (w !== plot.width) plot.setSize({ width: w, height: CHART_HEIGHT });
  });
  observer.observe(body);
  drawn.set(body, { plot, observer });
  return plot;
}
