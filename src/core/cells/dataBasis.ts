// How much data a promql or check verdict rests on: the raw samples in the query's window, the
// window itself, and the time since the deployment last changed. A verdict whose window still
// reaches back before the last traffic change mixes the old split with the new one; it is "not
// enough data yet", never a pass on zero.
import { serviceStateSchema } from '../endpoints/deployment';
import type { DeploymentActions, MetricQuery } from './types';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const PROM_DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;

/** A PromQL duration (`1m`, `1h30m`, `250ms`) in milliseconds; undefined when it is not one. */
export function promDurationMs(text: string): number | undefined {
  if (!PROM_DURATION.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}

/** The query without its string literals (a regex matcher's `[0-9]` is not a range). */
function withoutStrings(query: string): string {
  return query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/** The longest range a query reads (`rate(x[1m])`, a subquery's `[30m:1m]`), plus any `offset`: how far back its value reaches. */
export function queryWindowMs(query: string): number | undefined {
  const text = withoutStrings(query);
  let longest: number | undefined;
  for (const match of text.matchAll(/\[\s*([0-9a-z]+)\s*(?::\s*[0-9a-z]*\s*)?\]/g)) {
    const ms = promDurationMs(match[1]!);
    if (ms !== undefined) longest = Math.max(longest ?? 0, ms);
  }
  if (longest === undefined) return undefined;
  let offset = 0;
  for (const match of text.matchAll(/\boffset\s+([0-9a-z]+)/g)) offset = Math.max(offset, promDurationMs(match[1]!) ?? 0);
  return longest + offset;
}

/** The range-vector selectors of a query (`metric{…}[1m]`), as written, for counting raw samples. */
export function rangeSelectors(query: string): string[] {
  const selectors = new Set<string>();
  // Strings stay in (matchers need them); a selector is a name and/or braces, then a plain range.
  const pattern = /([a-zA-Z_:][a-zA-Z0-9_:]*)?(\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\})?\s*\[\s*([0-9a-z]+)\s*\]/g;
  for (const match of query.matchAll(pattern)) {
    if (!match[1] && !match[2]) continue;
    if (promDurationMs(match[3]!) === undefined) continue;
    selectors.add(`${match[1] ?? ''}${match[2] ?? ''}[${match[3]}]`);
  }
  return [...selectors];
}

export interface DataBasis {
  /** Raw samples in the window (the fewest of the query's selectors), when they could be counted. */
  samples?: number;
  /** Series the verdict read. */
  series: number;
  windowMs?: number;
  /** Milliseconds since the deployment endpoint last changed, when it could be asked. */
  sinceChangeMs?: number;
}

/**
 * Counts the raw samples behind a query: for each range selector, `count_over_time` summed over
 * its series; the fewest wins (the verdict is only as good as its thinnest input). Undefined
 * when the query has no range selector or the count cannot be read.
 */
export async function countSamples(metrics: MetricQuery, query: string, signal?: AbortSignal): Promise<number | undefined> {
  const selectors = rangeSelectors(query);
  if (selectors.length === 0) return undefined;
  let fewest: number | undefined;
  for (const selector of selectors) {
    try {
      const samples = await metrics.instant(`sum(count_over_time(${selector}))`, signal ? { signal } : {});
      const count = samples[0]?.value ?? 0;
      fewest = Math.min(fewest ?? Infinity, Number.isFinite(count) ? count : 0);
    } catch {
      return undefined;
    }
  }
  return fewest;
}

/** Milliseconds since the deployment endpoint's last change (its `updatedAt`), or undefined. */
export async function sinceLastChange(deployment: DeploymentActions | undefined, now: number, signal?: AbortSignal): Promise<number | undefined> {
  if (!deployment) return undefined;
  try {
    const parsed = serviceStateSchema.safeParse(await deployment.getService(signal ? { signal } : {}));
    const changed = parsed.success ? Date.parse(parsed.data.updatedAt) : NaN;
    return Number.isNaN(changed) ? undefined : Math.max(0, now - changed);
  } catch {
    return undefined;
  }
}

/** `2m10s`, `45s`, `800ms`. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes < 60) return rest ? `${minutes}m${rest}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
}

/** `60 samples · 1 series · 1m window · last change 2m10s ago`. */
export function describeBasis(basis: DataBasis): string {
  const parts: string[] = [];
  if (basis.samples !== undefined) parts.push(`${basis.samples} sample${basis.samples === 1 ? '' : 's'}`);
  parts.push(`${basis.series} series`);
  if (basis.windowMs !== undefined) parts.push(`${shortDuration(basis.windowMs)} window`);
  parts.push(basis.sinceChangeMs !== undefined ? `deployment last changed ${shortDuration(basis.sinceChangeMs)} ago` : 'time since the last traffic change unknown');
  return parts.join(' · ');
}

/**
 * Why a verdict must wait, or undefined when its data is from the current traffic split: the
 * window reaches back before the last change, or the window holds no sample at all.
 */
export function notEnoughData(basis: DataBasis): string | undefined {
  if (basis.windowMs !== undefined && basis.sinceChangeMs !== undefined && basis.sinceChangeMs < basis.windowMs) {
    return `not enough data yet: the ${shortDuration(basis.windowMs)} window reaches back before the deployment's last change ${shortDuration(basis.sinceChangeMs)} ago (ready in ${shortDuration(basis.windowMs - basis.sinceChangeMs)})`;
  }
  if (basis.samples === 0) return 'not enough data yet: the window holds no samples';
  return undefined;
}
