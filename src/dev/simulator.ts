import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { DevDeployment } from './deploymentState';
import { faultProblem, mergeFault, type ActiveFault, type FaultSpec } from './faults';
import { DelayedLabels, scoreBuckets } from './labels';

export type { ActiveFault, FaultSpec } from './faults';

/** Outcome of one simulated prediction. */
export interface Prediction {
  version: string;
  status: 200 | 500;
  score?: number;
  latencyMs: number;
}

/** How each simulated model behaves without faults; unknown versions get a profile from their name. */
interface ModelProfile {
  baseLatencyMs: number;
  latencyJitterMs: number;
  baseErrorRate: number;
  meanScore: number;
}

const knownProfiles: Record<string, ModelProfile> = {
  '41': { baseLatencyMs: 6, latencyJitterMs: 6, baseErrorRate: 0.002, meanScore: 0.3 },
  '42': { baseLatencyMs: 7, latencyJitterMs: 7, baseErrorRate: 0.002, meanScore: 0.34 },
};

function profileFor(version: string): ModelProfile {
  const known = knownProfiles[version];
  if (known) return known;
  let hash = 0;
  for (const character of version) hash = (hash * 31 + character.charCodeAt(0)) >>> 0;
  return { baseLatencyMs: 5 + (hash % 5), latencyJitterMs: 6, baseErrorRate: 0.002, meanScore: 0.25 + (hash % 20) / 100 };
}

/** Histogram buckets in seconds: fine steps at the low end, where a healthy model answers. */
export const durationBuckets = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5];

/**
 * The model-serving simulator: a weighted router over the service's versions, with shadow
 * mirroring, fault injection and Prometheus metrics made with prom-client.
 */
export class ModelSimulator {
  readonly registry = new Registry();
  readonly #deployment: DevDeployment;
  readonly #random: () => number;
  readonly #faults = new Map<string, ActiveFault>();
  readonly #requests: Counter<'version' | 'code'>;
  readonly #duration: Histogram<'version'>;
  readonly #score: Histogram<'version'>;
  // Pending simulated waits, woken by stop() so shutdown never waits for an injected latency.
  readonly #sleepers = new Set<() => void>();
  #stopped = false;
  readonly #inFlight = new Set<Promise<unknown>>();

  readonly #labels: DelayedLabels;

  /** @param labelDelayMs how long after a prediction its true outcome is recorded (default 1000 ms). */
  constructor(deployment: DevDeployment, random: () => number = Math.random, labelDelayMs = 1000) {
    this.#deployment = deployment;
    this.#random = random;
    this.#labels = new DelayedLabels(this.registry, random, labelDelayMs);
    this.#requests = new Counter({
      name: 'rollgate_dev_requests_total',
      help: 'Predictions answered by each model version (mirrored copies included), by HTTP status code.',
      labelNames: ['version', 'code'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'rollgate_dev_request_duration_seconds',
      help: 'Time each model version took to answer a prediction.',
      labelNames: ['version'],
      buckets: durationBuckets,
      registers: [this.registry],
    });
    this.#score = new Histogram({
      name: 'rollgate_dev_prediction_score',
      help: 'Distribution of the scores each model version predicts (watch it for drift).',
      labelNames: ['version'],
      buckets: scoreBuckets,
      registers: [this.registry],
    });
    new Gauge({
      name: 'rollgate_dev_traffic_weight',
      help: 'Percent of live traffic routed to each version.',
      labelNames: ['version', 'service'],
      registers: [this.registry],
      collect() {
        this.reset();
        const state = deployment.snapshot();
        for (const version of state.versions) this.set({ version: version.version, service: state.service }, version.weight);
      },
    });
    new Gauge({
      name: 'rollgate_dev_mirror_percent',
      help: 'Percent of traffic copied to each version in shadow.',
      labelNames: ['version', 'service'],
      registers: [this.registry],
      collect() {
        this.reset();
        const state = deployment.snapshot();
        for (const version of state.versions) this.set({ version: version.version, service: state.service }, version.mirror);
      },
    });
    for (const version of deployment.versionNames()) this.#initialiseSeries(version);
    deployment.onChange((state) => {
      for (const version of state.versions) this.#initialiseSeries(version.version);
    });
  }

  /** Starts every version's series at zero so that rates read 0 rather than "no data". */
  #initialiseSeries(version: string): void {
    this.#requests.inc({ version, code: '200' }, 0);
    this.#requests.inc({ version, code: '500' }, 0);
    this.#labels.initialise(version);
  }

  /** Sets (merges) a fault on a version; throws on an unknown version or out-of-range values. */
  injectFault(spec: FaultSpec): ActiveFault {
    const problem = this.checkFault(spec);
    if (problem) throw new Error(problem);
    const next = mergeFault(this.#faults.get(spec.version), spec);
    this.#faults.set(spec.version, next);
    return { ...next };
  }

  /** Why `spec` is not a valid fault, or `undefined` when it is. */
  checkFault(spec: unknown): string | undefined {
    return faultProblem(spec, this.#deployment.service, this.#deployment.versionNames());
  }

  /** Clears the fault of one version, or of all versions. */
  clearFaults(version?: string): void {
    if (version === undefined) this.#faults.clear();
    else this.#faults.delete(version);
  }

  faults(): ActiveFault[] {
    return [...this.#faults.values()].map((fault) => ({ ...fault }));
  }

  /**
   * Routes one request by the current weights and answers it; versions with a mirror
   * percentage get a scored copy whose answer is discarded.
   */
  async route(): Promise<Prediction> {
    const state = this.#deployment.snapshot();
    let pick = this.#random() * 100;
    let chosen = state.versions.find((version) => version.weight > 0) ?? state.versions[0];
    for (const version of state.versions) {
      if (version.weight <= 0) continue;
      chosen = version;
      pick -= version.weight;
      if (pick < 0) break;
    }
    if (!chosen) throw new Error('the service has no versions');
    for (const version of state.versions) {
      if (version.version !== chosen.version && version.mirror > 0 && this.#random() * 100 < version.mirror) {
        this.#track(this.predict(version.version)).catch(() => undefined);
      }
    }
    return this.#track(this.predict(chosen.version));
  }

  /** Answers one prediction with a given version, recording its metrics. */
  async predict(version: string): Promise<Prediction> {
    const profile = profileFor(version);
    const fault = this.#faults.get(version);
    const latencyMs = profile.baseLatencyMs + this.#random() * profile.latencyJitterMs + (fault?.latencyMs ?? 0);
    await this.#wait(latencyMs);
    const errorRate = Math.max(profile.baseErrorRate, fault?.errorRate ?? 0);
    const failed = this.#random() < errorRate;
    this.#duration.observe({ version }, latencyMs / 1000);
    if (failed) {
      this.#requests.inc({ version, code: '500' });
      return { version, status: 500, latencyMs };
    }
    // A noisy score around the version's mean (moved by a scoreShift fault), kept inside (0, 1).
    const noise = (this.#random() + this.#random() + this.#random() - 1.5) * 0.3;
    const score = Math.min(0.999, Math.max(0.001, profile.meanScore + (fault?.scoreShift ?? 0) + noise));
    this.#requests.inc({ version, code: '200' });
    this.#score.observe({ version }, score);
    this.#labels.schedule({ version, score, accuracyDrop: fault?.accuracyDrop ?? 0, miscalibration: fault?.miscalibration ?? 0 });
    return { version, status: 200, score: Math.round(score * 1000) / 1000, latencyMs: Math.round(latencyMs * 10) / 10 };
  }

  /** Prometheus text exposition of all metrics. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Ends pending simulated waits so that shutdown never waits for an injected latency. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#labels.stop();
    for (const wake of this.#sleepers) wake();
    this.#sleepers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    promise.finally(() => this.#inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  #wait(ms: number): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('simulator stopped'));
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        reject(new Error('simulator stopped'));
      };
      const timer = setTimeout(() => {
        this.#sleepers.delete(wake);
        resolve();
      }, ms);
      this.#sleepers.add(wake);
    });
  }
}
