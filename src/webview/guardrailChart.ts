// The panel's guardrail charts: one per guardrail, on a time axis, with the bound as a line,
// failed measurements marked, stage starts (traffic changes) as dashed markers and each point's
// value on hover (SVG <title>). DOM only (createElementNS, textContent), themed by classes in
// media/panel.css, so the panel's CSP holds and light, dark and high-contrast themes apply.
import { chartNumber, clockTime, layoutChart } from '../core/panel/chart';
import type { PanelChart } from '../core/panel/protocol';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 110;

function svgNode<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, className?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (className) node.setAttribute('class', className);
  return node;
}

function titled<T extends SVGElement>(node: T, text: string): T {
  const title = svgNode('title', {});
  title.textContent = text;
  node.append(title);
  return node;
}

function label(x: number, y: number, text: string, className: string, anchor: 'start' | 'middle' | 'end' = 'start'): SVGTextElement {
  const node = svgNode('text', { x, y, 'text-anchor': anchor }, className);
  node.textContent = text;
  return node;
}

/** One guardrail's chart, with a heading line naming it and its bound. */
export function renderGuardrailChart(chart: PanelChart): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'guardrail-chart';
  figure.dataset.guardrail = chart.guardrail;
  const caption = document.createElement('figcaption');
  const last = chart.points[chart.points.length - 1];
  caption.textContent = `${chart.guardrail}${chart.boundText ? ` (${chart.boundText})` : ''}${last ? `: ${last.value === null ? 'no data' : chartNumber(last.value)}` : ''}`;
  const layout = layoutChart(chart, WIDTH, HEIGHT);
  const failures = chart.points.filter((point) => point.outcome === 'fail').length;
  const svg = svgNode('svg', { width: '100%', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${caption.textContent}; ${chart.points.length} measurements, ${failures} failed` }, 'chart');
  const { plot } = layout;
  svg.append(svgNode('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top }, 'chart-frame'));
  for (const tick of layout.yTicks) svg.append(label(plot.left - 3, tick.y, tick.label, 'chart-axis', 'end'));
  for (const tick of layout.xTicks) svg.append(label(tick.x, HEIGHT - 4, tick.label, 'chart-axis', tick.anchor));
  for (const marker of layout.markers) {
    svg.append(titled(svgNode('line', { x1: marker.x, x2: marker.x, y1: plot.top, y2: plot.bottom }, 'chart-marker'), `stage ${marker.label}`));
    svg.append(label(marker.x + 2, plot.top + 9, marker.label.split(' ')[0] ?? '', 'chart-marker-label'));
  }
  for (const bound of layout.bounds) {
    svg.append(titled(svgNode('line', { x1: plot.left, x2: plot.right, y1: bound.y, y2: bound.y }, `bound-line chart-bound`), bound.label));
    svg.append(label(plot.right - 2, bound.y - 2, bound.label, 'chart-bound-label', 'end'));
  }
  for (const points of layout.segments) svg.append(svgNode('polyline', { points }, 'trend-line chart-line'));
  for (const { x, y, point } of layout.points) {
    const failed = point.outcome === 'fail';
    const dot = svgNode('circle', { cx: x, cy: y, r: failed ? 3.5 : 2.2 }, failed ? 'chart-point chart-breach' : 'chart-point');
    svg.append(titled(dot, `${clockTime(point.t)} ${point.stage}: ${chartNumber(point.value!)} (${point.outcome})`));
  }
  for (const { x, point } of layout.gaps) {
    svg.append(titled(svgNode('rect', { x: x - 2, y: plot.bottom - 4, width: 4, height: 4 }, 'chart-gap'), `${clockTime(point.t)} ${point.stage}: no data (${point.outcome})`));
  }
  figure.append(caption, svg);
  return figure;
}
