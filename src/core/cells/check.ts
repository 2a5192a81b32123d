import type { Diagnostic } from '../diagnostics';
import { measureGuardrail, type GuardrailMeasurement, type MetricSource } from '../guardrails/index';
import { parseDuration } from '../plan/schema';
import { durationAttribute, error, retryUntilOk, type ExecuteOutcome, type ExecuteRuntime, type PrepareContext, type PrepareResult } from './prepared';
import { countSamples, describeBasis, notEnoughData, queryWindowMs, sinceLastChange, type DataBasis } from './dataBasis';
import { formatNumber } from './render';
import { tokenize } from './rollout';
import type { MetricQuery, Parsed } from './types';

/** A measurement with the data it rests on; `notEnoughData` when its window predates the last change. */
type CheckedMeasurement = GuardrailMeasurement & { basis: DataBasis; notEnoughData?: boolean };

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** A guardrail name written in a check cell, with its offsets. */
export interface GuardrailReference {
  name: string;
  start: number;
  end: number;
}

/**
 * Parses a check cell: guardrail names separated by spaces, commas or lines (`#` comments
 * allowed); an empty cell (or the word `all`) checks every guardrail of the plan.
 */
export function parseCheckCell(text: string): Parsed<GuardrailReference[]> {
  const tokenized = tokenize(text.replace(/,/g, ' '));
  const references: GuardrailReference[] = [];
  for (const token of tokenized.value ?? []) {
    if (token.text === 'all' && !token.quoted) continue;
    references.push({ name: token.text, start: token.start, end: token.end });
  }
  if (tokenized.diagnostics.length > 0) return { diagnostics: tokenized.diagnostics };
  return { value: references, diagnostics: [] };
}

/**
 * The metric endpoint as guardrails read it: one number from an instant query (threshold), the
 * whole vector (drift and calibration buckets) and range series (compare samples).
 */
export function scalarSource(metrics: MetricQuery): MetricSource {
  return {
    async queryScalar(promql, signal) {
      const samples = await metrics.instant(promql, signal ? { signal } : {});
      if (samples.length === 0) return {};
      if (samples.length > 1) return { error: `the query returned ${samples.length} series; a guardrail query must return one number (wrap it in sum(...))` };
      return { value: samples[0]!.value };
    },
    async queryVector(promql, signal) {
      const samples = await metrics.instant(promql, signal ? { signal } : {});
      return { samples: samples.map((sample) => ({ labels: sample.labels, value: sample.value })) };
    },
    async queryRange(promql, range, signal) {
      const series = await metrics.range(promql, range, signal ? { signal } : {});
      return { series: series.map((one) => ({ labels: one.labels, points: one.points.map((point) => ({ time: point.timestamp, value: point.value })) })) };
    },
  };
}

function describeBound(measurement: GuardrailMeasurement): string {
  const bound = measurement.bound;
  const parts: string[] = [];
  if (bound.min !== undefined) parts.push(`min ${formatNumber(bound.min)}`);
  if (bound.max !== undefined) parts.push(`max ${formatNumber(bound.max)}`);
  if (bound.minRatio !== undefined) parts.push(`ratio ≥ ${formatNumber(bound.minRatio)}`);
  if (bound.maxRatio !== undefined) parts.push(`ratio ≤ ${formatNumber(bound.maxRatio)}`);
  return parts.join(', ');
}

/** Resolves a check cell against the linked plan: which guardrails, measured now by `execute`. */
export function prepareCheckCell(text: string, context: PrepareContext): PrepareResult {
  const parsed = parseCheckCell(text);
  if (!parsed.value) return { diagnostics: parsed.diagnostics };
  const plan = context.plan;
  const metrics = context.ports.metrics;
  if (!plan || !metrics) {
    return { diagnostics: [error('cell/no-plan', "A check cell measures the linked plan's guardrails: set `plan:` in the front matter to a valid *.rollout.yaml.")] };
  }
  const endpoint: MetricQuery = metrics;
  const diagnostics: Diagnostic[] = [];
  const selected = parsed.value.length === 0 ? plan.guardrails : [];
  for (const reference of parsed.value) {
    const guardrail = plan.guardrails.find((one) => one.name === reference.name);
    if (guardrail) selected.push(guardrail);
    else {
      const known = plan.guardrails.map((one) => one.name).join(', ') || 'none';
      diagnostics.push(error('check/unknown-guardrail', `The plan has no guardrail "${reference.name}"; guardrails: ${known}.`, reference.start, reference.end));
    }
  }
  const waitMs = durationAttribute(context.attributes, 'wait', parseDuration, diagnostics);
  if (diagnostics.length > 0) return { diagnostics };
  if (selected.length === 0) return { diagnostics: [error('check/no-guardrails', 'The linked plan defines no guardrails to check.')] };
  const url = `${metrics.baseUrl.replace(/\/+$/, '')}/api/v1/query`;
  const names = selected.map((guardrail) => guardrail.name).join(', ');
  const queryContext = {
    candidateVersion: plan.model.candidate.version,
    baselineVersion: plan.model.baseline.version,
    service: plan.metadata.service,
    planName: plan.metadata.name,
    modelName: plan.model.name,
  };
  return {
    diagnostics: [],
    prepared: {
      kind: 'check',
      mutating: context.attributes.effect === 'mutate',
      request: { method: 'GET', url, action: `check guardrails ${names}` },
      target: { method: 'GET', url, target: `measure guardrails ${names} of ${plan.metadata.name}`, service: plan.metadata.service, ...(context.environment ? { environment: context.environment } : {}) },
      execute: (runtime) => retryUntilOk(waitMs, runtime, context.now, () => measure(runtime)),
    },
  };

  async function measure(runtime: ExecuteRuntime): Promise<ExecuteOutcome> {
    const source = scalarSource(endpoint);
    const signal = runtime.signal;
    const sinceChangeMs = await sinceLastChange(context.ports.deployment, context.now(), signal);
    const measurements: CheckedMeasurement[] = [];
    for (const guardrail of selected) {
      const measurement = await measureGuardrail(guardrail, queryContext, source, { ...(signal ? { signal } : {}), now: context.now });
      const basis: DataBasis = {
        series: measurement.noData ? 0 : 1,
        ...(sinceChangeMs !== undefined ? { sinceChangeMs } : {}),
        ...optional('windowMs', queryWindowMs(measurement.query)),
        ...optional('samples', await countSamples(endpoint, measurement.query, signal)),
      };
      // A pass (or no data) on a window that still holds the old traffic split is no verdict yet; a
      // failure stays a failure, and a pass the plan asks for on no data (`onNoData: pass`) stays one.
      const undecided = (measurement.outcome === 'pass' && !measurement.noData) || (measurement.outcome === 'inconclusive' && measurement.noData);
      const early = undecided ? notEnoughData(basis) : undefined;
      measurements.push(early ? { ...measurement, outcome: 'inconclusive', notEnoughData: true, reason: early, basis } : { ...measurement, basis });
    }
    const rows = measurements.map((measurement) => [
      measurement.guardrail,
      measurement.notEnoughData ? 'not enough data yet' : measurement.outcome === 'pass' ? 'pass' : measurement.outcome === 'fail' ? 'FAIL' : measurement.outcome,
      measurement.value !== undefined ? formatNumber(measurement.value) : '',
      measurement.baselineValue !== undefined ? formatNumber(measurement.baselineValue) : '',
      describeBound(measurement),
      describeBasis(measurement.basis),
      measurement.reason,
    ]);
    // A dry-run guardrail is measured and shown but never decides, as in a rollout.
    const deciding = measurements.filter((measurement) => !measurement.dryRun);
    const failed = deciding.filter((measurement) => measurement.outcome === 'fail' || measurement.outcome === 'inconclusive');
    return {
      ok: failed.length === 0,
      outputs: [{ kind: 'table', columns: ['guardrail', 'result', 'value', 'baseline', 'bound', 'data', 'reason'], rows }],
      value: {
        passed: failed.length === 0,
        results: Object.fromEntries(measurements.map((measurement) => [measurement.guardrail, measurement])),
      },
      ...(failed.length > 0
        ? { error: failed.map((measurement) => `${measurement.guardrail}: ${measurement.notEnoughData ? '' : `${measurement.outcome === 'fail' ? 'failed' : measurement.outcome}, `}${measurement.reason}`).join('; ') }
        : {}),
    };
  }
}
