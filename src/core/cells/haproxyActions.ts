// Runbook `rollout` cells on a plan whose deployment backend is HAProxy: status, set-traffic,
// promote and rollback through its runtime API (one `set weight` line each); pause and resume do
// not exist there. The confirmation and the ledger show the socket and the exact command.
import { HaproxyTraffic } from '../backends/haproxy/traffic';
import { weightsForShares } from '../backends/haproxy/weights';
import type { DeploymentEndpoint, Plan } from '../plan/schema';
import { parseDuration } from '../plan/schema';
import type { DeploymentActions, DeploymentCall } from './types';

type HaproxyDeployment = Extract<DeploymentEndpoint, { type: 'haproxy' }>;

/** The plan's HAProxy backend as {@link DeploymentActions}. */
export function haproxyDeploymentActions(plan: Plan): DeploymentActions {
  const endpoint = plan.endpoints.deployment as HaproxyDeployment;
  const timeoutMs = endpoint.timeout ? parseDuration(endpoint.timeout) : undefined;
  let connected: HaproxyTraffic | undefined;
  // Built at the first call, so a runbook whose plan has a broken address still opens.
  const haproxy = () => (connected ??= new HaproxyTraffic({ url: endpoint.url, backend: endpoint.backend, servers: endpoint.servers, ...(timeoutMs ? { timeoutMs } : {}) }));
  const line = (weights: Record<string, number>): string => {
    const plan = weightsForShares(Object.fromEntries(Object.keys(endpoint.servers).map((version) => [version, weights[version] ?? 0])));
    if ('problem' in plan) return `(not sent: ${plan.problem})`;
    const commands = Object.entries(plan.weights).map(([version, weight]) => `set weight ${endpoint.backend}/${endpoint.servers[version]} ${weight}`);
    return `${commands.join('; ')}, and weight 0 for every other server of ${endpoint.backend}`;
  };
  return {
    baseUrl: endpoint.url,
    service: plan.metadata.service,
    async getService(options) {
      const reading = await haproxy().read(options.signal);
      return {
        socket: endpoint.url,
        backend: endpoint.backend,
        versions: reading.servers
          .filter((server) => Object.values(endpoint.servers).includes(server.name))
          .map((server) => {
            const version = Object.keys(endpoint.servers).find((candidate) => endpoint.servers[candidate] === server.name)!;
            const down = reading.unavailable[version];
            return { version, server: server.name, weight: server.weight, share: reading.shares[version] ?? 0, state: down ? `not taking traffic: ${down}` : 'up' };
          }),
        unplanned: reading.unplanned,
      };
    },
    async setTraffic(weights, mirror, options) {
      if (mirror && Object.values(mirror).some((percent) => percent > 0)) throw new Error(`HAProxy has no native mirroring; nothing was sent to ${endpoint.url}.`);
      const change = await haproxy().setShares(weights, options.signal);
      return { sent: change.line, socket: endpoint.url, weights: change.weights, zeroed: change.zeroed };
    },
    async rollback(to, _reason, options) {
      const change = await haproxy().rollback(to, options.signal);
      return { sent: change.line, socket: endpoint.url, weights: change.weights, zeroed: change.zeroed };
    },
    describe(call: DeploymentCall) {
      switch (call.action) {
        case 'status':
          return { method: 'HAPROXY', url: endpoint.url, body: `show servers state ${endpoint.backend}` };
        case 'set-traffic':
          return { method: 'HAPROXY', url: endpoint.url, body: line(call.weights) };
        case 'rollback':
          return { method: 'HAPROXY', url: endpoint.url, body: line({ [call.to]: 100 }) };
      }
    },
  };
}
