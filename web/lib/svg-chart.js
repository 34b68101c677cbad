// Small SVG charts for daily (weekly, monthly) values: bars, points, stacked bars, ranges, with a
// baseline band and a goal line. Drawn at the width of their box and redrawn when it changes, so
// text keeps its size on a phone. No hover needed: the pages print the values beside the chart.
//
// A slot is one bucket: `value: null` is a day with no data (a hollow mark on the axis), `0` a day
// that measured zero (a hairline bar); `partial` is a bucket still filling in (today: striped).

/**
 * @typedef {{ key: string, value: number }} Part
 * @typedef {{ label: string, value: number | null, partial?: boolean, parts?: Part[], low?: number, high?: number }} Slot
 * @typedef {{ slots: Slot[], kind: 'bars' | 'points' | 'stack' | 'range', band?: { low: number, high: number } | null, goal?: number | null, format: (v: number) => string, describe: string, height?: number }} ChartSpec
 */

const NS = 'http://www.w3.org/2000/svg';
const PAD = { top: 10, right: 12, bottom: 24, left: 48 };

/** An SVG element. @param {string} tag @param {Record<string, string | number>} attrs @param {string} [text] */
export function svgEl(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {ChartSpec} spec */
function scaleOf(spec) {
  /** @type {number[]} */
  const values = [];
  for (const s of spec.slots) {
    if (s.value !== null) values.push(s.value);
    if (s.low !== undefined) values.push(s.low);
    if (s.high !== undefined) values.push(s.high);
    if (s.parts) values.push(s.parts.reduce((a, p) => a + p.value, 0));
  }
  if (spec.band) values.push(spec.band.low, spec.band.high);
  if (spec.goal) values.push(spec.goal);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (!Number.isFinite(min)) [min, max] = [0, 1];
  if (spec.kind === 'bars' || spec.kind === 'stack') min = 0;
  else {
    const pad = Math.max((max - min) * 0.15, Math.abs(max) * 0.02, 0.5);
    min -= pad;
    max += pad;
  }
  if (max <= min) max = min + 1;
  return { min, max: spec.kind === 'bars' || spec.kind === 'stack' ? max * 1.08 : max };
}

/** Draws `spec` into `box` (replacing what was there) and keeps it fitted to the box's width. @param {HTMLElement} box @param {ChartSpec} spec */
export function drawSvgChart(box, spec) {
  drawFitted(box, (width) => render(spec, width));
}

/**
 * Draws into `box` what `render` makes for the box's width (at least 260 px), and again when the
 * width changes by 8 px or more, until the box leaves the page.
 * @param {HTMLElement} box @param {(width: number) => Element} render
 */
export function drawFitted(box, render) {
  const draw = () => {
    const width = Math.max(260, Math.floor(box.clientWidth || 600));
    box.replaceChildren(render(width));
  };
  draw();
  let last = box.clientWidth;
  const observer = new ResizeObserver(() => {
    if (!box.isConnected) return observer.disconnect();
    if (Math.abs(box.clientWidth - last) < 8) return;
    last = box.clientWidth;
    draw();
  });
  observer.observe(box);
}

/** @param {ChartSpec} spec @param {number} width */
function render(spec, width) {
  const height = spec.height ?? 200;
  const svg = svgEl('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    class: 'svg-chart',
  });
  svg.setAttribute('aria-label', spec.describe);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const { min, max } = scaleOf(spec);
  const y = (/** @type {number} */ v) => PAD.top + plotH - ((v - min) / (max - min)) * plotH;
  const n = Math.max(1, spec.slots.length);
  const slotW = plotW / n;
  const cx = (/** @type {number} */ i) => PAD.left + slotW * (i + 0.5);
  const barW = Math.max(1, Math.min(28, slotW * 0.7));

  // Grid and y labels: four steps.
  for (let k = 0; k <= 3; k += 1) {
    const v = min + ((max - min) * k) / 3;
    svg.append(svgEl('line', { x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(
      svgEl('text', { x: PAD.left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, spec.format(v)),
    );
  }
  if (spec.band) {
    const top = y(spec.band.high);
    svg.append(
      svgEl('rect', {
        x: PAD.left,
        y: top,
        width: plotW,
        height: Math.max(1, y(spec.band.low) - top),
        class: 'band',
      }),
    );
  }
  // X labels: first, middle and last slot (and no more than fit).
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / 70))));
  spec.slots.forEach((s, i) => {
    if (i % labelEvery === 0 || i === n - 1) {
      if (i !== n - 1 && n - 1 - i < labelEvery / 2) return;
      svg.append(svgEl('text', { x: cx(i), y: height - 6, class: 'tick', 'text-anchor': 'middle' }, s.label));
    }
  });

  /** @type {[number, number][][]} */
  const runs = [[]];
  spec.slots.forEach((s, i) => {
    const x = cx(i);
    const partial = s.partial ? ' partial' : '';
    if (s.value === null && !s.parts) {
      svg.append(svgEl('circle', { cx: x, cy: PAD.top + plotH, r: 2.5, class: 'missing' }));
      if (runs[runs.length - 1]?.length) runs.push([]);
      return;
    }
    if (spec.kind === 'bars' && s.value !== null) {
      const top = y(Math.max(0, s.value));
      const h = Math.max(s.value === 0 ? 1 : 2, PAD.top + plotH - top);
      svg.append(
        svgEl('rect', {
          x: x - barW / 2,
          y: PAD.top + plotH - h,
          width: barW,
          height: h,
          class: `bar${partial}${s.value === 0 ? ' zero' : ''}`,
        }),
      );
    } else if (spec.kind === 'stack' && s.parts) {
      let base = 0;
      for (const p of s.parts) {
        if (p.value <= 0) continue;
        const top = y(base + p.value);
        svg.append(
          svgEl('rect', {
            x: x - barW / 2,
            y: top,
            width: barW,
            height: Math.max(1, y(base) - top),
            class: `stage stage-${p.key}${partial}`,
          }),
        );
        base += p.value;
      }
    } else if (spec.kind === 'range' && s.low !== undefined && s.high !== undefined) {
      svg.append(svgEl('line', { x1: x, x2: x, y1: y(s.high), y2: y(s.low), class: 'range' }));
      svg.append(svgEl('circle', { cx: x, cy: y(s.high), r: 3.5, class: 'range-high' }));
      svg.append(svgEl('circle', { cx: x, cy: y(s.low), r: 3.5, class: 'range-low' }));
    } else if (s.value !== null) {
      runs[runs.length - 1]?.push([x, y(s.value)]);
      svg.append(svgEl('circle', { cx: x, cy: y(s.value), r: n > 120 ? 1.5 : 3, class: `point${partial}` }));
    }
  });
  for (const run of runs) {
    if (run.length < 2) continue;
    svg.append(
      svgEl('polyline', {
        points: run.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' '),
        class: 'line',
      }),
    );
  }
  if (spec.goal) {
    svg.append(
      svgEl('line', {
        x1: PAD.left,
        x2: width - PAD.right,
        y1: y(spec.goal),
        y2: y(spec.goal),
        class: 'goal',
      }),
    );
  }
  return svg;
}
