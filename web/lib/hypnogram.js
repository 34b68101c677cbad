// A night's hypnogram: time across, one row per stage (awake on top, deep at the bottom), each
// stage interval a rect in its row, thin steps joining consecutive intervals. Same hand-written
// SVG as svg-chart.js: drawn at the width of its box and redrawn when it changes.

import { drawFitted, svgEl } from './svg-chart.js';

/**
 * @typedef {{ stage: string, start: string, end: string }} StageInterval
 * @typedef {{ key: string, name: string }} StageRow
 * @typedef {{ stages: StageInterval[], rows: StageRow[], start: string, end: string, describe: string }} HypnogramSpec
 */

const PAD = { top: 6, right: 12, bottom: 24, left: 64 };
const ROW_H = 26;

/** The rows top to bottom: awake, then lighter to deeper sleep. */
export const HYPNOGRAM_ORDER = ['awake', 'restless', 'rem', 'light', 'asleep', 'deep'];

/** Minutes east of UTC written at the end of a local RFC 3339 time (0 for 'Z'). @param {string} iso */
function offsetMinutes(iso) {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** Draws `spec` into `box` (replacing what was there) and keeps it fitted to the box's width. @param {HTMLElement} box @param {HypnogramSpec} spec */
export function drawHypnogram(box, spec) {
  drawFitted(box, (width) => render(spec, width));
}

/** @param {HypnogramSpec} spec @param {number} width */
function render(spec, width) {
  const height = PAD.top + ROW_H * spec.rows.length + PAD.bottom;
  const svg = svgEl('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    class: 'svg-chart hypnogram',
  });
  svg.setAttribute('aria-label', spec.describe);
  const t0 = Date.parse(spec.start);
  const t1 = Math.max(Date.parse(spec.end), t0 + 60_000);
  const plotW = width - PAD.left - PAD.right;
  const x = (/** @type {number} */ t) =>
    PAD.left + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotW;
  /** @type {Map<string, number>} */
  const rowOf = new Map(spec.rows.map((r, i) => [r.key, i]));
  const rowTop = (/** @type {number} */ i) => PAD.top + i * ROW_H;

  spec.rows.forEach((r, i) => {
    svg.append(
      svgEl('line', {
        x1: PAD.left,
        x2: width - PAD.right,
        y1: rowTop(i) + ROW_H,
        y2: rowTop(i) + ROW_H,
        class: 'grid',
      }),
    );
    svg.append(
      svgEl(
        'text',
        { x: PAD.left - 6, y: rowTop(i) + ROW_H / 2 + 4, class: 'tick', 'text-anchor': 'end' },
        r.name,
      ),
    );
  });

  // Time ticks: bedtime, wake-up and the whole local hours between that fit (about 44 px each).
  const baseline = PAD.top + ROW_H * spec.rows.length;
  const ends = [
    { at: t0, label: clock(t0, spec.start), anchor: 'start' },
    { at: t1, label: clock(t1, spec.start), anchor: 'end' },
  ];
  for (const tick of ends) {
    svg.append(
      svgEl(
        'text',
        { x: x(tick.at), y: baseline + 16, class: 'tick', 'text-anchor': tick.anchor },
        tick.label,
      ),
    );
  }
  const offsetMs = offsetMinutes(spec.start) * 60_000;
  const pxPerHour = plotW / ((t1 - t0) / 3_600_000);
  const hours = Math.max(1, Math.ceil(44 / pxPerHour));
  for (let h = Math.ceil((t0 + offsetMs) / 3_600_000) * 3_600_000 - offsetMs; h < t1; h += 3_600_000) {
    const localHour = new Date(h + offsetMs).getUTCHours();
    if (localHour % hours !== 0 || x(h) - x(t0) < 60 || x(t1) - x(h) < 60) continue;
    svg.append(svgEl('line', { x1: x(h), x2: x(h), y1: PAD.top, y2: baseline, class: 'grid' }));
    svg.append(
      svgEl(
        'text',
        { x: x(h), y: baseline + 16, class: 'tick', 'text-anchor': 'middle' },
        `${String(localHour).padStart(2, '0')}:00`,
      ),
    );
  }

  /** @type {{ x: number, row: number } | null} */
  let previous = null;
  for (const s of spec.stages) {
    const row = rowOf.get(s.stage);
    if (row === undefined) continue;
    const a = x(Date.parse(s.start));
    const b = x(Date.parse(s.end));
    if (previous && Math.abs(previous.x - a) < 0.5 && previous.row !== row) {
      const [top, bottom] = previous.row < row ? [previous.row, row] : [row, previous.row];
      svg.append(
        svgEl('line', {
          x1: a,
          x2: a,
          y1: rowTop(top) + ROW_H / 2,
          y2: rowTop(bottom) + ROW_H / 2,
          class: 'hypno-step',
        }),
      );
    }
    svg.append(
      svgEl('rect', {
        x: a,
        y: rowTop(row) + 4,
        width: Math.max(1, b - a),
        height: ROW_H - 8,
        class: `stage stage-${s.stage}`,
        'data-stage': s.stage,
      }),
    );
    previous = { x: b, row };
  }
  return svg;
}

/** 'HH:MM' of `at` in the offset written on `iso`. @param {number} at @param {string} iso */
function clock(at, iso) {
  const d = new Date(at + offsetMinutes(iso) * 60_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}
