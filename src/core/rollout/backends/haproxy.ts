// The `haproxy` deployment backend: a real HAProxy's runtime API (`set weight`, `show servers
// state`) through {@link HaproxyTraffic}. One backend per file; see ./index.ts for how one is
// chosen, and docs/backends.md for what it maps and what it cannot do.
import { isLoopbackAddress } from '../../backends/haproxy/address';
import { HaproxyError } from '../../backends/haproxy/errors';
import { HaproxyTraffic } from '../../backends/haproxy/traffic';
import type { DeploymentEndpoint } from '../../plan/schema';
import type { DevFault } from '../drill';
import type { MirrorTarget, MutationOptions, TrafficChangeReport, TrafficControl, TrafficState } from '../ports';
import type { DeploymentBackend, DeploymentBackendContext, DrillFaults } from './types';

type HaproxyDeployment = Extract<DeploymentEndpoint, { type: 'haproxy' }>;

/** How a server the plan does not name appears in a traffic state: `unplanned:v40`. */
export const UNPLANNED_PREFIX = 'unplanned:';

/**
 * The engine's {@link TrafficControl} over HAProxy: percentages per version become server
 * weights, each change and each rollback one runtime API line. The state it reads includes the
 * backend's servers the plan does not name when they get traffic, so a change made outside the
 * rollout (by hand, by a reload) is seen by the engine's check.
 */
export class HaproxyTrafficControl implements TrafficControl {
  constructor(readonly haproxy: HaproxyTraffic) {}

  async getState(signal?: AbortSignal): Promise<TrafficState> {
    const reading = await this.haproxy.read(signal);
    const weights: Record<string, number> = {};
    for (const [version, share] of Object.entries(reading.shares)) if (share > 0) weights[version] = share;
    for (const server of reading.unplanned) if (server.share > 0) weights[`${UNPLANNED_PREFIX}${server.server}`] = server.share;
    return { weights };
  }

  /** Sends the split as one line; the report names the backend's servers the plan does not name, held at 0. */
  async setTraffic(weights: Record<string, number>, mirror: MirrorTarget | undefined, options: MutationOptions): Promise<TrafficChangeReport> {
    if (mirror && mirror.percent > 0) {
      // The validator refuses shadow stages for HAProxy; a call that still asks must not half-happen.
      throw new HaproxyError(`HAProxy has no native mirroring, so ${mirror.percent}% of traffic cannot be copied to ${mirror.version}; nothing was sent to ${this.haproxy.socket}.`, {
        kind: 'rejected',
        socket: this.haproxy.socket,
        backend: this.haproxy.backend,
        sent: false,
      });
    }
    const change = await this.haproxy.setShares(weights, options.signal);
    if (change.zeroed.length === 0) return {};
    const servers = change.zeroed.map((server) => (server.from > 0 ? `${server.server} (was ${server.from})` : server.server)).join(', ');
    return { note: `servers of HAProxy backend ${this.haproxy.backend} the plan does not name held at weight 0: ${servers}` };
  }

  /** One attempt: `set weight` takes absolute weights, so the sender's retry repeats it safely. */
  async rollback(to: string, _reason: string, options: MutationOptions): Promise<void> {
    await this.haproxy.rollback(to, options.signal);
  }
}

/**
 * Drill faults for `rollgate dev` behind HAProxy: each dev model server takes a fault for its own
 * version at `/v1/faults`, and HAProxy's `show servers state` says where the servers listen. Only
 * servers on this machine are touched.
 */
function devModelServerFaults(haproxy: HaproxyTraffic): DrillFaults {
  const faultUrl = async (version: string): Promise<string> => {
    const name = haproxy.servers[version];
    const server = (await haproxy.runtime.servers()).find((candidate) => candidate.name === name);
    if (!server || server.port === undefined) throw new Error(`HAProxy backend ${haproxy.backend} has no server ${name ?? '(none)'} for version ${version} with an address`);
    if (!/^(?:127(?:\.\d{1,3}){3}|::1|localhost)$/.test(server.address)) {
      throw new Error(`server ${haproxy.backend}/${name} of version ${version} listens on ${server.address}, not on this machine: a drill injects faults only into rollgate dev's model servers`);
    }
    return `http://${server.address.includes(':') ? `[${server.address}]` : server.address}:${server.port}/v1/faults`;
  };
  const call = async (version: string, method: 'POST' | 'DELETE', fault?: DevFault): Promise<void> => {
    const url = await faultUrl(version);
    const body = fault ? JSON.stringify({ ...(fault.errorRate !== undefined ? { errorRate: fault.errorRate } : {}), ...(fault.latencyMs !== undefined ? { latencyMs: fault.latencyMs } : {}) }) : undefined;
    const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body } : {}) });
    if (!response.ok) {
      const text = (await response.text()).slice(0, 300);
      throw new Error(`fault API ${method} ${url} answered ${response.status}${text ? `: ${text}` : ''}. Is this a rollgate dev model server (started without --token-env)?`);
    }
  };
  return {
    inject: (fault) => call(fault.version, 'POST', fault),
    clear: async () => {
      await Promise.all(Object.keys(haproxy.servers).map((version) => call(version, 'DELETE')));
    },
  };
}

/** The `haproxy` backend: the plan's socket, backend and version -> server map. */
export const haproxyBackend = (context: DeploymentBackendContext): DeploymentBackend => {
  const endpoint = context.plan.endpoints.deployment as HaproxyDeployment;
  const haproxy = new HaproxyTraffic({ url: endpoint.url, backend: endpoint.backend, servers: endpoint.servers, ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}) });
  return {
    traffic: new HaproxyTrafficControl(haproxy),
    target: `backend ${endpoint.backend} on the HAProxy runtime API ${endpoint.url}`,
    // The plan's target or `rollgate rollback --to`'s: the one line HaproxyTraffic.rollback sends.
    rollbackRequest: (to) =>
      to in endpoint.servers
        ? `"${Object.entries(endpoint.servers)
            .map(([version, server]) => `set weight ${endpoint.backend}/${server} ${version === to ? 100 : 0}`)
            .join('; ')}" (and weight 0 for the backend's other servers) on the HAProxy runtime API ${endpoint.url}`
        : `nothing: version ${to} has no server in endpoints.deployment.servers of backend ${endpoint.backend} on ${endpoint.url}`,
    ledger: { type: 'haproxy', socket: endpoint.url, backend: endpoint.backend, servers: { ...endpoint.servers } },
    ...(isLoopbackAddress(haproxy.runtime.address) ? { faults: devModelServerFaults(haproxy) } : {}),
  };
};
