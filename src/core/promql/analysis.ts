// What an analysis of a query says (its result type, how many series, its rate windows) and the
// small pure helpers the type checker (check.ts) works them out with.
import type { PromqlType } from './functions';
import type { PromqlFinding } from './syntaxErrors';

/** How many series a vector result can hold. */
export type SeriesCount =
  | { kind: 'one' }
  /** One series per value of these labels (`sum by (code)`). */
  | { kind: 'grouped'; labels: string[]; start: number; end: number }
  /** One series per label set the selector (or `without`) leaves: as many as Prometheus stores. */
  | { kind: 'many'; start: number; end: number };

/** The range of a rate-like function (`rate(x[30s])`): too short a window returns no data. */
export interface RateWindow {
  function: string;
  milliseconds: number;
  /** The duration text, e.g. `30s`. */
  start: number;
  end: number;
}

export interface PromqlAnalysis {
  /** Findings with offsets into the query: syntax first (alone), else type checks and experimental features. */
  findings: PromqlFinding[];
  /** The type of the whole query; undefined after a syntax error or when a placeholder decides it. */
  resultType?: PromqlType;
  series?: SeriesCount;
  windows: RateWindow[];
  /** Metric names the query selects (for hover and completion). */
  metrics: Array<{ name: string; start: number; end: number }>;
}

export const ONE: SeriesCount = { kind: 'one' };

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Milliseconds of a PromQL duration literal (`1m30s`), or of a number of seconds; undefined otherwise. */
export function promqlDurationMs(text: string): number | undefined {
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(?:\d+(?:ms|[smhdwy]))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|[smhdwy])/g)) total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return total;
}

/** A series count with one label no longer varying (histogram_quantile folds `le`). */
export function withoutLabel(series: SeriesCount, pinned: readonly string[], label: string): SeriesCount {
  if (series.kind !== 'grouped') return series;
  const labels = series.labels.filter((name) => name !== label && !pinned.includes(name));
  return labels.length === 0 ? ONE : { ...series, labels };
}

const rank = (series: SeriesCount): number => (series.kind === 'one' ? 0 : series.kind === 'grouped' ? 1 : 2);
export const smaller = (a: SeriesCount, b: SeriesCount): SeriesCount => (rank(b) < rank(a) ? b : a);
export const larger = (a: SeriesCount, b: SeriesCount): SeriesCount => (rank(b) > rank(a) ? b : a);

/** The value of a PromQL string literal (quotes removed, simple escapes read). */
export function unquote(literal: string): string {
  const quote = literal[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return literal;
  const body = literal.slice(1, literal.endsWith(quote) && literal.length > 1 ? -1 : undefined);
  if (quote === '`' || !body.includes('\\')) return body;
  return body.replace(/\\(.)/g, (_, char: string) => ({ n: '\n', t: '\t', r: '\r' })[char] ?? char);
}

/** Whether a label matcher matches the empty string (so it selects series without that label). */
export function matchesEmpty(op: string, value: string): boolean {
  switch (op) {
    case 'EqlSingle':
      return value === '';
    case 'Neq':
      return value !== '';
    case 'EqlRegex':
    case 'NeqRegex': {
      let matches: boolean;
      try {
        // Prometheus anchors label regexes at both ends.
        matches = new RegExp(`^(?:${value})$`).test('');
      } catch {
        return false;
      }
      return op === 'EqlRegex' ? matches : !matches;
    }
    default:
      return false;
  }
}
