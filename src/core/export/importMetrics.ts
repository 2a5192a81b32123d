// Argo AnalysisTemplate metrics → Rollgate guardrails. A metric the plan cannot express is left
// out and named in the import's notes; nothing is approximated without saying so.
import { DURATION_PATTERN } from '../plan/schema';
import { parseGoDuration } from './format';
import { readConditions } from './importConditions';
import { ARG_NAMES } from './queries';

type Json = Record<string, unknown>;

export interface ImportedGuardrail {
  guardrail: Json;
  /** How long Argo measures this metric in one analysis run (initialDelay + (count - 1) x interval). */
  durationMs?: number;
  pauseOnBreach: boolean;
  /** The Kubernetes Secret the metric's token header reads, if any. */
  tokenSecret?: { name: string; key: string };
  address?: string;
  timeoutSeconds?: number;
  /** Which kind of value `{{version}}` args carried: plan versions or pod template hashes. */
  versionValue?: 'label' | 'podTemplateHash';
  /** What did not carry over exactly. */
  notes: string[];
}

/** An arg's value as the Rollout and template give it. */
export interface ArgValue {
  value?: string;
  podTemplateHash?: 'Latest' | 'Stable';
  secret?: { name: string; key: string };
  other?: boolean;
}

/** Versions known from a Rollgate-exported Rollout's annotations, to turn values back into placeholders. */
export interface KnownValues {
  candidateVersion?: string;
  baselineVersion?: string;
  service?: string;
  plan?: string;
  model?: string;
}

const ARG_REFERENCE = /\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}/g;

/** Rollgate's spelling of a duration: `1h30m`, `90s`, `250ms`. */
export function rollgateDuration(ms: number): string | undefined {
  if (!Number.isInteger(ms) || ms <= 0) return undefined;
  let rest = ms;
  let text = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return DURATION_PATTERN.test(text) ? text : undefined;
}

/** A guardrail name Rollgate accepts, from a metric name. */
export function guardrailName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 64);
  return cleaned || 'metric';
}

const intOf = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
};

/** Maps one metric; returns a reason string when it cannot be expressed. */
export function importMetric(
  metric: Json,
  args: Map<string, ArgValue>,
  dryRunNames: Set<string>,
  known: KnownValues,
  /** Time the stage has already waited (its pauses) when this analysis starts: a one-off measurement then becomes one interval of that length. */
  waitedMs = 0,
): ImportedGuardrail | string {
  const name = String(metric.name ?? '');
  const provider = (metric.provider ?? {}) as Json;
  const kinds = Object.keys(provider);
  if (!provider.prometheus) return `metric '${name}': provider ${kinds.join(', ') || '(none)'} (only Prometheus metrics become guardrails)`;
  const prometheus = provider.prometheus as Json;
  if (prometheus.rangeQuery) return `metric '${name}': a Prometheus range query (guardrails run instant queries)`;
  if (prometheus.authentication) return `metric '${name}': Prometheus authentication (${Object.keys(prometheus.authentication as Json).join(', ')})`;
  if (prometheus.insecure) return `metric '${name}': insecure: true (TLS verification off)`;
  if (typeof prometheus.query !== 'string' || prometheus.query.trim() === '') return `metric '${name}': no query`;

  let tokenSecret: ImportedGuardrail['tokenSecret'];
  for (const header of (prometheus.headers as Json[] | undefined) ?? []) {
    const bearer = /^Bearer \{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}$/.exec(String(header.value ?? ''));
    const secret = bearer ? args.get(bearer[1]!)?.secret : undefined;
    if (String(header.key).toLowerCase() === 'authorization' && secret) tokenSecret = secret;
    else return `metric '${name}': header ${String(header.key)} (only an Authorization bearer token from a Secret carries over)`;
  }

  if (/\{\{/.test(prometheus.query.replace(ARG_REFERENCE, ''))) return `metric '${name}': its query uses {{...}} templating other than args`;
  let versionValue: ImportedGuardrail['versionValue'];
  let unresolved: string | undefined;
  const query = prometheus.query.trim().replace(ARG_REFERENCE, (whole, argName: string) => {
    const arg = args.get(argName);
    if (arg?.podTemplateHash) {
      versionValue = 'podTemplateHash';
      return arg.podTemplateHash === 'Latest' ? '{{candidate.version}}' : '{{baseline.version}}';
    }
    if (arg?.value !== undefined) {
      const placeholder = placeholderFor(argName, arg.value, known);
      if (placeholder) {
        if (placeholder.endsWith('.version}}')) versionValue = 'label';
        return placeholder;
      }
      return arg.value;
    }
    unresolved ??= argName;
    return whole;
  });
  if (unresolved) return `metric '${name}': arg '${unresolved}' has no value the plan could hold (a fieldRef, a secret in the query, or none given)`;

  const judgement = readConditions(metric.successCondition as string | undefined, metric.failureCondition as string | undefined);
  if ('unsupported' in judgement) return `metric '${name}': ${judgement.unsupported}`;

  const guardrail: Json = { name: guardrailName(name), query };
  if (judgement.min !== undefined) guardrail.min = judgement.min;
  if (judgement.max !== undefined) guardrail.max = judgement.max;
  const once = metric.interval === undefined && (metric.count === undefined || intOf(metric.count) === 1) && metric.initialDelay === undefined && waitedMs > 0;
  // One measurement after the stage's pause is, in the plan, a guardrail measured once per bake.
  const intervalMs = metric.interval !== undefined ? parseGoDuration(String(metric.interval)) : once ? waitedMs : undefined;
  const interval = intervalMs !== undefined ? rollgateDuration(intervalMs) : undefined;
  if (metric.interval !== undefined && !interval) return `metric '${name}': interval '${String(metric.interval)}'`;
  if (interval) guardrail.interval = interval;
  const failureLimit = intOf(metric.failureLimit) ?? 0;
  if (failureLimit < 0) return `metric '${name}': failureLimit ${failureLimit} (failures never decide)`;
  const notes = judgement.notes.map((note) => `metric '${name}': ${note}`);
  if (judgement.pauseOnBreach) {
    const inconclusiveLimit = intOf(metric.inconclusiveLimit) ?? 0;
    if (inconclusiveLimit > 0) guardrail.failureLimit = inconclusiveLimit + 1;
  } else if (failureLimit > 0) {
    guardrail.failureLimit = failureLimit + 1;
    notes.push(`metric '${name}': Argo fails after ${failureLimit + 1} failed measurements in the whole run; the plan's failureLimit ${failureLimit + 1} counts them in a row`);
  }
  for (const key of ['consecutiveErrorLimit', 'consecutiveSuccessLimit', ...(judgement.pauseOnBreach ? [] : ['inconclusiveLimit'])]) {
    if (metric[key] !== undefined) notes.push(`metric '${name}': ${key} (the plan has no such limit)`);
  }
  guardrail.onNoData = judgement.onNoData;
  if (dryRunNames.has(name) || dryRunNames.has('*')) guardrail.dryRun = true;

  const delayMs = metric.initialDelay !== undefined ? (parseGoDuration(String(metric.initialDelay)) ?? 0) : 0;
  const count = intOf(metric.count);
  let durationMs: number | undefined;
  if (once) durationMs = 0;
  else if (count !== undefined && count > 0 && intervalMs !== undefined) durationMs = delayMs + (count - 1) * intervalMs;
  else if (intervalMs === undefined) durationMs = delayMs;
  // The Rollgate engine measures after each interval: an initial delay of one interval is its rhythm.
  if (durationMs !== undefined && intervalMs !== undefined && delayMs === intervalMs) durationMs = count! * intervalMs;

  return {
    guardrail,
    ...(durationMs !== undefined ? { durationMs } : {}),
    pauseOnBreach: judgement.pauseOnBreach,
    notes,
    ...(tokenSecret ? { tokenSecret } : {}),
    ...(typeof prometheus.address === 'string' ? { address: prometheus.address } : {}),
    ...(typeof prometheus.timeout === 'number' ? { timeoutSeconds: prometheus.timeout } : {}),
    ...(versionValue ? { versionValue } : {}),
  };
}

function placeholderFor(argName: string, value: string, known: KnownValues): string | undefined {
  if (argName === ARG_NAMES.candidateVersion && value === known.candidateVersion) return '{{candidate.version}}';
  if (argName === ARG_NAMES.baselineVersion && value === known.baselineVersion) return '{{baseline.version}}';
  if (argName === ARG_NAMES.service && value === known.service) return '{{metadata.service}}';
  if (argName === ARG_NAMES.plan && value === known.plan) return '{{metadata.name}}';
  if (argName === ARG_NAMES.model && value === known.model) return '{{model.name}}';
  return undefined;
}
