// One guardrail → the Argo AnalysisTemplate metric(s) that measure it during one stage's bake.
import { parseDuration, type Guardrail } from '../plan/schema';
import { metricConditions } from './conditions';
import { ExportCodes, type ExportFinding } from './findings';
import { goDuration } from './format';
import { queryWithArgs, ratioQuery, returnsScalar, type QueryArg } from './queries';

/** An Argo `Metric` as plain data (checked against Argo's schema before it is written). */
export type ArgoMetric = Record<string, unknown> & { name: string };

/** The Prometheus provider settings every metric of the plan shares. */
export interface ProviderSettings {
  address: string;
  /** Seconds, from `endpoints.metrics.timeout`. */
  timeoutSeconds?: number;
  /** The header carrying the metrics token, its value taken from an arg fed by a Kubernetes Secret. */
  headers?: { key: string; value: string }[];
}

export interface GuardrailMetrics {
  metrics: ArgoMetric[];
  /** Names of metrics that only record (the guardrail's `dryRun`). */
  dryRun: string[];
  /** How long Argo measures: `count` measurements `interval` apart after an initial delay of one interval. */
  durationMs: number;
}

/** The guardrail kind this export knows how to map; any other kind is refused at its `kind`. */
export const EXPORTABLE_GUARDRAIL_KIND = 'threshold';

/**
 * Maps one guardrail for a stage that bakes `bakeMs`. The Rollgate engine measures every
 * interval of bake time (the first after one interval), at least once: Argo gets the same count,
 * interval and initial delay. Returns undefined, with a finding, when the guardrail cannot be mapped.
 */
export function guardrailMetrics(
  guardrail: Guardrail,
  guardrailIndex: number,
  bakeMs: number,
  settings: { provider: ProviderSettings; pauseOnBreach: boolean; usedArgs: Set<QueryArg> },
  findings: ExportFinding[],
): GuardrailMetrics | undefined {
  // Guardrail kinds other than thresholds (drift, compare, calibration, ...) have no mapping yet.
  const kind = guardrail.kind ?? EXPORTABLE_GUARDRAIL_KIND;
  if (kind !== EXPORTABLE_GUARDRAIL_KIND) {
    findings.push({
      severity: 'error',
      code: ExportCodes.guardrailKind,
      message: `Guardrail kind ${String(kind)} cannot be exported to Argo Rollouts: an Argo metric judges one PromQL number per measurement against fixed conditions, and this kind needs Rollgate's own statistics. Use a threshold guardrail for the cluster, or keep this rollout on the Rollgate engine.`,
      path: ['guardrails', guardrailIndex, 'kind'],
    });
    return undefined;
  }
  // Plan validation reports a threshold guardrail without a query; there is nothing to map.
  const { query: thresholdQuery } = guardrail;
  if (thresholdQuery === undefined) return undefined;

  const intervalMs = Math.max(1, parseDuration(guardrail.interval) ?? 30_000);
  const count = Math.max(1, Math.floor(bakeMs / intervalMs));
  const timing = { initialDelay: goDuration(intervalMs), interval: goDuration(intervalMs), count };
  // Argo fails a metric when failures exceed failureLimit in the whole run; Rollgate breaches after
  // failureLimit failures in a row. failureLimit - 1 makes Argo fail whenever Rollgate breaches.
  const limits = settings.pauseOnBreach
    ? guardrail.onNoData === 'inconclusive' || guardrail.failureLimit === 1
      ? {}
      : { inconclusiveLimit: guardrail.failureLimit - 1 }
    : guardrail.failureLimit > 1
      ? { failureLimit: guardrail.failureLimit - 1 }
      : {};
  const provider = (query: string) => ({
    prometheus: {
      address: settings.provider.address,
      ...(settings.provider.timeoutSeconds !== undefined ? { timeout: settings.provider.timeoutSeconds } : {}),
      ...(settings.provider.headers ? { headers: settings.provider.headers } : {}),
      query,
    },
  });
  const conditions = (bounds: { min?: number; max?: number }, shape: 'vector' | 'scalar') => metricConditions({ bounds, shape, onNoData: guardrail.onNoData, pauseOnBreach: settings.pauseOnBreach });

  const metrics: ArgoMetric[] = [];
  const absolute = { ...(guardrail.min !== undefined ? { min: guardrail.min } : {}), ...(guardrail.max !== undefined ? { max: guardrail.max } : {}) };
  const relative = guardrail.relativeTo === 'baseline' && (guardrail.minRatio !== undefined || guardrail.maxRatio !== undefined);
  const scalar = returnsScalar(thresholdQuery);
  if (!relative || guardrail.min !== undefined || guardrail.max !== undefined) {
    const query = queryWithArgs(thresholdQuery, 'candidate', settings.usedArgs);
    metrics.push({ name: guardrail.name, ...timing, ...limits, ...conditions(absolute, scalar ? 'scalar' : 'vector'), provider: provider(query) });
  }
  if (relative) {
    const side = (role: 'candidate' | 'baseline') => {
      const query = queryWithArgs(thresholdQuery, role, settings.usedArgs);
      // `on()` matching needs instant vectors on both sides.
      return scalar ? `vector(${query})` : query;
    };
    const ratio = { ...(guardrail.minRatio !== undefined ? { min: guardrail.minRatio } : {}), ...(guardrail.maxRatio !== undefined ? { max: guardrail.maxRatio } : {}) };
    metrics.push({
      name: metrics.length > 0 ? `${guardrail.name}-ratio` : guardrail.name,
      ...timing,
      ...limits,
      ...conditions(ratio, 'vector'),
      provider: provider(ratioQuery(side('candidate'), side('baseline'))),
    });
  }
  return { metrics, dryRun: guardrail.dryRun ? metrics.map((metric) => metric.name) : [], durationMs: count * intervalMs };
}
