// The `rollgate` deployment backend: Rollgate's own deployment contract (docs/deployment-api.yaml)
// through {@link DeploymentClient}. One backend per file; see ./index.ts for how one is chosen.
import { DeploymentClient, type ServiceState } from '../../endpoints/deployment';
import { isEndpointError } from '../../endpoints/errors';
import type { ModelVersion } from '../../plan/schema';
import { clearDevFaults, injectDevFault, isLoopbackUrl, listDevFaults } from '../drill';
import type { MirrorTarget, MutationOptions, TrafficControl, TrafficState } from '../ports';
import type { DeploymentBackend, DeploymentBackendContext } from './types';

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
  const transient = error.kind === 'timeout' || error.kind === 'unreachable' || (error.kind === 'http' && error.status !== undefined && (error.status >= 500 || error.status === 429 || error.status === 408));
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
      await this.client.registerVersion({ version: version.version, artifact: version.artifact, digest: version.digest }, { idempotencyKey: `${options.idempotencyKey}:register:${version.version}` });
    }
    this.registered = true;
  }
}

/**
 * The `rollgate` backend: a deployment client for the plan's service, and a second one without
 * retries for rollbacks (the rollback sender retries them itself). Drills can inject faults
 * through `rollgate dev`'s fault API when the endpoint is on this machine.
 */
export const rollgateBackend = (context: DeploymentBackendContext): DeploymentBackend => {
  const { plan, token, timeoutMs } = context;
  const endpoint = plan.endpoints.deployment;
  const options = { baseUrl: endpoint.url, service: plan.metadata.service, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
  const client = new DeploymentClient(options);
  const rollbackClient = new DeploymentClient({ ...options, retries: 0 });
  const target = `${client.baseUrl}/v1/services/${encodeURIComponent(plan.metadata.service)}`;
  return {
    traffic: new DeploymentTraffic(client, { candidate: plan.model.candidate, baseline: plan.model.baseline }, rollbackClient),
    target,
    rollbackRequest: () => `POST ${target}/rollback`,
    ledger: { type: 'rollgate', url: target },
    reportsDigests: true,
    async readService(signal) {
      const state = await client.getService(signal ? { signal } : {});
      return {
        versions: state.versions.map((version) => ({ version: version.version, weight: version.weight, mirror: version.mirror, digest: version.digest, artifact: version.artifact })),
        stable: state.stable,
        phase: state.phase,
        updatedAt: state.updatedAt,
      };
    },
    ...(isLoopbackUrl(endpoint.url)
      ? {
          faults: {
            inject: (fault) => injectDevFault(endpoint.url, token, fault),
            clear: () => clearDevFaults(endpoint.url, token),
            list: () => listDevFaults(endpoint.url, token),
          },
        }
      : {}),
  };
};
