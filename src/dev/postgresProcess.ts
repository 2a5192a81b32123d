import { execFile } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { freePort } from './prometheusProcess';
import { startWatchedProcess } from './watchedProcess';

/** A throw-away PostgreSQL cluster on 127.0.0.1, for the flag service of `rollgate dev` and tests. */
export interface PostgresProcess {
  host: '127.0.0.1';
  port: number;
  /** Superuser of the cluster (trust authentication on loopback only). */
  user: string;
  /** The database created for the caller. */
  database: string;
  pid: number;
  /** Temporary folder holding the cluster; removed on stop. */
  dataDir: string;
  stop(): Promise<void>;
}

export interface PostgresStartOptions {
  /** Folder with `initdb`, `postgres` and `createdb`; default: see {@link findPostgresBinDir}. */
  binDir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Database to create. Default `unleash`. */
  database?: string;
  /** Give up waiting for readiness after this long. Default 60 s. */
  startTimeoutMs?: number;
}

/** How to get PostgreSQL when it is missing. */
export const installPostgresHint = 'Install it with `sudo apt-get install postgresql` on Debian/Ubuntu (its system service is not needed), or set ROLLGATE_POSTGRES_BIN_DIR to the folder holding initdb and postgres.';

const clusterUser = 'rollgate';

/**
 * Finds the folder holding PostgreSQL's server programs: `ROLLGATE_POSTGRES_BIN_DIR`, else the
 * newest `/usr/lib/postgresql/<major>/bin` (Debian keeps them off PATH), else `initdb` on PATH.
 */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const hasServer = (folder: string): boolean => {
    try {
      accessSync(join(folder, 'initdb'), constants.X_OK);
      accessSync(join(folder, 'postgres'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const configured = env.ROLLGATE_POSTGRES_BIN_DIR;
  if (configured) return hasServer(configured) ? configured : undefined;
  let majors: string[] = [];
  try {
    majors = readdirSync('/usr/lib/postgresql').filter((name) => /^\d+$/.test(name));
  } catch {
    // not a Debian layout
  }
  for (const major of majors.sort((a, b) => Number(b) - Number(a))) {
    const folder = `/usr/lib/postgresql/${major}/bin`;
    if (hasServer(folder)) return folder;
  }
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (folder !== '' && hasServer(folder)) return folder;
  }
  return undefined;
}

/** PostgreSQL refuses to run as root: when we are root, it runs as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // fall through to the error below
  }
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error('Running as root, PostgreSQL must run as another user, but there is no `postgres` user. Install the Debian package `postgresql` (it creates one) or run as a normal user.');
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function run(file: string, args: string[], options: { user?: { uid: number; gid: number }; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: options.timeoutMs, ...(options.user ?? {}), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args[0] ?? ''} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

class PortInUseError extends Error {}

/**
 * Creates a cluster in a temporary folder (`initdb`), starts `postgres` on a loopback port under
 * a watchdog (so it never outlives this process), and creates the database. Durability is
 * switched off: the cluster is thrown away on stop.
 */
export async function startPostgres(options: PostgresStartOptions = {}): Promise<PostgresProcess> {
  const binDir = options.binDir ?? findPostgresBinDir();
  if (binDir === undefined) throw new Error(`PostgreSQL was not found. ${installPostgresHint}`);
  const user = serverUser();
  // A picked free port can be taken by someone else before PostgreSQL binds it: try again.
  const attempts = (options.port ?? 0) === 0 ? 3 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port || (await freePort());
    try {
      return await startCluster({ binDir, port, user, database: options.database ?? 'unleash', startTimeoutMs: options.startTimeoutMs ?? 60_000 });
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

async function startCluster(setup: { binDir: string; port: number; user: { uid: number; gid: number } | undefined; database: string; startTimeoutMs: number }): Promise<PostgresProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rollgate-postgres-'));
  const cluster = join(dataDir, 'cluster');
  try {
    if (setup.user) chownSync(dataDir, setup.user.uid, setup.user.gid);
    await run(join(setup.binDir, 'initdb'), ['-D', cluster, '-U', clusterUser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { user: setup.user, timeoutMs: 120_000 });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const server = await startWatchedProcess({
    name: 'PostgreSQL',
    bin: join(setup.binDir, 'postgres'),
    args: [
      '-D',
      cluster,
      '-p',
      String(setup.port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP on loopback only: no socket file in a shared folder.
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    user: setup.user,
    // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for clients to disconnect.
    stopSignal: 'SIGINT',
    tempDir: dataDir,
  });
  const deadline = Date.now() + setup.startTimeoutMs;
  for (;;) {
    const said = server.output().join('\n');
    if (said.includes('database system is ready to accept connections')) break;
    if (server.exited || Date.now() > deadline) {
      await server.stop();
      const tail = server.output().slice(-6).join('\n    ');
      if (/could not bind .*address already in use/i.test(said)) throw new PortInUseError(`PostgreSQL could not listen on 127.0.0.1:${setup.port}: the port is in use.`);
      throw new Error(`PostgreSQL ${server.exited ? 'exited while starting' : `did not become ready within ${setup.startTimeoutMs / 1000}s`}.${tail ? `\n  PostgreSQL said:\n    ${tail}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    await run(join(setup.binDir, 'createdb'), ['-h', '127.0.0.1', '-p', String(setup.port), '-U', clusterUser, setup.database], { timeoutMs: 30_000 });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port: setup.port,
    user: clusterUser,
    database: setup.database,
    pid: server.pid,
    dataDir,
    stop: () => server.stop(),
  };
}
