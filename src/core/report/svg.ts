// Inline SVG charts of guardrail measurements for the HTML report: the measured values (or ratios)
// over time, the bound as a dashed line, failures in red, "no data" as marks under the axis.
// Only numbers and escaped text go into the markup; colours come from the page's CSS classes,
// so the same chart follows light, dark and print styles.
import { html } from './escape';
import { describeBound, formatClock, formatTime, formatValue } from './text';
import type { GuardrailSeries } from './types';

export interface ChartOptions {
  width?: number;
  height?: number;
  /** Times (ISO) to mark with a vertical line, e.g. the breach and the rollback. */
  markers?: Array<{ time: string; label: string; kind: 'breach' | 'recovery' }>;
}

const number = (value: number): string => String(Math.round(value * 10) / 10);

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `value`: axis labels people can read at a glance. */
function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((candidate) => candidate * magnitude >= value * (1 - 1e-9)) ?? 10;
  return Number((step * magnitude).toPrecision(6));
}

/** The value a series plots for a point: the value, or the ratio for ratio-bounded guardrails. */
function plottedValue(series: GuardrailSeries, point: GuardrailSeries['points'][number]): number | null {
  const value = series.plotted === 'ratio' ? point.ratio : point.value;
  return value === undefined || value === null || !Number.isFinite(value) ? null : value;
}

/** An SVG chart of one guardrail's measurements; a short note instead when nothing can be drawn. */
export function seriesChart(series: GuardrailSeries, options: ChartOptions = {}): string {
  const width = options.width ?? 860;
  const height = options.height ?? 200;
  const margin = { left: 64, right: 16, top: 14, bottom: 34 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const points = series.points.map((point) => ({ point, at: Date.parse(point.time), y: plottedValue(series, point) })).filter((item) => Number.isFinite(item.at));
  const title = `${series.guardrail}: ${series.points.length} measurement${series.points.length === 1 ? '' : 's'}, ${series.failed} outside the bound (${describeBound(series.bound)})`;
  if (points.length === 0) return `<p class="muted">${html(title)}: nothing to chart.</p>`;

  const bounds =
    series.plotted === 'ratio'
      ? [series.bound.minRatio, series.bound.maxRatio].map((value, index) => ({ value, label: index === 0 ? 'min ratio' : 'max ratio' }))
      : [series.bound.min, series.bound.max].map((value, index) => ({ value, label: index === 0 ? 'min' : 'max' }));
  const drawnBounds = bounds.filter((bound): bound is { value: number; label: string } => bound.value !== undefined && Number.isFinite(bound.value));
  const values = points.map((item) => item.y).filter((value): value is number => value !== null);
  const scale = [...values, ...drawnBounds.map((bound) => bound.value)];
  let low = scale.length > 0 ? Math.min(...scale) : 0;
  let high = scale.length > 0 ? Math.max(...scale) : 1;
  if (low >= 0) low = 0;
  if (high === low) high = low + (Math.abs(low) || 1);
  high = niceCeiling(high + (high - low) * 0.05);
  if (low < 0) low = -niceCeiling(-low + (high - low) * 0.05);

  const times = points.map((item) => item.at);
  let start = Math.min(...times);
  let end = Math.max(...times);
  for (const marker of options.markers ?? []) {
    const at = Date.parse(marker.time);
    if (Number.isFinite(at) && at >= start - (end - start) * 0.25 && at <= end + (end - start) * 0.25 + 60_000) {
      start = Math.min(start, at);
      end = Math.max(end, at);
    }
  }
  if (end === start) {
    start -= 1000;
    end += 1000;
  }
  const x = (at: number) => margin.left + ((at - start) / (end - start)) * plotWidth;
  const y = (value: number) => margin.top + (1 - (value - low) / (high - low)) * plotHeight;

  const parts: string[] = [];
  parts.push(`<rect class="plot" x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}"/>`);
  for (const tick of [low, (low + high) / 2, high]) {
    parts.push(`<line class="grid" x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${number(y(tick))}" y2="${number(y(tick))}"/>`);
    parts.push(`<text class="axis" x="${margin.left - 6}" y="${number(y(tick) + 4)}" text-anchor="end">${html(formatValue(tick))}</text>`);
  }
  for (const bound of drawnBounds) {
    const at = number(y(bound.value));
    parts.push(`<line class="bound" x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${at}" y2="${at}"/>`);
    parts.push(`<text class="bound-label" x="${margin.left + plotWidth - 4}" y="${number(y(bound.value) - 4)}" text-anchor="end">${html(`${bound.label} ${formatValue(bound.value)}`)}</text>`);
  }
  for (const marker of options.markers ?? []) {
    const at = Date.parse(marker.time);
    if (!Number.isFinite(at) || at < start || at > end) continue;
    const left = number(x(at));
    parts.push(`<line class="marker ${marker.kind}" x1="${left}" x2="${left}" y1="${margin.top}" y2="${margin.top + plotHeight}"><title>${html(marker.label)}</title></line>`);
  }
  // The line, broken where a measurement had no data.
  let segment: string[] = [];
  const segments: string[][] = [];
  for (const item of points) {
    if (item.y === null) {
      if (segment.length > 0) segments.push(segment);
      segment = [];
    } else segment.push(`${number(x(item.at))},${number(y(item.y))}`);
  }
  if (segment.length > 0) segments.push(segment);
  for (const line of segments) if (line.length > 1) parts.push(`<polyline class="series" points="${line.join(' ')}"/>`);
  for (const item of points) {
    const outcome = item.point.outcome === 'fail' ? 'fail' : item.point.outcome === 'pass' ? 'pass' : 'other';
    const label = `${formatTime(item.point.time)}: ${item.point.value === null ? 'no data' : formatValue(item.point.value)}${item.point.ratio !== undefined && item.point.ratio !== null ? ` (ratio ${formatValue(item.point.ratio)})` : ''}${item.point.outcome ? `, ${item.point.outcome}` : ''}${item.point.stage ? `, stage ${item.point.stage}` : ''}`;
    if (item.y === null) {
      parts.push(`<text class="nodata" x="${number(x(item.at))}" y="${margin.top + plotHeight + 12}" text-anchor="middle">×<title>${html(label)}</title></text>`);
    } else {
      parts.push(`<circle class="point ${outcome}" cx="${number(x(item.at))}" cy="${number(y(item.y))}" r="3"><title>${html(label)}</title></circle>`);
    }
  }
  parts.push(`<text class="axis" x="${margin.left}" y="${height - 6}" text-anchor="start">${html(formatClock(new Date(start).toISOString()))}</text>`);
  parts.push(`<text class="axis" x="${margin.left + plotWidth}" y="${height - 6}" text-anchor="end">${html(formatClock(new Date(end).toISOString()))} UTC</text>`);
  return `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">` + `<title>${html(title)}</title>${parts.join('')}</svg>`;
}
