import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { DevDeployment } from './deploymentState';

/** A fault for drills: raise a version's error rate and/or add latency. */
export interface FaultSpec {
  version: string;
  /** Share of requests answered 500, from 0 to 1. */
  errorRate?: number;
  /** Milliseconds added to every answer. */
  latencyMs?: number;
}

/** The fault active on one version. */
export interface ActiveFault {
  version: string;
  errorRate: number;
  latencyMs: number;
}

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
const scoreBuckets = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

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

  constructor(deployment: DevDeployment, random: () => number = Math.random) {
    this.#deployment = deployment;
    this.#random = random;
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
  }

  /** Sets (merges) a fault on a version; throws on an unknown version or out-of-range values. */
  injectFault(spec: FaultSpec): ActiveFault {
    const problem = this.checkFault(spec);
    if (problem) throw new Error(problem);
    const current = this.#faults.get(spec.version) ?? { version: spec.version, errorRate: 0, latencyMs: 0 };
    const next: ActiveFault = { version: spec.version, errorRate: spec.errorRate ?? current.errorRate, latencyMs: spec.latencyMs ?? current.latencyMs };
    this.#faults.set(spec.version, next);
    return { ...next };
  }

  /** Why `spec` is not a valid fault, or `undefined` when it is. */
  checkFault(spec: unknown): string | undefined {
    if (typeof spec !== 'object' || spec === null) return 'expected a JSON object {"version":"42","errorRate":0.3,"latencyMs":200}';
    const { version, errorRate, latencyMs } = spec as Record<string, unknown>;
    if (typeof version !== 'string') return '"version" must be a string naming a registered version';
    if (!this.#deployment.versionNames().includes(version)) {
      return `version "${version}" is not registered for ${this.#deployment.service} (registered: ${this.#deployment.versionNames().join(', ')})`;
    }
    if (errorRate === undefined && latencyMs === undefined) return 'give "errorRate" (0 to 1) and/or "latencyMs" (0 to 60000)';
    if (errorRate !== undefined && (typeof errorRate !== 'number' || !(errorRate >= 0 && errorRate <= 1))) return '"errorRate" must be a number from 0 to 1';
    if (latencyMs !== undefined && (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs <= 60_000))) return '"latencyMs" must be a number from 0 to 60000';
    return undefined;
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
    // A noisy score around the version's mean, kept inside (0, 1).
    const noise = (this.#random() + this.#random() + this.#random() - 1.5) * 0.3;
    const score = Math.min(0.999, Math.max(0.001, profile.meanScore + noise));
    this.#requests.inc({ version, code: '200' });
    this.#score.observe({ version }, score);
    return { version, status: 200, score: Math.round(score * 1000) / 1000, latencyMs: Math.round(latencyMs * 10) / 10 };
  }

  /** Prometheus text exposition of all metrics. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Ends pending simulated waits so that shutdown never waits for an injected latency. */
  async stop(): Promise<void> {
    this.#stopped = true;
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
