import { DeploymentClient, PrometheusClient, type PromResult } from '../endpoints/index';
import type { FlagTarget } from '../flags/changes';
import type { FlagProviderCapabilities, FlagState } from '../flags/provider';
import { flagProviderCapabilities } from '../flags/capabilities';
import { createFlagProvider, describeFlagEndpoint } from '../flags/providers';
import { flagsNotConnected, targetsNotSent } from '../flags/recorded';
import { RolloutFlags, type FlagStepResult } from '../flags/rolloutFlags';
import type { Plan, PlanFlag } from '../plan/schema';
import { parseDuration } from '../plan/schema';
import { haproxyDeploymentActions } from './haproxyActions';
import { DigestMismatchError, digestMismatches, versionsGivenTraffic } from '../rollout/digestCheck';
import type { DeploymentActions, MetricQuery, MetricSample, MetricSeries } from './types';

function toSamples(result: PromResult): MetricSample[] {
  switch (result.resultType) {
    case 'vector':
      return result.samples.map((sample) => ({ labels: sample.metric, timestamp: sample.time, value: sample.value }));
    case 'scalar':
      return [{ labels: {}, timestamp: result.time, value: result.value }];
    case 'matrix':
      return result.series.flatMap((series) => {
        const last = series.points[series.points.length - 1];
        return last ? [{ labels: series.metric, timestamp: last.time, value: last.value }] : [];
      });
    case 'string':
      return [{ labels: { string: result.value }, timestamp: result.time, value: Number.NaN }];
  }
}

function toSeries(result: PromResult): MetricSeries[] {
  if (result.resultType === 'matrix') {
    return result.series.map((series) => ({ labels: series.metric, points: series.points.map((point) => ({ timestamp: point.time, value: point.value })) }));
  }
  return toSamples(result).map((sample) => ({ labels: sample.labels, points: [{ timestamp: sample.timestamp, value: sample.value }] }));
}

/** Resolves a plan's token reference at send time (registering it for redaction). */
export type SecretLookup = (name: string) => Promise<string>;

function timeoutOf(endpoint: { timeout?: string | undefined }): number | undefined {
  return endpoint.timeout ? parseDuration(endpoint.timeout) : undefined;
}

/** The plan's metric endpoint as a {@link MetricQuery}, over Rollgate's Prometheus client. */
export function planMetricQuery(plan: Plan, secret: SecretLookup): MetricQuery {
  const endpoint = plan.endpoints.metrics;
  let client: Promise<PrometheusClient> | undefined;
  // The token is looked up at the first query, never when the runbook is merely opened.
  const connect = () =>
    (client ??= (async () => {
      const token = endpoint.token ? await secret(endpoint.token.secret) : undefined;
      const timeoutMs = timeoutOf(endpoint);
      return new PrometheusClient({ baseUrl: endpoint.url, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    })());
  return {
    baseUrl: endpoint.url,
    async instant(query, options) {
      const response = await (await connect()).query(query, options.time, options.signal ? { signal: options.signal } : {});
      return toSamples(response.result);
    },
    async range(query, window, options) {
      const response = await (await connect()).queryRange(query, window.start, window.end, window.stepSeconds, options.signal ? { signal: options.signal } : {});
      return toSeries(response.result);
    },
  };
}

/** The plan's deployment endpoint, bound to its service, as {@link DeploymentActions}. */
export function planDeploymentActions(plan: Plan, secret: SecretLookup): DeploymentActions {
  const endpoint = plan.endpoints.deployment;
  if (endpoint.type === 'haproxy') return haproxyDeploymentActions(plan);
  let client: Promise<DeploymentClient> | undefined;
  const connect = () =>
    (client ??= (async () => {
      const token = endpoint.token ? await secret(endpoint.token.secret) : undefined;
      const timeoutMs = timeoutOf(endpoint);
      return new DeploymentClient({ baseUrl: endpoint.url, service: plan.metadata.service, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
    })());
  return {
    baseUrl: endpoint.url,
    service: plan.metadata.service,
    async getService(options) {
      return (await connect()).getService(options);
    },
    async setTraffic(weights, mirror, options) {
      const client = await connect();
      // As in a rollout: traffic moves only to the artifacts the plan declares.
      const live = await client.getService(options.signal ? { signal: options.signal } : {});
      const mismatches = digestMismatches(plan, { versions: live.versions }, versionsGivenTraffic(weights, mirror));
      if (mismatches.length > 0) throw new DigestMismatchError(mismatches);
      return client.setTraffic(weights, mirror, options);
    },
    async rollback(to, reason, options) {
      return (await connect()).rollback(to, reason, options);
    },
    async pause(reason, options) {
      return (await connect()).pause(reason ?? 'paused from a runbook', options);
    },
    async resume(_reason, options) {
      return (await connect()).resume(options);
    },
  };
}

/** The plan's feature flags on their flag service, as runbook cells act on them. */
export interface FlagActions {
  /** `Unleash http://… (project default, environment production)`. */
  readonly where: string;
  /** The flag resource a change of `flag` goes to, for the request a cell shows and records. */
  resourceUrl(flag: string): string;
  readonly flags: readonly PlanFlag[];
  readonly capabilities: FlagProviderCapabilities;
  /** One change a person asked for, retried like a rollout's (never throws: failures are in the result). */
  set(target: FlagTarget): Promise<FlagStepResult>;
  /** After a rollback: the plan's flags as their `onRollback` says, from the state the last rollout recorded. */
  restore(): Promise<FlagStepResult>;
}

/**
 * The plan's flag service as {@link FlagActions}, when the plan lists flags. The token is looked up
 * at the first change; a token that is not set fails the flag changes (with what to set by hand),
 * never a rollback's traffic.
 */
export function planFlagActions(plan: Plan, secret: SecretLookup, recordedFlags?: () => Promise<Record<string, FlagState> | undefined>): FlagActions | undefined {
  const endpoint = plan.endpoints.flags;
  const flags = plan.flags;
  if (!endpoint || !flags?.length) return undefined;
  const where = describeFlagEndpoint(endpoint);
  let connected: Promise<RolloutFlags> | undefined;
  const connect = () =>
    (connected ??= (async () => {
      const token = await secret(endpoint.token.secret);
      const timeoutMs = timeoutOf(endpoint);
      return new RolloutFlags(createFlagProvider(endpoint, { token, retries: 0, ...(timeoutMs ? { timeoutMs } : {}) }), flags);
    })());
  const recorded = async () => (recordedFlags ? await recordedFlags().catch(() => undefined) : undefined);
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
  const here = { describe: () => where };
  return {
    where,
    resourceUrl: (flag) => `${endpoint.url.replace(/\/+$/, '')}/api/admin/projects/${encodeURIComponent(endpoint.project)}/features/${encodeURIComponent(flag)}/environments/${encodeURIComponent(endpoint.environment)}`,
    flags,
    capabilities: flagProviderCapabilities[endpoint.type],
    async set(target) {
      try {
        return await (await connect()).set(target);
      } catch (error) {
        // Only connecting throws (a token not set): try again next time.
        connected = undefined;
        return targetsNotSent([target], here, message(error));
      }
    },
    async restore() {
      const states = await recorded();
      try {
        return await (await connect()).rollback(states);
      } catch (error) {
        connected = undefined;
        return flagsNotConnected(flags, states, here, message(error));
      }
    },
  };
}
