import type { DeploymentClient, ServiceState } from '../endpoints/deployment';
import { isEndpointError } from '../endpoints/errors';
import type { PrometheusClient } from '../endpoints/prometheus';
import type { MetricReading, MetricSource } from '../guardrails/evaluate';
import type { Ledger } from '../ledger/ledger';
import type { JsonValue, LedgerEntryInput, LedgerEvidence, LedgerTraffic } from '../ledger/types';
import type { ModelVersion } from '../plan/schema';
import type { ChangeEntry, ChangeLog, MirrorTarget, MutationOptions, TrafficControl, TrafficState } from './ports';

/** Reads the weights and mirror out of a deployment endpoint's service state. */
export function trafficFromService(service: ServiceState): TrafficState {
  const weights: Record<string, number> = {};
  let mirror: MirrorTarget | undefined;
  for (const version of service.versions) {
    if (version.weight > 0) weights[version.version] = version.weight;
    if (version.mirror > 0 && (!mirror || version.mirror > mirror.percent)) mirror = { version: version.version, percent: version.mirror };
  }
  return mirror ? { weights, mirror } : { weights };
}

/**
 * Marks endpoint errors for the engine's rollback retries: timeouts, refused connections, 5xx
 * and 429 are transient; other answers (401, 404, 422, ...) are permanent: repeating them
 * cannot help.
 */
function classify(error: unknown): unknown {
  if (!isEndpointError(error)) return error;
  const transient =
    error.kind === 'timeout' ||
    error.kind === 'unreachable' ||
    (error.kind === 'http' && error.status !== undefined && (error.status >= 500 || error.status === 429 || error.status === 408));
  return Object.assign(error, { transient });
}

/**
 * The engine's {@link TrafficControl} over the real {@link DeploymentClient}. Registers the
 * candidate (and baseline) with the endpoint before the first traffic change if it does not
 * know them yet, and always sends the mirror, so a shadow stage's mirror is cleared afterwards.
 */
export class DeploymentTraffic implements TrafficControl {
  private registered = false;

  /**
   * @param rollbackClient a client for the rollback call, best created with `retries: 0`: the
   *   engine retries rollbacks itself and reports every attempt, and two nested retry loops would
   *   delay the loud report of a rollback that cannot complete. Defaults to `client`.
   */
  constructor(
    private readonly client: DeploymentClient,
    private readonly versions: { candidate: ModelVersion; baseline: ModelVersion },
    private readonly rollbackClient: DeploymentClient = client,
  ) {}

  async getState(signal?: AbortSignal): Promise<TrafficState> {
    return trafficFromService(await this.client.getService(signal ? { signal } : {}));
  }

  async setTraffic(weights: Record<string, number>, mirror: MirrorTarget | undefined, options: MutationOptions): Promise<void> {
    try {
      await this.ensureRegistered(options);
      const mirrors = mirror ? { [mirror.version]: mirror.percent } : {};
      await this.client.setTraffic(weights, mirrors, { idempotencyKey: options.idempotencyKey, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      throw classify(error);
    }
  }

  async rollback(to: string, reason: string, options: MutationOptions): Promise<void> {
    try {
      await this.rollbackClient.rollback(to, reason, { idempotencyKey: options.idempotencyKey, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      throw classify(error);
    }
  }

  private async ensureRegistered(options: MutationOptions): Promise<void> {
    if (this.registered) return;
    const service = await this.client.getService(options.signal ? { signal: options.signal } : {});
    const known = new Set(service.versions.map((version) => version.version));
    for (const version of [this.versions.baseline, this.versions.candidate]) {
      if (known.has(version.version)) continue;
      await this.client.registerVersion(
        { version: version.version, artifact: version.artifact, digest: version.digest },
        { idempotencyKey: `${options.idempotencyKey}:register:${version.version}` },
      );
    }
    this.registered = true;
  }
}

/**
 * The engine's {@link MetricSource} over the real {@link PrometheusClient}: an instant query
 * that must return a scalar or exactly one series. No series (or NaN) is "no data"; several
 * series are an error that says how to fix the query.
 */
export class PrometheusMetrics implements MetricSource {
  constructor(private readonly client: PrometheusClient) {}

  async queryScalar(promql: string, signal?: AbortSignal): Promise<MetricReading> {
    let response;
    try {
      response = await this.client.query(promql, undefined, signal ? { signal } : {});
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
    const result = response.result;
    switch (result.resultType) {
      case 'scalar':
        return Number.isNaN(result.value) ? {} : { value: result.value };
      case 'vector': {
        if (result.samples.length === 0) return {};
        if (result.samples.length > 1) {
          return { error: `the query returned ${result.samples.length} series; a guardrail query must return one number (aggregate it, e.g. with sum(...))` };
        }
        const value = result.samples[0]!.value;
        return Number.isNaN(value) ? {} : { value };
      }
      default:
        return { error: `the query returned a ${result.resultType}; a guardrail query must return one number` };
    }
  }
}

function finiteOrNull(value: number | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  return Number.isFinite(value) ? value : null;
}

function ledgerTraffic(traffic: TrafficState | undefined, stage: string | undefined): LedgerTraffic | undefined {
  if (!traffic) return undefined;
  return { weights: { ...traffic.weights }, ...(traffic.mirror ? { mirror: { ...traffic.mirror } } : {}), ...(stage ? { stage } : {}) };
}

/** Maps the engine's change entries onto the hash-chained {@link Ledger}. */
export class LedgerChangeLog implements ChangeLog {
  constructor(private readonly ledger: Ledger) {}

  async append(entry: ChangeEntry): Promise<void> {
    await this.ledger.append(toLedgerEntry(entry));
  }
}

/** The ledger entry for one engine action (exported for the side panel's "what will be recorded"). */
export function toLedgerEntry(entry: ChangeEntry): LedgerEntryInput {
  const evidence: LedgerEvidence[] | undefined = entry.evidence?.map((measurement) => {
    const item: LedgerEvidence = { guardrail: measurement.guardrail, query: measurement.query };
    const value = finiteOrNull(measurement.value);
    item.value = measurement.noData ? null : (value ?? null);
    const baselineValue = finiteOrNull(measurement.baselineValue);
    if (baselineValue !== undefined) item.baselineValue = baselineValue;
    const { min, max, maxRatio } = measurement.bound;
    item.bound = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(maxRatio !== undefined ? { maxRatio } : {}) };
    if (measurement.outcome !== 'skipped') item.outcome = measurement.noData && measurement.outcome !== 'inconclusive' ? 'no-data' : measurement.outcome;
    return item;
  });
  const details: { [key: string]: JsonValue } = { outcome: entry.outcome };
  if (entry.stage) details.stage = entry.stage;
  if (entry.evidence?.length) {
    // What the ledger's evidence type has no field for: reasons, ratios, dryRun flags, minRatio.
    details.measurements = entry.evidence.map((measurement) => ({
      guardrail: measurement.guardrail,
      reason: measurement.reason,
      at: measurement.at,
      dryRun: measurement.dryRun,
      ...(measurement.ratio !== undefined ? { ratio: Number.isFinite(measurement.ratio) ? measurement.ratio : String(measurement.ratio) } : {}),
      ...(measurement.bound.minRatio !== undefined ? { minRatio: measurement.bound.minRatio } : {}),
      ...(measurement.baselineQuery ? { baselineQuery: measurement.baselineQuery } : {}),
      ...(measurement.error ? { error: measurement.error } : {}),
    }));
  }
  const from = ledgerTraffic(entry.from, entry.stage);
  const to = ledgerTraffic(entry.to, entry.stage);
  const { lineage } = entry;
  return {
    actor: entry.actor,
    action: entry.action,
    service: entry.service,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...(evidence ? { evidence } : {}),
    planDigest: entry.planDigest,
    lineage: {
      candidate: { ...lineage.candidate },
      baseline: { ...lineage.baseline },
      ...(lineage.data ? { data: lineage.data as { name: string; snapshot?: string; digest?: string }[] } : {}),
      ...(lineage.features ? { features: lineage.features as { name: string; version?: string }[] } : {}),
      ...(lineage.training ? { training: lineage.training as { run?: string; commit?: string } } : {}),
    },
    runId: entry.runId,
    details,
  };
}
