import { createHash } from 'node:crypto';
import { delimiter } from 'node:path';

import type { ServiceState } from '../core/endpoints/index';
import { DEV_PROMETHEUS } from '../core/promql/devStack';
import { DevDeployment } from './deploymentState';
import { startDevHaproxy, type DevHaproxy } from './devHaproxy';
import { findHaproxyOnPath, installHaproxyHint } from './haproxyProcess';
import { startLoadGenerator, type LoadStats } from './loadGenerator';
import { createDemoFlags, startFlagService, type FlagService } from './flagService';
import { findPrometheusOnPath, installPrometheusHint, startPrometheus, type PrometheusProcess } from './prometheusProcess';
import { startDevServer } from './server';
import { ModelSimulator, type ActiveFault, type FaultSpec } from './simulator';

/** The simulated service and its versions; the sample workspace's plans point at these. */
export const devService = 'churn-scorer';
export const devBaselineVersion = '41';
export const devCandidateVersion = '42';

/** The job name under which the dev Prometheus scrapes HAProxy's exporter (`job="haproxy"`). */
export const haproxyScrapeJob = 'haproxy';

function withoutStop(haproxy: DevHaproxy): DevStackHaproxy {
  const { stop: _stop, ...rest } = haproxy;
  return rest;
}

/**
 * The artifact digests `rollgate dev` serves for 41 and 42: exactly those the sample plans
 * (examples/*.rollout.yaml) declare, so a rollout's digest check passes against the demo. Any
 * other version a plan registers (`POST /v1/services/churn-scorer/versions`) is served with the
 * digest it was registered with.
 */
export const devSampleDigests: Readonly<Record<string, string>> = {
  '41': 'sha256:9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c',
  '42': 'sha256:4f2a9c1e8b7d6054a3f21e9c8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b',
};

/** The digest `rollgate dev` serves for a version: the samples' for 41 and 42, a stable synthetic one otherwise. */
export function devDigest(version: string): string {
  return devSampleDigests[version] ?? `sha256:${createHash('sha256').update(`rollgate-dev churn ${version}`).digest('hex')}`;
}

export interface DevStackOptions {
  /** Port of the simulator and deployment endpoint on 127.0.0.1; 0 picks a free one. Default 8700. */
  port?: number;
  /**
   * `auto` (default): start Prometheus when a binary is found, else add a notice saying how to
   * install it; `required`: fail when it cannot be started; `off`: never start it.
   */
  prometheus?: 'auto' | 'required' | 'off';
  /** Prometheus binary; default: `prometheus` on `searchPath`. */
  prometheusBin?: string;
  /** Where to look for `prometheus` (PATH syntax). Default: this process's PATH. */
  searchPath?: string;
  /** Prometheus port on 127.0.0.1; 0 picks a free one. Default 9090. */
  prometheusPort?: number;
  /** Bearer token the deployment endpoint requires (already resolved; never printed). */
  token?: string;
  /** Load generator rate; 0 turns it off. Default 40. */
  requestsPerSecond?: number;
  /** How long after a prediction its true outcome (label) is recorded. Default 1000 ms. */
  labelDelayMs?: number;
  /** Random source for routing, latency, errors, scores and labels. */
  random?: () => number;
  /** Time to wait for Prometheus' readiness and first scrape. Default 30 s. */
  prometheusStartTimeoutMs?: number;
  /**
   * `required`: also start the flag service (Unleash on a throw-away PostgreSQL) with the demo
   * plans' flags, failing when it cannot be started; `off` (default): do not.
   */
  flags?: 'off' | 'required';
  /** Unleash's port on 127.0.0.1; 0 picks a free one. Default 4242. */
  flagsPort?: number;
  /** The admin token Unleash is started with (`*:*.<secret>`), already resolved; never printed. */
  flagsAdminToken?: string;
  /**
   * `off` (the default here; `rollgate dev` asks for `auto`): no HAProxy; `auto`: run each version
   * as its own server with a real HAProxy in front when a binary is found, else add a notice;
   * `required`: fail when it cannot be started.
   */
  haproxy?: 'auto' | 'required' | 'off';
  /** HAProxy binary; default: `haproxy` on `haproxySearchPath`. */
  haproxyBin?: string;
  /** Where to look for `haproxy` (PATH syntax). Default: `searchPath`, then /usr/local/sbin and /usr/sbin (Debian installs it there). */
  haproxySearchPath?: string;
  /** HAProxy frontend, runtime API and exporter ports on 127.0.0.1; 0 picks a free one. Defaults 8780, 9999, 8405. */
  haproxyPort?: number;
  haproxyApiPort?: number;
  haproxyMetricsPort?: number;
}

/** The HAProxy part of a running stack (see `DevStackOptions.haproxy`). */
export type DevStackHaproxy = Omit<DevHaproxy, 'stop'>;

/** The flags the demo plans name (examples/churn-flags.rollout.yaml), created off in every environment. */
export const devFlags = ['new-ranking'] as const;

/** A running `rollgate dev` stack. */
export interface DevStack {
  service: string;
  baselineVersion: string;
  candidateVersion: string;
  /** Deployment endpoint base URL, e.g. `http://127.0.0.1:8700` (also serves /predict, /metrics, /v1/faults). */
  deploymentUrl: string;
  /** The weighted router: `POST` a prediction request here. */
  predictUrl: string;
  /** The simulator's Prometheus exposition (what Prometheus scrapes). */
  metricsUrl: string;
  /** Fault injection: `POST {"version","errorRate","latencyMs","scoreShift","accuracyDrop","miscalibration"}`, `DELETE` to clear. */
  faultsUrl: string;
  /** The real Prometheus scraping the simulator (the metric endpoint), when started. */
  prometheusUrl?: string;
  prometheusPid?: number;
  prometheusDataDir?: string;
  /** The flag service (Unleash, project `default`, environments `development` and `production`), when started. */
  flags?: Pick<FlagService, 'url' | 'project' | 'environments' | 'unleashPid' | 'postgres'> & { flags: readonly string[] };
  /** HAProxy in front of one server per version, when started: its runtime API, exporter and router. */
  haproxy?: DevStackHaproxy;
  /** Things the user should know, e.g. that Prometheus is missing and how to install it. */
  notices: string[];
  /** Sets (merges) a fault on a version; throws on an unknown version or bad values. */
  injectFault(fault: FaultSpec): ActiveFault;
  /** Clears one version's fault, or all faults. */
  clearFaults(version?: string): void;
  /** Current deployment state (same as `GET /v1/services/churn-scorer`). */
  state(): ServiceState;
  loadStats(): LoadStats;
  /** Stops load, the servers, HAProxy, Prometheus and the flag service, and removes their temporary folders. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded demo stack on 127.0.0.1: the `churn-scorer` simulator with baseline 41
 * (stable, 100 %) and candidate 42 (registered at 0 %), its weighted router, a load generator,
 * metrics, the deployment endpoint, fault injection and, when available, a real Prometheus.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const random = options.random ?? Math.random;
  const deployment = new DevDeployment(devService, [
    { version: devBaselineVersion, artifact: `s3://models/churn/${devBaselineVersion}`, digest: devDigest(devBaselineVersion), weight: 100 },
    { version: devCandidateVersion, artifact: `s3://models/churn/${devCandidateVersion}`, digest: devDigest(devCandidateVersion), weight: 0 },
  ]);
  const simulator = new ModelSimulator(deployment, random, options.labelDelayMs ?? 1000);
  const server = await startDevServer(options.port ?? 8700, { deployment, simulator, token: options.token });
  const rate = options.requestsPerSecond ?? 40;
  const load = rate > 0 ? startLoadGenerator(() => simulator.route(), rate) : undefined;
  const notices: string[] = [];

  let prometheus: PrometheusProcess | undefined;
  const mode = options.prometheus ?? 'auto';
  const shutdownServing = async (): Promise<void> => {
    load?.stop();
    await simulator.stop();
    await server.close();
  };
  let haproxy: DevHaproxy | undefined;
  const haproxyMode = options.haproxy ?? 'off';
  if (haproxyMode !== 'off') {
    const bin = options.haproxyBin ?? findHaproxyOnPath(options.haproxySearchPath ?? `${options.searchPath ?? process.env.PATH ?? ''}${delimiter}/usr/local/sbin${delimiter}/usr/sbin`);
    if (bin === undefined) {
      const message = `HAProxy was not found, so predictions are routed by the built-in router only (the Rollgate deployment API still works). ${installHaproxyHint}`;
      if (haproxyMode === 'required') {
        await shutdownServing();
        throw new Error(message);
      }
      notices.push(message);
    } else {
      try {
        haproxy = await startDevHaproxy({
          bin,
          simulator,
          backend: devService,
          versions: deployment.snapshot().versions.map((version) => ({ version: version.version, weight: version.weight })),
          port: options.haproxyPort ?? 8780,
          apiPort: options.haproxyApiPort ?? 9999,
          metricsPort: options.haproxyMetricsPort ?? 8405,
          requestsPerSecond: rate,
        });
      } catch (error) {
        await shutdownServing();
        throw error;
      }
    }
  }
  if (mode !== 'off') {
    const bin = options.prometheusBin ?? findPrometheusOnPath(options.searchPath ?? process.env.PATH);
    if (bin === undefined) {
      const message = `Prometheus was not found on PATH, so no metric endpoint is running (metrics are still exposed at ${server.url}/metrics). ${installPrometheusHint}`;
      if (mode === 'required') {
        await shutdownServing();
        throw new Error(message);
      }
      notices.push(message);
    } else {
      try {
        prometheus = await startPrometheus({
          bin,
          port: options.prometheusPort ?? DEV_PROMETHEUS.port,
          target: `127.0.0.1:${server.port}`,
          ...(haproxy ? { extraTargets: [{ job: haproxyScrapeJob, target: haproxy.exporterTarget }] } : {}),
          startTimeoutMs: options.prometheusStartTimeoutMs,
        });
      } catch (error) {
        await haproxy?.stop();
        await shutdownServing();
        throw error;
      }
    }
  }

  let flagService: FlagService | undefined;
  if (options.flags === 'required') {
    try {
      flagService = await startFlagService({ port: options.flagsPort ?? 4242, ...(options.flagsAdminToken ? { adminToken: options.flagsAdminToken } : {}) });
      await createDemoFlags(flagService, devFlags);
    } catch (error) {
      await Promise.all([flagService?.stop(), prometheus?.stop(), shutdownServing()]);
      throw error;
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    service: devService,
    baselineVersion: devBaselineVersion,
    candidateVersion: devCandidateVersion,
    deploymentUrl: server.url,
    predictUrl: `${server.url}/predict`,
    metricsUrl: `${server.url}/metrics`,
    faultsUrl: `${server.url}/v1/faults`,
    prometheusUrl: prometheus?.url,
    prometheusPid: prometheus?.pid,
    prometheusDataDir: prometheus?.dataDir,
    ...(flagService ? { flags: { url: flagService.url, project: flagService.project, environments: flagService.environments, unleashPid: flagService.unleashPid, postgres: flagService.postgres, flags: devFlags } } : {}),
    ...(haproxy ? { haproxy: withoutStop(haproxy) } : {}),
    notices,
    injectFault: (fault) => simulator.injectFault(fault),
    clearFaults: (version) => simulator.clearFaults(version),
    state: () => deployment.snapshot(),
    loadStats: () => load?.stats() ?? { sent: 0, skipped: 0 },
    stop() {
      stopping ??= (async () => {
        // HAProxy's load and model servers go first: they call into the simulator.
        await Promise.all([prometheus?.stop(), haproxy?.stop(), flagService?.stop()]);
        await shutdownServing();
      })();
      return stopping;
    },
  };
}
