import type { CellOutput, CellRunResult, MetricSeries } from './types';

function escapeMarkdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured Markdown table (notebook output). */
export function renderTableMarkdown(columns: string[], rows: string[][]): string {
  if (columns.length === 0) return '_no data_';
  const header = `| ${columns.map(escapeMarkdownCell).join(' | ')} |`;
  const rule = `| ${columns.map(() => '---').join(' | ')} |`;
  const body = rows.map((row) => `| ${columns.map((_, index) => escapeMarkdownCell(row[index] ?? '')).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

/** A fixed-width text table (CLI output). */
export function renderTableText(columns: string[], rows: string[][]): string {
  if (columns.length === 0) return '(no data)';
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(columns.map((_, index) => row[index] ?? '')))].join('\n');
}

/** `{code="500", version="42"}`, the way Prometheus prints a series. */
export function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels).filter(([name]) => name !== '__name__');
  const name = labels.__name__ ?? '';
  if (entries.length === 0) return name || '{}';
  return `${name}{${entries.map(([key, value]) => `${key}="${value}"`).join(', ')}}`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const PALETTE = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16'];

/**
 * A small self-contained SVG line chart of range-query series: no script, no external resource,
 * so it renders as `image/svg+xml` in a notebook and in any browser.
 */
export function renderSeriesSvg(series: MetricSeries[], options: { width?: number; height?: number; title?: string } = {}): string {
  const width = options.width ?? 560;
  const legendRows = Math.min(series.length, LEGEND_MAX + (series.length > LEGEND_MAX ? 1 : 0));
  const height = (options.height ?? 200) + legendRows * 14;
  const margin = { left: 56, right: 12, top: options.title ? 22 : 10, bottom: 28 + legendRows * 14 };
  const points = series.flatMap((one) => one.points).filter((point) => Number.isFinite(point.value));
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title) parts.push(`<text x="${margin.left}" y="14" fill="#333">${escapeXml(options.title)}</text>`);
  if (points.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#666">no data</text></svg>`);
    return parts.join('');
  }
  const minTime = Math.min(...points.map((point) => point.timestamp));
  const maxTime = Math.max(...points.map((point) => point.timestamp));
  let minValue = Math.min(...points.map((point) => point.value));
  let maxValue = Math.max(...points.map((point) => point.value));
  if (minValue === maxValue) {
    minValue -= Math.abs(minValue) * 0.1 || 1;
    maxValue += Math.abs(maxValue) * 0.1 || 1;
  }
  const x = (time: number) => margin.left + (maxTime === minTime ? plotWidth / 2 : ((time - minTime) / (maxTime - minTime)) * plotWidth);
  const y = (value: number) => margin.top + plotHeight - ((value - minValue) / (maxValue - minValue)) * plotHeight;
  const axis = '#999';
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="${axis}"/>`,
    `<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${margin.left + plotWidth}" y2="${margin.top + plotHeight}" stroke="${axis}"/>`,
    `<text x="${margin.left - 4}" y="${margin.top + 8}" text-anchor="end" fill="#333">${escapeXml(formatNumber(maxValue))}</text>`,
    `<text x="${margin.left - 4}" y="${margin.top + plotHeight}" text-anchor="end" fill="#333">${escapeXml(formatNumber(minValue))}</text>`,
    `<text x="${margin.left}" y="${margin.top + plotHeight + 14}" fill="#333">${escapeXml(new Date(minTime * 1000).toISOString().slice(11, 19))}</text>`,
    `<text x="${margin.left + plotWidth}" y="${margin.top + plotHeight + 14}" text-anchor="end" fill="#333">${escapeXml(new Date(maxTime * 1000).toISOString().slice(11, 19))}</text>`,
  );
  series.forEach((one, index) => {
    const color = PALETTE[index % PALETTE.length]!;
    const path = one.points
      .filter((point) => Number.isFinite(point.value))
      .map((point, pointIndex) => `${pointIndex === 0 ? 'M' : 'L'}${x(point.timestamp).toFixed(1)},${y(point.value).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5"><title>${escapeXml(formatLabels(one.labels))}</title></path>`);
  });
  // A legend under the axis: series names are what a reader needs to tell the lines apart.
  const legendTop = margin.top + plotHeight + 26;
  series.slice(0, LEGEND_MAX).forEach((one, index) => {
    const y = legendTop + index * 14;
    parts.push(
      `<rect x="${margin.left}" y="${y}" width="10" height="3" fill="${PALETTE[index % PALETTE.length]!}"/>`,
      `<text x="${margin.left + 14}" y="${y + 4}" fill="#333">${escapeXml(formatLabels(one.labels))}</text>`,
    );
  });
  if (series.length > LEGEND_MAX) parts.push(`<text x="${margin.left}" y="${legendTop + LEGEND_MAX * 14 + 4}" fill="#666">and ${series.length - LEGEND_MAX} more series</text>`);
  parts.push('</svg>');
  return parts.join('');
}

const LEGEND_MAX = 6;

/** Numbers as people read them in a table: no float noise, exponents only when needed. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e9)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}

/** Plain-text rendering of one output, for the CLI and logs. */
export function renderOutputText(output: CellOutput): string {
  switch (output.kind) {
    case 'text':
    case 'markdown':
      return output.text;
    case 'json':
      return JSON.stringify(output.value, null, 2);
    case 'table':
      return renderTableText(output.columns, output.rows);
    case 'chart':
      return `(chart of ${output.series.length} series, ${output.series.reduce((sum, one) => sum + one.points.length, 0)} points)`;
  }
}

/**
 * A whole result as text: a header line, the outputs, and the error if any. `locate` turns an
 * offset in the cell body into a position a person can find (`file:line:column`).
 */
export function renderResultText(result: CellRunResult, label: string, locate?: (offset: number) => string): string {
  const status = result.status !== undefined ? ` HTTP ${result.status}` : '';
  const lines = [`── ${label} [${result.kind}] ${result.outcome}${status} ${Math.round(result.durationMs)} ms`];
  // A dry run's output already is the request, in full.
  if (result.request && result.outcome !== 'dry-run') {
    const request = result.request;
    lines.push(`${request.method} ${request.url}${request.action ? `  (${request.action})` : ''}`);
  }
  for (const output of result.outputs) lines.push(renderOutputText(output));
  for (const diagnostic of result.diagnostics) {
    lines.push(locate ? `${locate(diagnostic.start)}: error: ${diagnostic.message}` : `error: ${diagnostic.message} (at ${diagnostic.start}-${diagnostic.end})`);
  }
  if (result.error && result.diagnostics.length === 0) lines.push(`error: ${result.error}`);
  return lines.join('\n') + '\n';
}
