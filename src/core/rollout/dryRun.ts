import type { MetricHint, MetricReading, MetricSource, QueryRange, RangeReading, VectorReading } from '../guardrails/evaluate';
import { recordedAnswerProblem, recordedRange, recordedScalar, recordedVector, type RecordedAnswer } from '../guardrails/recordedReadings';
import type { MirrorTarget, MutationOptions, TrafficControl, TrafficState } from './ports';

/** One call a dry run would have sent to the deployment endpoint. */
export interface IntendedCall {
  kind: 'set-traffic' | 'rollback';
  weights?: Record<string, number>;
  mirror?: MirrorTarget;
  to?: string;
  reason?: string;
  idempotencyKey: string;
}

/**
 * Stands in for the deployment endpoint in a dry run: sends nothing, remembers what would
 * have been sent so the CLI can print it.
 */
export class DryRunTraffic implements TrafficControl {
  readonly calls: IntendedCall[] = [];
  private state: TrafficState;

  constructor(baseline: string) {
    this.state = { weights: { [baseline]: 100 } };
  }

  async getState(): Promise<TrafficState> {
    return structuredClone(this.state);
  }

  async setTraffic(weights: Record<string, number>, mirror: MirrorTarget | undefined, options: MutationOptions): Promise<void> {
    this.calls.push({ kind: 'set-traffic', weights: { ...weights }, ...(mirror ? { mirror: { ...mirror } } : {}), idempotencyKey: options.idempotencyKey });
    this.state = mirror ? { weights: { ...weights }, mirror: { ...mirror } } : { weights: { ...weights } };
  }

  async rollback(to: string, reason: string, options: MutationOptions): Promise<void> {
    this.calls.push({ kind: 'rollback', to, reason, idempotencyKey: options.idempotencyKey });
    this.state = { weights: { [to]: 100 } };
  }
}

/** A dry run without metrics: every guardrail is reported as not measured (and does not decide). */
export const unreadMetrics: Required<MetricSource> = {
  queryScalar: async () => ({ skipped: true }),
  // Every kind of read, so drift, calibration and compare guardrails are "not measured" too
  // instead of "this source cannot read buckets" (which is no data, and pauses the dry run).
  queryVector: async () => ({ skipped: true }),
  queryRange: async () => ({ skipped: true }),
};

/**
 * A metric recording for dry runs (`--metrics file.json`): answers per guardrail and version,
 * read in order, the last one repeating; `null` is "no data". A threshold's answers are numbers;
 * drift, calibration and compare guardrails record buckets, series or samples
 * (see {@link RecordedAnswer}).
 *
 * ```json
 * { "error-rate": { "42": [0.001, 0.004, 0.03], "41": [0.001] },
 *   "score-drift": { "42": [{ "buckets": { "0.5": 60, "1": 100, "+Inf": 100 } }], "41": [{ "buckets": { "0.5": 70, "1": 100, "+Inf": 100 } }] } }
 * ```
 */
export type MetricRecording = Record<string, Record<string, RecordedAnswer[]>>;

/**
 * Replays a {@link MetricRecording}. Guardrails or versions it does not name are "not measured"
 * (they do not decide); record `null` to replay "no data".
 */
export class RecordedMetrics implements MetricSource {
  private readonly positions = new Map<string, number>();

  constructor(private readonly recording: MetricRecording) {}

  private next(hint: MetricHint | undefined): RecordedAnswer | undefined {
    const series = hint ? this.recording[hint.guardrail]?.[hint.version] : undefined;
    if (!hint || !series || series.length === 0) return undefined;
    const key = `${hint.guardrail}\u0000${hint.version}`;
    const position = this.positions.get(key) ?? 0;
    this.positions.set(key, position + 1);
    return series[Math.min(position, series.length - 1)] ?? null;
  }

  async queryScalar(_promql: string, _signal?: AbortSignal, hint?: MetricHint): Promise<MetricReading> {
    return recordedScalar(this.next(hint));
  }

  async queryVector(_promql: string, _signal?: AbortSignal, hint?: MetricHint): Promise<VectorReading> {
    return recordedVector(this.next(hint));
  }

  async queryRange(_promql: string, range: QueryRange, _signal?: AbortSignal, hint?: MetricHint): Promise<RangeReading> {
    return recordedRange(this.next(hint), range.start, range.stepSeconds);
  }
}

/** Checks the shape of a parsed recording; returns a message for the first problem. */
export function checkMetricRecording(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a recording is an object of guardrail names';
  for (const [guardrail, versions] of Object.entries(value)) {
    if (typeof versions !== 'object' || versions === null || Array.isArray(versions)) return `${guardrail}: expected an object of versions`;
    for (const [version, series] of Object.entries(versions)) {
      if (!Array.isArray(series)) return `${guardrail}.${version}: expected an array of answers (numbers, null, or buckets/series/samples objects)`;
      for (const [index, answer] of series.entries()) {
        const problem = recordedAnswerProblem(answer);
        if (problem) return `${guardrail}.${version}[${index}]: ${problem}`;
      }
    }
  }
  return undefined;
}
