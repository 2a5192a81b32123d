import type { MetricHint, MetricReading, MetricSource } from '../guardrails/evaluate';
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
export const unreadMetrics: MetricSource = {
  queryScalar: async () => ({ skipped: true }),
  isSteady: () => true,
};

/**
 * A metric recording for dry runs (`--metrics file.json`): values per guardrail and version,
 * read in order, the last one repeating; `null` is "no data".
 *
 * ```json
 * { "error-rate": { "42": [0.001, 0.004, 0.03], "41": [0.001] } }
 * ```
 */
export type MetricRecording = Record<string, Record<string, (number | null)[]>>;

/**
 * Replays a {@link MetricRecording}. Guardrails or versions it does not name are "not measured"
 * (they do not decide); record `null` to replay "no data".
 */
export class RecordedMetrics implements MetricSource {
  private readonly positions = new Map<string, number>();

  constructor(private readonly recording: MetricRecording) {}

  async queryScalar(_promql: string, _signal?: AbortSignal, hint?: MetricHint): Promise<MetricReading> {
    const series = hint ? this.recording[hint.guardrail]?.[hint.version] : undefined;
    if (!hint || !series || series.length === 0) return { skipped: true };
    const key = `${hint.guardrail}\u0000${hint.version}`;
    const position = this.positions.get(key) ?? 0;
    this.positions.set(key, position + 1);
    const value = series[Math.min(position, series.length - 1)];
    return value === null || value === undefined ? {} : { value };
  }

  /** Every series of the guardrail has been read to its end: its last value repeats from now on. */
  isSteady(guardrail: string): boolean {
    return Object.entries(this.recording[guardrail] ?? {}).every(([version, series]) => (this.positions.get(`${guardrail}\u0000${version}`) ?? 0) >= series.length);
  }
}

/** Checks the shape of a parsed recording; returns a message for the first problem. */
export function checkMetricRecording(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a recording is an object of guardrail names';
  for (const [guardrail, versions] of Object.entries(value)) {
    if (typeof versions !== 'object' || versions === null || Array.isArray(versions)) return `${guardrail}: expected an object of versions`;
    for (const [version, series] of Object.entries(versions)) {
      if (!Array.isArray(series) || !series.every((item) => item === null || typeof item === 'number')) {
        return `${guardrail}.${version}: expected an array of numbers or null`;
      }
    }
  }
  return undefined;
}
