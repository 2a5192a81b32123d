// Guardrail queries as Argo and Prometheus run them: placeholders become AnalysisTemplate args
// (or, for a PrometheusRule, the plan's values), and a baseline-relative guardrail becomes one
// query that computes candidate ÷ baseline exactly as the Rollgate engine does.
import type { Plan } from '../plan/schema';

/** Argo args a query may use, named after the plan placeholder they stand for. */
export const ARG_NAMES = {
  candidateVersion: 'candidate-version',
  baselineVersion: 'baseline-version',
  service: 'service',
  plan: 'plan',
  model: 'model',
  metricsToken: 'metrics-token',
} as const;

export type QueryArg = Exclude<(typeof ARG_NAMES)[keyof typeof ARG_NAMES], 'metrics-token'>;

/** Which version `{{version}}` stands for in one half of a query. */
export type VersionRole = 'candidate' | 'baseline';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

function argFor(name: string, role: VersionRole): QueryArg | undefined {
  switch (name) {
    case 'version':
      return role === 'candidate' ? ARG_NAMES.candidateVersion : ARG_NAMES.baselineVersion;
    case 'candidate.version':
      return ARG_NAMES.candidateVersion;
    case 'baseline.version':
      return ARG_NAMES.baselineVersion;
    case 'metadata.service':
      return ARG_NAMES.service;
    case 'metadata.name':
      return ARG_NAMES.plan;
    case 'model.name':
      return ARG_NAMES.model;
    default:
      return undefined;
  }
}

/**
 * The query with each placeholder replaced by `{{args.<name>}}`; the args it needs are added to
 * `used`. Plan validation has already rejected unknown placeholders, so none are left.
 */
export function queryWithArgs(query: string, role: VersionRole, used: Set<QueryArg>): string {
  return query.replace(PLACEHOLDER, (whole, name: string) => {
    const arg = argFor(name, role);
    if (!arg) return whole;
    used.add(arg);
    return `{{args.${arg}}}`;
  });
}

/** The query with the plan's own values in place of placeholders (for a PrometheusRule, which has no args). */
export function queryWithValues(query: string, role: VersionRole, plan: Plan): string {
  const values: Record<QueryArg, string> = {
    'candidate-version': plan.model.candidate.version,
    'baseline-version': plan.model.baseline.version,
    service: plan.metadata.service,
    plan: plan.metadata.name,
    model: plan.model.name,
  };
  return query.replace(PLACEHOLDER, (whole, name: string) => {
    const arg = argFor(name, role);
    return arg ? escapePromqlString(values[arg]) : whole;
  });
}

/** A value placed inside a PromQL double-quoted label value. */
function escapePromqlString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * Candidate ÷ baseline as one PromQL expression, with the Rollgate engine's rules: an empty side
 * is no data (empty result), NaN stays NaN (no data), x ÷ 0 is ±Inf, and 0 ÷ 0 is 1 (PromQL says
 * NaN, the engine counts equal zeros as ratio 1). `on()` matches the two single-series results
 * whatever their labels (the version label differs by construction).
 */
export function ratioQuery(candidate: string, baseline: string): string {
  const c = `(${candidate.trim()})`;
  const b = `(${baseline.trim()})`;
  const bothZero = `(${c} == 0 and on() ${b} == 0)`;
  return `(${c} / on() ${b} unless on() ${bothZero}) or on() (vector(1) and on() ${bothZero})`;
}

/**
 * Whether a query evaluates to a PromQL scalar rather than an instant vector: true when nothing
 * is left once `scalar(...)`, `time()`, `pi()`, number literals, operators and parentheses are
 * taken away (a selector or any other function makes it a vector). Argo hands a scalar to its
 * conditions as a number and a vector as a list, so the two need different conditions.
 */
export function returnsScalar(query: string): boolean {
  // Comments and string literals may hold anything, parentheses included.
  let rest = query.replace(/#[^\n]*/g, ' ').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  for (let match = /\b(?:scalar|time|pi)\s*\(/.exec(rest); match; match = /\b(?:scalar|time|pi)\s*\(/.exec(rest)) {
    let depth = 0;
    let end = match.index + match[0].length - 1;
    for (; end < rest.length; end++) {
      if (rest[end] === '(') depth++;
      else if (rest[end] === ')' && --depth === 0) break;
    }
    if (depth !== 0) return false;
    rest = `${rest.slice(0, match.index)} 0 ${rest.slice(end + 1)}`;
  }
  rest = rest.replace(/\bbool\b/g, ' ').replace(/(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/g, ' ');
  rest = rest.replace(/\b(?:Inf|NaN)\b/gi, ' ');
  return /^[\s+\-*/%^()<>=!]*$/.test(rest) && /\S/.test(query);
}
