import { findPostgresBinDir, installPostgresHint, startPostgres, type PostgresProcess } from './postgresProcess';
import { findUnleash, installUnleashHint, startUnleash, type UnleashInstall } from './unleashProcess';

/** A real Unleash on a throw-away PostgreSQL, both on 127.0.0.1: the flag service of `rollgate dev` and of tests. */
export interface FlagService {
  /** Unleash's base URL, e.g. `http://127.0.0.1:38242`. */
  url: string;
  /** An admin API token (full access); never print it. */
  adminToken: string;
  /** Unleash's built-in project and environments. */
  project: 'default';
  environments: readonly ['development', 'production'];
  unleashPid: number;
  postgres: Pick<PostgresProcess, 'port' | 'pid' | 'dataDir'>;
  /** How long each part took to become ready, in milliseconds. */
  startup: { postgresMs: number; unleashMs: number };
  /** Stops Unleash, then PostgreSQL, and removes the cluster. Idempotent. */
  stop(): Promise<void>;
}

export interface FlagServiceOptions {
  /** Unleash's port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** PostgreSQL's port on 127.0.0.1; 0 (default) picks a free one. */
  postgresPort?: number;
  postgresBinDir?: string;
  unleash?: UnleashInstall;
  /** The admin token to create (`*:*.<secret>`); default: a fresh random one. */
  adminToken?: string;
  startTimeoutMs?: number;
}

/** What is missing for {@link startFlagService}, as sentences saying how to install it; empty when all is there. */
export function missingFlagServiceParts(env: NodeJS.ProcessEnv = process.env): string[] {
  const missing: string[] = [];
  if (findPostgresBinDir(env) === undefined) missing.push(`PostgreSQL was not found. ${installPostgresHint}`);
  if (findUnleash(env) === undefined) missing.push(`Unleash was not found. ${installUnleashHint}`);
  return missing;
}

/**
 * Starts PostgreSQL (a fresh cluster in a temporary folder) and Unleash on it, and resolves once
 * Unleash's admin API accepts the admin token. Both run under watchdogs: they stop when this
 * process stops, however it stops.
 */
export async function startFlagService(options: FlagServiceOptions = {}): Promise<FlagService> {
  const install = options.unleash ?? findUnleash();
  if (install === undefined) throw new Error(`Unleash was not found. ${installUnleashHint}`);
  const started = Date.now();
  const postgres = await startPostgres({
    port: options.postgresPort ?? 0,
    ...(options.postgresBinDir ? { binDir: options.postgresBinDir } : {}),
    ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
  });
  const postgresMs = Date.now() - started;
  let unleash;
  try {
    unleash = await startUnleash({
      ...install,
      port: options.port ?? 0,
      database: { host: postgres.host, port: postgres.port, user: postgres.user, name: postgres.database },
      ...(options.adminToken ? { adminToken: options.adminToken } : {}),
      ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
    });
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  const unleashMs = Date.now() - started - postgresMs;
  let stopping: Promise<void> | undefined;
  return {
    url: unleash.url,
    adminToken: unleash.adminToken,
    project: 'default',
    environments: ['development', 'production'],
    unleashPid: unleash.pid,
    postgres: { port: postgres.port, pid: postgres.pid, dataDir: postgres.dataDir },
    startup: { postgresMs, unleashMs },
    stop() {
      stopping ??= (async () => {
        await unleash.stop();
        await postgres.stop();
      })();
      return stopping;
    },
  };
}

/** Unleash's admin tokens look like `*:*.<secret>` (project, environment, secret); it cannot start with another shape. */
export const ADMIN_TOKEN_PATTERN = /^[^\s:,]+:[^\s.,]+\.[^\s,]+$/;

/**
 * Creates release flags in the default project (the demo plan's `new-ranking`), off in every
 * environment, through Unleash's admin API. A flag that exists already is left as it is.
 */
export async function createDemoFlags(service: Pick<FlagService, 'url' | 'adminToken'>, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const response = await fetch(`${service.url}/api/admin/projects/default/features`, {
      method: 'POST',
      headers: { authorization: service.adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name, type: 'release', description: 'Created by rollgate dev for the demo plans.' }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    // 409: the name is taken, i.e. the flag exists.
    if (!response.ok && response.status !== 409) throw new Error(`Unleash did not create the demo flag '${name}' (${response.status}): ${text.slice(0, 200)}`);
  }
}
