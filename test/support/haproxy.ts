// A real HAProxy for a test file (config as in /work/shared/TESTING.md), on free loopback ports,
// with small HTTP servers behind it that answer with their own name. A missing binary fails the
// suite loudly: CI installs the Debian package, and a skipped integration test proves nothing.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

import { parseRuntimeApiUrl } from '../../src/core/backends/haproxy/address';
import { sendRuntimeLine } from '../../src/core/backends/haproxy/runtimeSocket';
import { freePort } from '../../src/dev/prometheusProcess';
import { startHaproxy, type HaproxyProcess } from '../../src/dev/haproxyProcess';

/** The HAProxy binary tests use; override with ROLLGATE_HAPROXY_BIN. */
export const haproxyBin = process.env.ROLLGATE_HAPROXY_BIN ?? '/usr/sbin/haproxy';

export interface TestServerSpec {
  name: string;
  weight: number;
  /** Health-check it (`check inter 200ms fall 1 rise 1`). */
  check?: boolean;
  /** Point it at a port where nothing listens (with `check`: HAProxy marks it down). */
  dead?: boolean;
  /** `disabled` on its server line: in maintenance from the configuration. */
  disabled?: boolean;
}

export interface TestBackendSpec {
  name: string;
  /** Default `roundrobin`. */
  balance?: string;
  servers: TestServerSpec[];
}

export interface TestHaproxy {
  /** Runtime API over TCP, `level admin`. */
  runtimeUrl: string;
  /** Runtime API over a unix socket, `level admin`. */
  unixUrl: string;
  /** Runtime API over TCP, `level user` (too low to change weights). */
  userUrl: string;
  /** The frontend routing to the first backend. */
  frontendUrl: string;
  exporterUrl: string;
  process: HaproxyProcess;
  /** Sends one raw line on the admin socket (test setup: maintenance, drain, ...). */
  send(line: string): Promise<string[]>;
  stop(): Promise<void>;
}

async function upstream(name: string): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/plain', 'x-server': name });
      response.end(name);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Starts HAProxy with the given backends (the first one behind the frontend) and their servers. */
export async function startTestHaproxy(backends: TestBackendSpec[]): Promise<TestHaproxy> {
  if (!existsSync(haproxyBin)) {
    throw new Error(`HAProxy is required for these tests but ${haproxyBin} does not exist. Install the Debian package (\`sudo apt-get install haproxy\`; .ci/run does this) or set ROLLGATE_HAPROXY_BIN.`);
  }
  const upstreams: Server[] = [];
  const lines: string[] = [];
  for (const backend of backends) {
    lines.push(`backend ${backend.name}`, `  balance ${backend.balance ?? 'roundrobin'}`);
    for (const spec of backend.servers) {
      let port: number;
      if (spec.dead) port = await freePort();
      else {
        const server = await upstream(spec.name);
        upstreams.push(server);
        port = (server.address() as AddressInfo).port;
      }
      lines.push(`  server ${spec.name} 127.0.0.1:${port} weight ${spec.weight}${spec.check ? ' check inter 200ms fall 1 rise 1' : ''}${spec.disabled ? ' disabled' : ''}`);
    }
  }
  const [admin, user, front, exporter] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = [
    'global',
    `  stats socket ipv4@127.0.0.1:${admin} level admin`,
    `  stats socket ipv4@127.0.0.1:${user} level user`,
    '  stats socket {dir}/admin.sock mode 600 level admin',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend models',
    `  bind 127.0.0.1:${front}`,
    `  default_backend ${backends[0]?.name ?? 'none'}`,
    'frontend exporter',
    `  bind 127.0.0.1:${exporter}`,
    '  http-request use-service prometheus-exporter if { path /metrics }',
    ...lines,
    '',
  ].join('\n');
  const runtimeUrl = `tcp://127.0.0.1:${admin}`;
  let process: HaproxyProcess;
  try {
    process = await startHaproxy({ bin: haproxyBin, config, runtimeUrl });
  } catch (error) {
    await Promise.all(upstreams.map((server) => new Promise((resolve) => server.close(resolve))));
    throw error;
  }
  const address = parseRuntimeApiUrl(runtimeUrl)!;
  return {
    runtimeUrl,
    unixUrl: `unix://${process.dir}/admin.sock`,
    userUrl: `tcp://127.0.0.1:${user}`,
    frontendUrl: `http://127.0.0.1:${front}`,
    exporterUrl: `http://127.0.0.1:${exporter}/metrics`,
    process,
    send: (line) => sendRuntimeLine(address, line.split(/;\s*/), { timeoutMs: 5000 }),
    async stop() {
      await process.stop();
      for (const server of upstreams) server.closeAllConnections();
      await Promise.all(upstreams.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/** Starts one HAProxy for the calling test file (beforeAll) and stops it (afterAll). */
export function useHaproxy(backends: TestBackendSpec[]): () => TestHaproxy {
  let current: TestHaproxy | undefined;
  beforeAll(async () => {
    current = await startTestHaproxy(backends);
  });
  afterAll(async () => {
    await current?.stop();
  });
  return () => {
    if (!current) throw new Error('HAProxy is not running (did beforeAll fail?)');
    return current;
  };
}
