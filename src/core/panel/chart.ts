// A guardrail's chart for the side panel: its measurements across the rollout's stages on one
// time axis, the bound as a line, failed measurements marked and the stage starts (traffic
// changes) as markers. Pure geometry, shared by the host (which builds the data) and the webview
// (which draws it), so the layout is unit-tested without a browser.
import type { PanelChart, PanelChartPoint } from './protocol';

export interface ChartLayout {
  width: number;
  height: number;
  /** Plot area inside the axis labels. */
  plot: { left: number; top: number; right: number; bottom: number };
  /** One polyline per run of measured values (a no-data point breaks the line). */
  segments: string[];
  points: { x: number; y: number; point: PanelChartPoint }[];
  /** Points without data, drawn on the axis. */
  gaps: { x: number; point: PanelChartPoint }[];
  bounds: { y: number; label: string; kind: 'max' | 'min' }[];
  markers: { x: number; label: string }[];
  /** Value axis labels (low, high). */
  yTicks: { y: number; label: string }[];
  /** Time axis labels (start, end). */
  xTicks: { x: number; label: string; anchor: 'start' | 'end' }[];
}

/** Short number for axis labels and hovers: 4 significant digits, no exponent for usual sizes. */
export function chartNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** HH:MM:SS of an ISO time (UTC), for the time axis. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Lays out a chart in a `width` × `height` box. Times are epoch ms; an empty chart gets an empty plot. */
export function layoutChart(chart: PanelChart, width: number, height: number): ChartLayout {
  const plot = { left: 40, top: 6, right: width - 6, bottom: height - 16 };
  const times = [...chart.points.map((point) => point.t), ...chart.markers.map((marker) => marker.t)];
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (!Number.isFinite(t0)) t0 = t1 = 0;
  if (t1 - t0 < 1000) t1 = t0 + 1000;
  const values = chart.points.flatMap((point) => (point.value === null ? [] : [point.value]));
  const boundValues = [chart.max, chart.min].filter((value): value is number => value !== undefined);
  let low = Math.min(...values, ...boundValues);
  let high = Math.max(...values, ...boundValues);
  if (!Number.isFinite(low)) low = high = 0;
  // Room above the highest value and the bound so the line is never on the frame; zero in view for values near it.
  const span = high - low || Math.abs(high) || 1;
  high += span * 0.1;
  low = low >= 0 && low <= span ? 0 : low - span * 0.1;
  const x = (t: number) => plot.left + ((t - t0) / (t1 - t0)) * (plot.right - plot.left);
  const y = (value: number) => plot.bottom - ((value - low) / (high - low)) * (plot.bottom - plot.top);
  const round = (value: number) => Math.round(value * 10) / 10;

  const points: ChartLayout['points'] = [];
  const gaps: ChartLayout['gaps'] = [];
  const segments: string[] = [];
  let current: string[] = [];
  for (const point of chart.points) {
    if (point.value === null) {
      gaps.push({ x: round(x(point.t)), point });
      if (current.length > 0) segments.push(current.join(' '));
      current = [];
      continue;
    }
    const placed = { x: round(x(point.t)), y: round(y(point.value)), point };
    points.push(placed);
    current.push(`${placed.x},${placed.y}`);
  }
  if (current.length > 0) segments.push(current.join(' '));
  const bounds: ChartLayout['bounds'] = [];
  if (chart.max !== undefined) bounds.push({ y: round(y(chart.max)), label: `max ${chartNumber(chart.max)}`, kind: 'max' });
  if (chart.min !== undefined) bounds.push({ y: round(y(chart.min)), label: `min ${chartNumber(chart.min)}`, kind: 'min' });
  return {
    width,
    height,
    plot,
    segments,
    points,
    gaps,
    bounds,
    markers: chart.markers.map((marker) => ({ x: round(x(marker.t)), label: marker.label })),
    yTicks: [
      { y: plot.bottom, label: chartNumber(low) },
      { y: plot.top + 8, label: chartNumber(high) },
    ],
    xTicks: [
      { x: plot.left, label: clockTime(t0), anchor: 'start' },
      { x: plot.right, label: clockTime(t1), anchor: 'end' },
    ],
  };
}
