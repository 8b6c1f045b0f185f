// A small SVG line chart for rates and queue depths sampled by the page itself (the API gives only the
// latest values): series share one time axis, the y axis starts at 0 and is labelled at its top.
import { h } from './dom.js';

/** Keeps the last `span` milliseconds of samples, each {t, values: {name: number}}. */
export class History {
  constructor(span = 10 * 60 * 1000) {
    this.span = span;
    this.samples = [];
  }

  push(values, t = Date.now()) {
    this.samples.push({ t, values });
    while (this.samples.length && this.samples[0].t < t - this.span) this.samples.shift();
  }
}

const palette = ['#2f7ed8', '#e8833a', '#49a65b', '#c94f4f', '#8e6cc2', '#a0a0a0'];

function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * lineChart(history, [{key, label, color}], {format, height}) -> element with the chart and a legend
 * showing each series' latest value.
 */
export function lineChart(history, series, options = {}) {
  const width = 560;
  const height = options.height ?? 160;
  const pad = { left: 48, right: 8, top: 8, bottom: 20 };
  const format = options.format ?? (v => String(v));
  const samples = history.samples;
  const now = samples.length ? samples[samples.length - 1].t : Date.now();
  // The axis covers the samples taken so far (at least a minute), up to the history's span.
  const first = samples.length ? samples[0].t : now;
  const span = Math.min(history.span, Math.max(60 * 1000, now - first));
  const start = now - span;
  let max = 0;
  for (const s of samples) for (const { key } of series) max = Math.max(max, s.values[key] ?? 0);
  max = niceMax(max);
  const x = t => pad.left + ((t - start) / span) * (width - pad.left - pad.right);
  const y = v => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);

  const svg = h('svg:svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': options.label ?? 'chart' });
  for (const frac of [0, 0.5, 1]) {
    const v = max * frac;
    svg.append(h('svg:line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: 'chart-grid' }));
    svg.append(h('svg:text', { x: pad.left - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-label' }, format(v)));
  }
  const seconds = Math.round(span / 1000);
  svg.append(h('svg:text', { x: pad.left, y: height - 4, class: 'chart-label' }, seconds >= 120 ? `-${Math.round(seconds / 60)} min` : `-${seconds} s`));
  svg.append(h('svg:text', { x: width - pad.right, y: height - 4, 'text-anchor': 'end', class: 'chart-label' }, 'now'));

  series.forEach((s, i) => {
    const color = s.color ?? palette[i % palette.length];
    const points = samples.filter(p => p.values[s.key] !== undefined).map(p => [x(p.t), y(p.values[s.key])]);
    if (points.length > 1) svg.append(h('svg:polyline', { points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
    // The latest value as a dot, so a series shows from its first sample.
    if (points.length) svg.append(h('svg:circle', { cx: points[points.length - 1][0].toFixed(1), cy: points[points.length - 1][1].toFixed(1), r: 3, fill: color }));
  });

  const last = samples[samples.length - 1]?.values ?? {};
  const legend = h('ul', { class: 'legend' }, series.map((s, i) =>
    h('li', { dataset: { series: s.key } },
      h('span', { class: 'swatch', style: `background:${s.color ?? palette[i % palette.length]}` }),
      h('span', { class: 'legend-label' }, s.label),
      h('span', { class: 'legend-value' }, last[s.key] === undefined ? '—' : format(last[s.key])))));
  return h('div', { class: 'chart-box' }, svg, legend);
}
