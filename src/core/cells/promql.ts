import type { Diagnostic } from '../diagnostics';
import { parseDuration } from '../plan/schema';
import { durationAttribute, error, retryUntilOk, type ExecuteOutcome, type ExecuteRuntime, type PrepareContext, type PrepareResult } from './prepared';
import { countSamples, describeBasis, notEnoughData, queryWindowMs, sinceLastChange, type DataBasis } from './dataBasis';
import { formatLabels, formatNumber } from './render';
import type { CellOutput, MetricQuery, MetricSample, MetricSeries, Parsed } from './types';
import { renderTemplate, resolveTemplate, unresolvedDiagnostics } from './variables';

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** `expect` attribute: every value the query returns must satisfy `value <op> threshold`. */
export interface Expectation {
  op: Comparison;
  threshold: number;
}

/** Parses `< 0.02`, `>= 1`, `== 0`. Diagnostics point into the attribute text. */
export function parseExpectation(text: string): Parsed<Expectation> {
  const match = /^\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$/.exec(text);
  if (!match) {
    return {
      diagnostics: [error('promql/bad-expect', `"expect" must be a comparison such as "< 0.02", ">= 1" or "== 0"; got ${JSON.stringify(text)}.`, 0, text.length)],
    };
  }
  return { value: { op: match[1] as Comparison, threshold: Number(match[2]) }, diagnostics: [] };
}

export function satisfies(value: number, expectation: Expectation): boolean {
  const { op, threshold } = expectation;
  switch (op) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

function labelColumns(labelSets: Array<Record<string, string>>): string[] {
  const names = new Set<string>();
  for (const labels of labelSets) for (const name of Object.keys(labels)) names.add(name);
  return [...names].sort((a, b) => (a === '__name__' ? -1 : b === '__name__' ? 1 : a.localeCompare(b)));
}

/** Table model of an instant query: one row per series, its labels and value. */
export function instantTable(samples: MetricSample[], expectation?: Expectation): { columns: string[]; rows: string[][] } {
  const labels = labelColumns(samples.map((sample) => sample.labels));
  const columns = [...labels, 'value', ...(expectation ? ['expect'] : [])];
  const rows = samples.map((sample) => [...labels.map((name) => sample.labels[name] ?? ''), formatNumber(sample.value), ...(expectation ? [satisfies(sample.value, expectation) ? 'ok' : 'FAIL'] : [])]);
  return { columns, rows };
}

/** Table model of a range query: one row per series with its last, min and max. */
export function rangeTable(series: MetricSeries[], expectation?: Expectation): { columns: string[]; rows: string[][] } {
  const labels = labelColumns(series.map((one) => one.labels));
  const columns = [...labels, 'points', 'last', 'min', 'max', ...(expectation ? ['expect'] : [])];
  const rows = series.map((one) => {
    const values = one.points.map((point) => point.value);
    const broken = expectation ? values.some((value) => !satisfies(value, expectation)) : false;
    return [
      ...labels.map((name) => one.labels[name] ?? ''),
      String(values.length),
      values.length ? formatNumber(values[values.length - 1]!) : '',
      values.length ? formatNumber(Math.min(...values)) : '',
      values.length ? formatNumber(Math.max(...values)) : '',
      ...(expectation ? [broken ? 'FAIL' : 'ok'] : []),
    ];
  });
  return { columns, rows };
}

function describeExpectation(expectation: Expectation): string {
  return `${expectation.op} ${expectation.threshold}`;
}

/**
 * Resolves a promql cell: the body is the query; attributes `range` and `step` (durations) make it
 * a range query ending now; `expect` fails the cell when any returned value breaks it.
 */
export function preparePromqlCell(text: string, context: PrepareContext): PrepareResult {
  const diagnostics: Diagnostic[] = [];
  const queryText = text.trim();
  if (queryText === '') diagnostics.push(error('promql/empty', 'A promql cell needs a query, e.g. `sum(rate(rollgate_dev_requests_total[1m]))`.', 0, text.length));
  const template = resolveTemplate(text, context.scope);
  diagnostics.push(...unresolvedDiagnostics(template.unresolved));
  if (template.secrets.length > 0) diagnostics.push(error('promql/secret', 'Secrets cannot be used inside a PromQL query; the metric endpoint token comes from the plan.'));
  let expectation: Expectation | undefined;
  const expect = context.attributes.expect;
  if (expect !== undefined) {
    const parsed = typeof expect === 'string' ? parseExpectation(expect) : parseExpectation(String(expect));
    if (parsed.value) expectation = parsed.value;
    else diagnostics.push(...parsed.diagnostics.map((diagnostic) => ({ ...diagnostic, code: 'cell/attribute', start: 0, end: 0 })));
  }
  const rangeMs = durationAttribute(context.attributes, 'range', parseDuration, diagnostics, Number.MAX_SAFE_INTEGER);
  const stepMs = durationAttribute(context.attributes, 'step', parseDuration, diagnostics, Number.MAX_SAFE_INTEGER);
  const waitMs = durationAttribute(context.attributes, 'wait', parseDuration, diagnostics);
  if (stepMs !== undefined && rangeMs === undefined) diagnostics.push(error('cell/attribute', 'Attribute "step" needs "range" too (e.g. {"range":"30m","step":"30s"}).'));
  const metrics = context.ports.metrics;
  if (!metrics) {
    diagnostics.push(error('cell/no-metric-endpoint', 'No metric endpoint: link a plan with `plan:` in the front matter; its endpoints.metrics.url is queried.'));
  }
  if (diagnostics.length > 0 || !metrics) return { diagnostics };

  // Captured after the check above, for the measurement function below.
  const endpoint: MetricQuery = metrics;
  const query = renderTemplate(template).trim();
  const isRange = rangeMs !== undefined;
  // Prometheus refuses more than 11,000 points per series; 120 points is plenty for a small chart.
  const stepSeconds = isRange ? Math.max(1, Math.round((stepMs ?? rangeMs / 120) / 1000)) : 0;
  const path = isRange ? '/api/v1/query_range' : '/api/v1/query';
  const url = `${metrics.baseUrl.replace(/\/+$/, '')}${path}?query=${encodeURIComponent(query)}`;
  return {
    diagnostics: [],
    prepared: {
      kind: 'promql',
      mutating: context.attributes.effect === 'mutate',
      request: { method: 'GET', url, action: isRange ? `range query over ${String(context.attributes.range)} step ${stepSeconds}s: ${query}` : `instant query: ${query}` },
      target: { method: 'GET', url, target: `query ${query}`, ...(context.environment ? { environment: context.environment } : {}) },
      execute: (runtime) => retryUntilOk(waitMs, runtime, context.now, () => measure(runtime)),
    },
  };

  async function measure(runtime: ExecuteRuntime): Promise<ExecuteOutcome> {
    const signalOption = runtime.signal ? { signal: runtime.signal } : {};
    const outputs: CellOutput[] = [];
    let broken: string | undefined;
    let value: unknown;
    let basis: DataBasis;
    let empty: boolean;
    const sinceChangeMs = await sinceLastChange(context.ports.deployment, context.now(), runtime.signal);
    const changed = sinceChangeMs !== undefined ? { sinceChangeMs } : {};
    if (isRange) {
      const end = Math.floor(context.now() / 1000);
      const series = await endpoint.range(query, { start: end - Math.round(rangeMs / 1000), end, stepSeconds }, signalOption);
      empty = series.length === 0;
      if (empty) outputs.push({ kind: 'text', text: NO_DATA });
      else outputs.push({ kind: 'table', ...rangeTable(series, expectation) }, { kind: 'chart', title: query, series });
      value = { series, value: series[0]?.points[series[0].points.length - 1]?.value };
      basis = { series: series.length, samples: series.reduce((sum, one) => sum + one.points.length, 0), windowMs: rangeMs + (queryWindowMs(query) ?? 0), ...changed };
      if (expectation) {
        for (const one of series) {
          const bad = one.points.find((point) => !satisfies(point.value, expectation));
          if (bad) {
            broken = `${expected(expectation)}, got ${gotValue(bad.value)}${forSeries(one.labels, series.length)} at ${new Date(bad.timestamp * 1000).toISOString()}`;
            break;
          }
        }
        if (series.length === 0) broken = `${expected(expectation)}, got no data: the query returned no series`;
      }
    } else {
      const samples = await endpoint.instant(query, signalOption);
      empty = samples.length === 0;
      outputs.push(empty ? { kind: 'text', text: NO_DATA } : { kind: 'table', ...instantTable(samples, expectation) });
      value = { value: samples[0]?.value, samples };
      const windowMs = queryWindowMs(query);
      const counted = await countSamples(endpoint, query, runtime.signal);
      basis = { series: samples.length, ...(counted !== undefined ? { samples: counted } : {}), ...(windowMs !== undefined ? { windowMs } : {}), ...changed };
      if (expectation) {
        const bad = samples.find((sample) => !satisfies(sample.value, expectation));
        if (bad) broken = `${expected(expectation)}, got ${gotValue(bad.value)}${forSeries(bad.labels, samples.length)}`;
        else if (samples.length === 0) broken = `${expected(expectation)}, got no data: the query returned no series`;
        // A pass on a window that still holds the old traffic split is no verdict yet.
        const early = broken === undefined ? notEnoughData(basis) : undefined;
        if (early) broken = `${expected(expectation)}: ${early}`;
      }
    }
    if (expectation && empty) broken = `expect ${describeExpectation(expectation)} cannot be checked: the query returned no data`;
    outputs.push({ kind: 'text', text: `Based on ${describeBasis(basis)}` });
    return { ok: broken === undefined, outputs, value, ...(empty ? { noData: true } : {}), ...(broken ? { error: broken } : {}) };
  }
}

/** What a query that returned no series shows, instead of an empty table. */
export const NO_DATA = 'no data: the query returned no series';

function expected(expectation: Expectation): string {
  return `expected ${describeExpectation(expectation)}`;
}

/** A value as the reader should understand it; NaN is what Prometheus returns for 0/0. */
function gotValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN (no number: 0/0, the query divided by zero, e.g. no requests in its window)';
  return formatNumber(value);
}

function forSeries(labels: Record<string, string>, seriesCount: number): string {
  const text = formatLabels(labels);
  if (text === '{}') return seriesCount === 1 ? '' : ' for a series without labels';
  return ` for ${text}`;
}
