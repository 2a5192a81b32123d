import { errorMessage } from '../errors';
import type { Plan } from '../plan/schema';
import type { RolloutEngine } from './engine';
import type { RolloutEvent } from './events';
import type { TrafficState } from './ports';
import type { RolloutSnapshot } from './state';
import { parseDuration } from '../plan/schema';

/** A fault for `rollgate dev`'s `POST /v1/faults`. */
export interface DevFault {
  version: string;
  errorRate?: number;
  latencyMs?: number;
}

/** Injects a fault through the `rollgate dev` fault API (same base URL and token as the deployment endpoint). */
export async function injectDevFault(deploymentUrl: string, token: string | undefined, fault: DevFault, signal?: AbortSignal): Promise<void> {
  await devFaultCall(deploymentUrl, token, 'POST', fault, signal);
}

/** Clears every fault of a `rollgate dev` stack. */
export async function clearDevFaults(deploymentUrl: string, token: string | undefined, signal?: AbortSignal): Promise<void> {
  await devFaultCall(deploymentUrl, token, 'DELETE', undefined, signal);
}

/** The faults a `rollgate dev` stack has on now. */
export async function listDevFaults(deploymentUrl: string, token: string | undefined, signal?: AbortSignal): Promise<DevFault[]> {
  const answer = (await devFaultCall(deploymentUrl, token, 'GET', undefined, signal)) as { faults?: unknown } | undefined;
  return Array.isArray(answer?.faults) ? (answer.faults as DevFault[]) : [];
}

/** `42 error rate 100%, 41 +300 ms`: faults in words. */
export function describeDevFaults(faults: DevFault[]): string {
  return faults.map((fault) => [fault.version, fault.errorRate ? `error rate ${Math.round(fault.errorRate * 100)}%` : '', fault.latencyMs ? `+${fault.latencyMs} ms` : ''].filter(Boolean).join(' ')).join(', ');
}

async function devFaultCall(baseUrl: string, token: string | undefined, method: 'GET' | 'POST' | 'DELETE', body: unknown, signal?: AbortSignal): Promise<unknown> {
  const url = new URL('v1/faults', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
  if (!response.ok) {
    const text = (await response.text()).slice(0, 300);
    throw new Error(`fault API ${method} ${url} answered ${response.status}${text ? `: ${token ? text.split(token).join('[redacted]') : text}` : ''}. Is this a rollgate dev endpoint?`);
  }
  return response.json().catch(() => undefined);
}

/** True when a URL points at this machine (drills only run against `rollgate dev`); a unix socket always does. */
export function isLoopbackUrl(url: string): boolean {
  if (url.startsWith('unix://')) return true;
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

/** The stage a drill injects its fault in: the named one, else the first live-traffic stage with guardrails. */
export function pickDrillStage(plan: Plan, name?: string): string | undefined {
  if (name !== undefined) return plan.stages.some((stage) => stage.name === name) ? name : undefined;
  const gated = plan.stages.filter((stage) => (stage.guardrails?.length ?? 0) > 0 && stage.kind !== 'offline');
  return (gated.find((stage) => (stage.traffic ?? 0) > 0) ?? gated[0])?.name;
}

/**
 * The time a drill's fault-to-rollback may take: the longest guardrail interval × failureLimit in
 * the stage (the breach needs that many failed measurements), plus one scrape interval (the fault
 * must reach Prometheus), plus 500 ms for the rollback call.
 */
export function drillBoundMs(plan: Plan, stageName: string, scrapeIntervalMs: number): number {
  const stage = plan.stages.find((candidate) => candidate.name === stageName);
  // A breach needs failureLimit consecutive failed measurements, one interval apart.
  const detection = (stage?.guardrails ?? []).map((name) => {
    const guardrail = plan.guardrails.find((candidate) => candidate.name === name);
    return guardrail ? (parseDuration(guardrail.interval) ?? 30_000) * guardrail.failureLimit : 0;
  });
  return Math.max(0, ...detection) + scrapeIntervalMs + 500;
}

export interface DrillOptions {
  engine: RolloutEngine;
  /** Stage whose first healthy measurement triggers the fault. */
  stage: string;
  injectFault: () => Promise<void>;
  /** Reads the deployment endpoint (the proof of a completed rollback). */
  readTraffic: () => Promise<TrafficState>;
  /** The version that must end at 100 percent. */
  rollbackTo: string;
  /** How often the endpoint is polled after the fault. Default 20 ms. */
  pollIntervalMs?: number;
  now?: () => number;
}

export interface DrillResult {
  snapshot: RolloutSnapshot;
  /** True when the fault was injected (the stage was reached). */
  injected: boolean;
  /** Milliseconds from the fault to the engine's breach decision. */
  faultToBreachMs?: number;
  /** Milliseconds from the fault to the engine's completed rollback call. */
  faultToRollbackCallMs?: number;
  /** Milliseconds from the fault to the deployment endpoint reporting `rollbackTo` at 100 percent. */
  faultToRollbackMs?: number;
  error?: string;
}

/**
 * Runs a rollout as a drill: injects the fault once the chosen stage has baked healthily (its
 * first passing measurement with data) and measures until the deployment endpoint itself reports the rollback target at 100 percent.
 */
export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const now = options.now ?? (() => performance.now());
  let faultAt: number | undefined;
  let breachAt: number | undefined;
  let rolledBackAt: number | undefined;
  let injection: Promise<void> | undefined;
  let injectionError: string | undefined;
  let endpointAt: Promise<number | undefined> | undefined;
  let stopPolling = false;

  const pollEndpoint = async (): Promise<number | undefined> => {
    for (;;) {
      if (stopPolling) return undefined;
      try {
        const traffic = await options.readTraffic();
        if (traffic.weights[options.rollbackTo] === 100) return now();
      } catch {
        // A transient read failure just delays the observation.
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 20));
    }
  };

  const unsubscribe = options.engine.onEvent((event: RolloutEvent) => {
    // The fault strikes a healthy stage: after its first measurement that had data and passed.
    const healthy = event.kind === 'measured' && event.measurement?.outcome === 'pass' && !event.measurement.noData;
    if (healthy && event.stage === options.stage && injection === undefined) {
      injection = options.injectFault().then(
        () => {
          faultAt = now();
          endpointAt = pollEndpoint();
        },
        (error: unknown) => {
          injectionError = errorMessage(error);
          void options.engine.pause(`drill: could not inject the fault: ${injectionError}`);
        },
      );
    }
    if (event.kind === 'breach' && breachAt === undefined) breachAt = now();
    // With feature flags, the traffic call completes before the flags are restored and recorded.
    if ((event.kind === 'rolled-back' || event.kind === 'rollback-traffic-done') && rolledBackAt === undefined) rolledBackAt = now();
  });
  try {
    const snapshot = await options.engine.run();
    await injection;
    let endpointTime: number | undefined;
    if (endpointAt) {
      if (snapshot.status !== 'rolled-back') stopPolling = true;
      endpointTime = await endpointAt;
    }
    const since = (time: number | undefined) => (time !== undefined && faultAt !== undefined ? Math.max(0, time - faultAt) : undefined);
    const result: DrillResult = { snapshot, injected: faultAt !== undefined };
    const breach = since(breachAt);
    const call = since(rolledBackAt);
    const endpoint = since(endpointTime);
    if (breach !== undefined) result.faultToBreachMs = breach;
    if (call !== undefined) result.faultToRollbackCallMs = call;
    if (endpoint !== undefined) result.faultToRollbackMs = endpoint;
    if (injectionError) result.error = injectionError;
    return result;
  } finally {
    stopPolling = true;
    unsubscribe();
  }
}
