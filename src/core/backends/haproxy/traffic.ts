import { HaproxyRuntimeClient, type HaproxyRuntimeOptions, type WeightUpdate } from './client';
import { HaproxyError } from './errors';
import { serverUnavailability, type HaproxyServerState } from './serversState';
import { sharesFromWeights, weightsForShares } from './weights';

export interface HaproxyTrafficOptions extends HaproxyRuntimeOptions {
  /** Model version -> server name in the backend (the plan's `endpoints.deployment.servers`). */
  servers: Readonly<Record<string, string>>;
}

/** A server of the backend the plan does not name. */
export interface UnplannedServer {
  server: string;
  weight: number;
  /** Percent of traffic it receives now (its weight's share of all weights). */
  share: number;
}

/** What HAProxy serves, in the plan's terms. */
export interface HaproxyTrafficReading {
  /** Percent of live traffic per model version (every version of the plan, 0 included). */
  shares: Record<string, number>;
  /** Weight per model version. */
  weights: Record<string, number>;
  /** Servers the plan does not name, with their weight and share. */
  unplanned: UnplannedServer[];
  /** Versions whose server HAProxy would not send requests to now, and why. */
  unavailable: Record<string, string>;
  servers: HaproxyServerState[];
}

/** One traffic change as sent: the percentages asked for, the weights and the one line. */
export interface HaproxyTrafficChange extends WeightUpdate {
  shares: Record<string, number>;
  weights: Record<string, number>;
}

/**
 * Model traffic on HAProxy: versions map to the servers of one backend, percentages to
 * weights that split exactly (see {@link weightsForShares}). A change or a rollback is one
 * `set weight` line that also holds every server the plan does not name at 0.
 */
export class HaproxyTraffic {
  readonly runtime: HaproxyRuntimeClient;
  readonly servers: Readonly<Record<string, string>>;
  readonly #versionOf: Map<string, string>;

  constructor(options: HaproxyTrafficOptions) {
    this.runtime = new HaproxyRuntimeClient(options);
    this.servers = { ...options.servers };
    this.#versionOf = new Map(Object.entries(this.servers).map(([version, server]) => [server, version]));
  }

  get socket(): string {
    return this.runtime.address.url;
  }

  get backend(): string {
    return this.runtime.backend;
  }

  /** Reads the backend's weights (`show servers state`) and expresses them per version. */
  async read(signal?: AbortSignal): Promise<HaproxyTrafficReading> {
    const servers = await this.runtime.servers(signal);
    const byName = new Map(servers.map((server) => [server.name, server]));
    const missing = Object.entries(this.servers).filter(([, server]) => !byName.has(server));
    if (missing.length > 0) {
      const [version, server] = missing[0]!;
      throw new HaproxyError(
        `Backend ${this.backend} of HAProxy at ${this.socket} has no server "${server}" (endpoints.deployment.servers["${version}"]). Its servers: ${servers.map((candidate) => candidate.name).join(', ') || 'none'}.`,
        { kind: 'unknown-server', socket: this.socket, backend: this.backend, server, sent: false },
      );
    }
    const allWeights = Object.fromEntries(servers.map((server) => [server.name, server.weight]));
    const allShares = sharesFromWeights(allWeights);
    const weights: Record<string, number> = {};
    const shares: Record<string, number> = {};
    const unavailable: Record<string, string> = {};
    for (const [version, serverName] of Object.entries(this.servers)) {
      const server = byName.get(serverName)!;
      weights[version] = server.weight;
      shares[version] = allShares[serverName] ?? 0;
      const why = serverUnavailability(server);
      if (why) unavailable[version] = why;
    }
    const unplanned = servers.filter((server) => !this.#versionOf.has(server.name)).map((server) => ({ server: server.name, weight: server.weight, share: allShares[server.name] ?? 0 }));
    return { shares, weights, unplanned, unavailable, servers };
  }

  /**
   * Sends the given percentages per version (summing to 100) as one line. Refuses before sending
   * a version the plan maps to no server, a split whole weights cannot express exactly, and
   * traffic for a server HAProxy reports down (`server-down`, naming it).
   */
  async setShares(shares: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<HaproxyTrafficChange> {
    for (const version of Object.keys(shares)) {
      if (!(version in this.servers)) {
        throw new HaproxyError(
          `Version ${version} has no server in endpoints.deployment.servers (it maps ${Object.entries(this.servers)
            .map(([known, server]) => `${known} -> ${server}`)
            .join(', ')}); nothing was sent to ${this.socket}.`,
          { kind: 'unknown-server', socket: this.socket, backend: this.backend, sent: false },
        );
      }
    }
    // Versions of the plan not given a share get 0, like the backend's other servers.
    const complete: Record<string, number> = Object.fromEntries(Object.keys(this.servers).map((version) => [version, shares[version] ?? 0]));
    const plan = weightsForShares(complete);
    if ('problem' in plan) {
      throw new HaproxyError(`Cannot set this split on HAProxy: ${plan.problem}. Nothing was sent to ${this.socket}.`, { kind: 'not-exact', socket: this.socket, backend: this.backend, sent: false });
    }
    const serverWeights = Object.fromEntries(Object.entries(plan.weights).map(([version, weight]) => [this.servers[version]!, weight]));
    const update = await this.runtime.setWeights(serverWeights, signal);
    return { ...update, shares: complete, weights: plan.weights };
  }

  /**
   * Sends all traffic to `to` in one line. A target HAProxy reports down is refused loudly, with
   * what to do by hand: sending every request to a server that cannot answer would turn a bad
   * canary into a full outage.
   */
  async rollback(to: string, signal?: AbortSignal): Promise<HaproxyTrafficChange> {
    const server = this.servers[to];
    if (server === undefined) {
      throw new HaproxyError(`Cannot roll back to version ${to}: endpoints.deployment.servers maps no server to it; nothing was sent to ${this.socket}.`, {
        kind: 'unknown-server',
        socket: this.socket,
        backend: this.backend,
        sent: false,
      });
    }
    try {
      return await this.setShares({ [to]: 100 }, signal);
    } catch (error) {
      if (error instanceof HaproxyError && error.kind === 'server-down') {
        const lines = Object.keys(this.servers).map((version) => `set weight ${this.backend}/${this.servers[version]} ${version === to ? 100 : 0}`);
        throw new HaproxyError(
          `ROLLBACK REFUSED: HAProxy reports ${this.backend}/${server} ${error.reason ?? 'down'}. Sending all traffic to version ${to} would fail every request, so traffic was left as it is. By hand: bring ${this.backend}/${server} back (fix the model server, or \`set server ${this.backend}/${server} state ready\` if it is in maintenance), then roll back again, or send the weights you choose yourself: echo "${lines.join('; ')}" | ${socatCommand(this.runtime.address)}`,
          { kind: 'server-down', socket: this.socket, backend: this.backend, server, sent: false, ...(error.reason ? { reason: error.reason } : {}), cause: error },
        );
      }
      throw error;
    }
  }
}

function socatCommand(address: HaproxyRuntimeClient['address']): string {
  return address.kind === 'tcp' ? `socat stdio tcp:${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}` : `socat stdio unix-connect:${address.path}`;
}
