// The preflight: every guardrail query of a plan run once, now, against the plan's Prometheus, for
// the baseline version (which is serving traffic before a rollout starts). It finds what a rollout
// would otherwise find mid-bake: a query Prometheus rejects, one that returns no data, or one that
// returns several series where a guardrail needs one number.
import { parse as parseYaml, parseDocument } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { EndpointError } from '../endpoints/errors';
import type { PrometheusClient } from '../endpoints/prometheus';
import { sourceSpan, yamlScalarSource } from '../plan/scalarSource';
import { guardrailDefaults } from '../plan/guardrailKinds';
import { parseDuration, type Plan } from '../plan/schema';
import { PlanLocator } from '../plan/yamlTree';
import { promqlDurationMs } from '../promql/analysis';
import { analyzeQuery, queryFindings } from '../promql/guardrail';
import { substitutePlaceholders, type QueryContext } from './placeholders';
import { increaseQuery } from './queries';

export type PreflightOutcome = 'ok' | 'no-data' | 'many-series' | 'not-a-number' | 'error' | 'short-window';

export interface PreflightResult {
  guardrail: string;
  /** Index in the plan's `guardrails`, to place the finding at its query. */
  index: number;
  outcome: PreflightOutcome;
  severity: 'error' | 'warning' | 'info';
  /** The query exactly as sent. */
  query: string;
  /** The guardrail field the finding is placed at: `query`, or `histogram`/`counter` for drift and calibration. */
  field?: 'query' | 'histogram' | 'counter' | 'window';
  value?: number;
  series?: number;
  message: string;
  /** For `short-window`: offsets of the window in the query as written. */
  start?: number;
  end?: number;
}

export interface PreflightOptions {
  signal?: AbortSignal;
  /** Also read the scrape interval from Prometheus's configuration and check rate windows against it. Default true. */
  scrapeInterval?: boolean;
}

/** Stable codes of preflight findings, as `rollgate validate --preflight` and the editor report them. */
export const PreflightCodes: Readonly<Record<PreflightOutcome, string>> = {
  ok: 'preflight/ok',
  'no-data': 'preflight/no-data',
  'many-series': 'preflight/many-series',
  'not-a-number': 'preflight/not-a-number',
  error: 'preflight/error',
  'short-window': 'preflight/short-window',
};

const formatValue = (value: number): string => (Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, ''));

/**
 * Runs each guardrail query of `plan` once for the baseline version and says what came back. A
 * query Prometheus rejects, several series, or a range vector is an error; no data is a warning,
 * or an error for a guardrail with `onNoData: fail` (the rollout would fail at once). A dry-run
 * guardrail never decides, so its findings are warnings at most. When Prometheus cannot be reached
 * the remaining guardrails are not tried: each says so.
 */
export async function preflightGuardrails(plan: Plan, client: PrometheusClient, options: PreflightOptions = {}): Promise<PreflightResult[]> {
  const baseline = plan.model.baseline.version;
  const context = {
    version: baseline,
    candidateVersion: plan.model.candidate.version,
    baselineVersion: baseline,
    service: plan.metadata.service,
    planName: plan.metadata.name,
    modelName: plan.model.name,
  };
  const results: PreflightResult[] = [];
  let unreachable: string | undefined;
  for (const [index, guardrail] of plan.guardrails.entries()) {
    const sent = preflightQuery(guardrail, context);
    if (!sent) continue;
    const { query, field } = sent;
    const histogramKind = field !== 'query';
    const cap = (severity: PreflightResult['severity']): PreflightResult['severity'] => (guardrail.dryRun && severity === 'error' ? 'warning' : severity);
    const result = (outcome: PreflightOutcome, severity: PreflightResult['severity'], message: string, extra: Partial<PreflightResult> = {}): void => {
      results.push({ guardrail: guardrail.name, index, outcome, severity: cap(severity), query, field, message, ...extra });
    };
    if (unreachable) {
      result('error', 'error', `Guardrail '${guardrail.name}' was not checked: ${unreachable}`);
      continue;
    }
    let answer;
    try {
      answer = (await client.query(query, undefined, options.signal ? { signal: options.signal } : {})).result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof EndpointError && (error.kind === 'unreachable' || error.kind === 'timeout' || error.kind === 'aborted')) unreachable = message;
      result('error', 'error', `Guardrail '${guardrail.name}' failed for baseline ${baseline}: ${message}`);
      continue;
    }
    const noData = (why: string) =>
      result(
        'no-data',
        guardrail.onNoData === 'fail' ? 'error' : 'warning',
        `Guardrail '${guardrail.name}' returned no data for baseline ${baseline} (${why}). During a rollout this is '${guardrail.onNoData}'${guardrail.onNoData === 'inconclusive' ? ', which pauses for a human' : guardrail.onNoData === 'fail' ? ', which fails the stage' : ''}. Check the metric name and labels, and that the baseline serves traffic.`,
      );
    switch (answer.resultType) {
      case 'vector': {
        const count = answer.samples.length;
        if (count === 0) noData('an empty result');
        else if (histogramKind) {
          // Drift and calibration read one series per bucket (and outcome): several are expected.
          const observations = answer.samples.reduce((total, sample) => total + (Number.isFinite(sample.value) ? sample.value : 0), 0);
          result('ok', 'info', `Guardrail '${guardrail.name}' (${guardrail.kind}) read ${count} bucket series with ${formatValue(observations)} observations in all for baseline ${baseline}.`, { series: count });
        } else if (count > 1) {
          result('many-series', 'error', `Guardrail '${guardrail.name}' returned ${count} series for baseline ${baseline}; a guardrail needs one number. Aggregate the query, e.g. with sum(...).`, { series: count });
        } else if (Number.isNaN(answer.samples[0]!.value)) noData('NaN, e.g. a division by zero traffic');
        else result('ok', 'info', `Guardrail '${guardrail.name}' returned ${formatValue(answer.samples[0]!.value)} for baseline ${baseline}.`, { value: answer.samples[0]!.value, series: 1 });
        break;
      }
      case 'scalar':
        if (Number.isNaN(answer.value)) noData('NaN');
        else result('ok', 'info', `Guardrail '${guardrail.name}' returned ${formatValue(answer.value)} for baseline ${baseline}.`, { value: answer.value });
        break;
      default:
        result('not-a-number', 'error', `Guardrail '${guardrail.name}' returned a ${answer.resultType === 'matrix' ? 'range vector' : answer.resultType}; a guardrail needs one number.`);
    }
  }
  if (!unreachable && options.scrapeInterval !== false) {
    const interval = await scrapeIntervalMs(client, options.signal);
    if (interval !== undefined) {
      for (const [index, guardrail] of plan.guardrails.entries()) {
        if ((guardrail.kind === 'drift' || guardrail.kind === 'calibration') && guardrail.window !== undefined) {
          // The window of the bucket query's increase(): one sample per bucket when it is too short.
          const windowMs = parseDuration(guardrail.window);
          if (windowMs !== undefined && windowMs < 2 * interval) {
            const message = `increase() over the ${guardrail.kind} window [${guardrail.window}] needs at least two samples of each bucket, but Prometheus at ${client.baseUrl} scrapes every ${interval / 1000}s: use a window of at least ${(4 * interval) / 1000}s.`;
            results.push({ guardrail: guardrail.name, index, outcome: 'short-window', severity: 'warning', query: guardrail.window, field: 'window', message });
          }
          continue;
        }
        if (guardrail.query === undefined || (guardrail.kind !== 'threshold' && guardrail.kind !== 'compare')) continue;
        const findings = queryFindings(guardrail.query, analyzeQuery(guardrail.query), { expects: 'any', scrapeIntervalMs: interval, scraper: `Prometheus at ${client.baseUrl}` });
        for (const finding of findings.filter((one) => one.rule === 'short-window')) {
          results.push({ guardrail: guardrail.name, index, outcome: 'short-window', severity: 'warning', query: guardrail.query, message: finding.message, start: finding.start, end: finding.end });
        }
      }
    }
  }
  return results;
}

/**
 * The query a guardrail's measurement sends, for the baseline version: its `query` (threshold,
 * compare), or the bucket query of a drift or calibration guardrail, built as the rollout builds
 * it. Undefined when there is nothing to send (a field the plan's validation already reports).
 */
function preflightQuery(guardrail: Plan['guardrails'][number], context: QueryContext): { query: string; field: NonNullable<PreflightResult['field']> } | undefined {
  const { version, ...rest } = context;
  if (guardrail.kind === 'drift' && guardrail.histogram !== undefined) {
    const built = increaseQuery(`${guardrail.histogram}_bucket`, guardrail, rest, version, ['le']);
    return 'query' in built ? { query: built.query, field: 'histogram' } : undefined;
  }
  if (guardrail.kind === 'calibration') {
    const labelName = guardrail.labelName ?? guardrailDefaults.labelName;
    const built =
      guardrail.counter !== undefined
        ? increaseQuery(guardrail.counter, guardrail, rest, version, [guardrail.binLabel ?? guardrailDefaults.binLabel, labelName])
        : guardrail.histogram !== undefined
          ? increaseQuery(`${guardrail.histogram}_bucket`, guardrail, rest, version, ['le', labelName])
          : undefined;
    return built && 'query' in built ? { query: built.query, field: guardrail.counter !== undefined ? 'counter' : 'histogram' } : undefined;
  }
  if (guardrail.query === undefined) return undefined;
  return { query: substitutePlaceholders(guardrail.query, context), field: 'query' };
}

/** The global scrape interval from Prometheus's configuration (`/api/v1/status/config`); undefined when it cannot be read. */
export async function scrapeIntervalMs(client: PrometheusClient, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const response = await client.http.send({ method: 'GET', path: '/api/v1/status/config', ...(signal ? { signal } : {}) });
    const yamlText = (response.body as { data?: { yaml?: unknown } } | undefined)?.data?.yaml;
    if (typeof yamlText !== 'string') return undefined;
    const interval = (parseYaml(yamlText) as { global?: { scrape_interval?: unknown } } | null)?.global?.scrape_interval;
    return typeof interval === 'string' ? promqlDurationMs(interval) : undefined;
  } catch {
    return undefined;
  }
}

/** Preflight results as diagnostics of the plan's text: each at its guardrail's query (a window at the window itself). */
export function preflightDiagnostics(results: readonly PreflightResult[], planText: string): Diagnostic[] {
  const document = parseDocument(planText, { uniqueKeys: false, prettyErrors: false });
  const locator = new PlanLocator(planText, document);
  return results.map((result): Diagnostic => {
    const path = ['guardrails', result.index, result.field ?? 'query'];
    let span = locator.value(path);
    if (result.start !== undefined && result.end !== undefined) {
      const source = yamlScalarSource(planText, locator.node(path));
      if (source) span = sourceSpan(source, result.start, result.end);
    }
    return { severity: result.severity, code: PreflightCodes[result.outcome], message: result.message, start: span.start, end: span.end };
  });
}
