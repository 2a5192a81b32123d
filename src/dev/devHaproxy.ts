import { Agent, request } from 'node:http';

import { devHaproxyConfig, devServerName } from './haproxyConfig';
import { HaproxyPortInUseError, startHaproxy, type HaproxyProcess } from './haproxyProcess';
import { startLoadGenerator, type LoadGenerator, type LoadStats } from './loadGenerator';
import { startModelServers, type ModelServers } from './modelServers';
import { freePort } from './prometheusProcess';
import type { ModelSimulator } from './simulator';

export interface DevHaproxyOptions {
  bin: string;
  simulator: ModelSimulator;
  backend: string;
  /** The versions and their initial weights (the same as the Rollgate API's at start). */
  versions: Array<{ version: string; weight: number }>;
  /** Frontend, runtime API and exporter ports on 127.0.0.1; 0 picks a free one. */
  port: number;
  apiPort: number;
  metricsPort: number;
  /** Requests per second sent through HAProxy; 0 sends none. */
  requestsPerSecond: number;
  startTimeoutMs?: number;
}

/** The HAProxy part of `rollgate dev`: model servers, HAProxy in front of them, and its load. */
export interface DevHaproxy {
  backend: string;
  /** Model version -> server name, as a plan's `endpoints.deployment.servers` writes it. */
  servers: Record<string, string>;
  /** `POST` predictions here; HAProxy picks a version by its weights. */
  predictUrl: string;
  /** The runtime API (`level admin`) over TCP, and over a unix socket. */
  runtimeUrl: string;
  socketUrl: string;
  /** HAProxy's Prometheus exporter and its `host:port` (what Prometheus scrapes). */
  exporterUrl: string;
  exporterTarget: string;
  pid: number;
  configFile: string;
  loadStats(): LoadStats;
  stop(): Promise<void>;
}

/** The flags that choose each port, named in port-in-use errors. */
const PORT_FLAGS = { port: '--haproxy-port', apiPort: '--haproxy-api-port', metricsPort: '--haproxy-metrics-port' } as const;

/**
 * Starts one HTTP server per version, HAProxy in front of them (runtime API, exporter), and a
 * load generator sending through it. Everything stops on `stop()`; HAProxy runs under the dev
 * watchdog, so it also stops when this process dies.
 */
export async function startDevHaproxy(options: DevHaproxyOptions): Promise<DevHaproxy> {
  const models = await startModelServers(
    options.simulator,
    options.versions.map((entry) => entry.version),
  );
  let haproxy: HaproxyProcess | undefined;
  let ports: { port: number; apiPort: number; metricsPort: number } | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      ports = {
        port: options.port || (await freePort()),
        apiPort: options.apiPort || (await freePort()),
        metricsPort: options.metricsPort || (await freePort()),
      };
      try {
        haproxy = await startOnce(options, models, ports);
        break;
      } catch (error) {
        if (!(error instanceof HaproxyPortInUseError)) throw error;
        // A picked free port can be taken before HAProxy binds it: pick again. A port the user
        // chose stays taken.
        const busy = busyPort(error, ports);
        if (attempt >= 3 || busy === undefined || options[busy] !== 0) throw new Error(portMessage(error, ports, busy));
      }
    }
  } catch (error) {
    await models.close();
    throw error;
  }
  const { port, apiPort, metricsPort } = ports;
  const predictUrl = `http://127.0.0.1:${port}/predict`;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const load: LoadGenerator | undefined = options.requestsPerSecond > 0 ? startLoadGenerator(() => post(predictUrl, agent), options.requestsPerSecond) : undefined;
  const running = haproxy;
  let stopping: Promise<void> | undefined;
  return {
    backend: options.backend,
    servers: Object.fromEntries(options.versions.map(({ version }) => [version, devServerName(version)])),
    predictUrl,
    runtimeUrl: `tcp://127.0.0.1:${apiPort}`,
    socketUrl: `unix://${running.dir}/admin.sock`,
    exporterUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    exporterTarget: `127.0.0.1:${metricsPort}`,
    pid: running.pid,
    configFile: running.configFile,
    loadStats: () => load?.stats() ?? { sent: 0, skipped: 0 },
    stop() {
      stopping ??= (async () => {
        load?.stop();
        agent.destroy();
        await running.stop();
        await models.close();
      })();
      return stopping;
    },
  };
}

function startOnce(options: DevHaproxyOptions, models: ModelServers, ports: { port: number; apiPort: number; metricsPort: number }): Promise<HaproxyProcess> {
  const weights = new Map(options.versions.map((entry) => [entry.version, entry.weight]));
  const config = devHaproxyConfig({
    ...ports,
    backend: options.backend,
    servers: models.servers.map((server) => ({ version: server.version, name: devServerName(server.version), port: server.port, weight: weights.get(server.version) ?? 0 })),
  });
  return startHaproxy({ bin: options.bin, config, runtimeUrl: `tcp://127.0.0.1:${ports.apiPort}`, ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}) });
}

type PortKey = keyof typeof PORT_FLAGS;

/** Which of the ports HAProxy said it could not bind (`... cannot bind socket ... for [127.0.0.1:9999]`). */
function busyPort(error: Error, ports: Record<PortKey, number>): PortKey | undefined {
  const port = Number(/cannot bind[^\n]*\[127\.0\.0\.1:(\d+)\]/.exec(error.message)?.[1]);
  return (Object.keys(PORT_FLAGS) as PortKey[]).find((key) => ports[key] === port);
}

/** "HAProxy could not listen on 127.0.0.1:9999: the port is in use ... --haproxy-api-port ..." */
function portMessage(error: Error, ports: Record<PortKey, number>, busy: PortKey | undefined): string {
  if (!busy) return error.message;
  return `HAProxy could not listen on 127.0.0.1:${ports[busy]}: the port is in use (another rollgate dev, or a HAProxy system service?). Choose another with ${PORT_FLAGS[busy]}, or 0 for a free one, or run without HAProxy (--no-haproxy).\n${error.message}`;
}

/** One prediction through HAProxy; the answer is read and dropped (metrics record it). */
function post(url: string, agent: Agent): Promise<void> {
  return new Promise((resolve) => {
    const outgoing = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': 2 } }, (response) => {
      response.resume();
      response.on('end', resolve);
      response.on('error', () => resolve());
    });
    outgoing.on('error', () => resolve());
    outgoing.end('{}');
  });
}
