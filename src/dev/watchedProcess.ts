// The watchdog for every program Rollgate starts (Prometheus and HAProxy for `rollgate dev`,
// PostgreSQL as its own user and Unleash for the flag service): none outlives the Node process.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';

/** Finds an executable `name` on `PATH`, or `undefined`. */
export function findOnPath(name: string, path: string | undefined = process.env.PATH): string | undefined {
  for (const folder of (path ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export interface WatchedProcessOptions {
  bin: string;
  args: string[];
  /** Names the program in messages, e.g. `PostgreSQL`. Default: the file name of `bin`. */
  name?: string;
  /** The program's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run the watchdog and the program as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
  /** The signal that asks the program to stop; PostgreSQL's fast shutdown is SIGINT. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** A folder removed when the program ends, also when this Node process died first. */
  tempDir?: string;
  /** Lines of the program's output kept for error messages (default 40). */
  keepLines?: number;
}

/** A program `rollgate dev` runs, which never outlives it. */
export interface WatchedProcess {
  /** The program's own pid (not the watchdog's), once the watchdog announced it. */
  readonly pid: number | undefined;
  readonly exited: boolean;
  /** Resolves when the program (and its watchdog) ended. */
  readonly exitedPromise: Promise<void>;
  /** Resolves with the program's pid once the watchdog announced it (never, if it exits first). */
  readonly announcedPid: Promise<number>;
  /** Its last lines of output (stdout and stderr). */
  output(): string[];
  /** Asks it to stop (`stopSignal`), kills it after `graceMs` (default 10 s), removes `tempDir`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs the program under a small shell that stops it (and removes its temporary folder) as soon
 * as its stdin closes: that happens on a clean stop and also when this Node process dies without
 * cleaning up (SIGKILL, crash), so the program is never orphaned. The watchdog runs in its own
 * process group, so a terminal's Ctrl-C (SIGINT to the foreground group) reaches only Node, which
 * then stops everything in order.
 */
const watchdogScript = [
  "trap '' INT",
  'exec 3<&0',
  '"$@" </dev/null &',
  'child=$!',
  'echo "rollgate-watched-pid $child"',
  // From here on the shell itself stays silent: once Node is gone its pipes are broken, and a
  // message such as "Terminated" (a program stopped by a signal) would kill the shell with
  // SIGPIPE before it removes the folder. The program keeps its own copies of the pipes.
  'exec >/dev/null 2>&1',
  '( read -r _ <&3; kill -"$ROLLGATE_STOP_SIGNAL" "$child" 2>/dev/null ) &',
  'watcher=$!',
  'wait "$child"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  '[ -n "$ROLLGATE_WATCHED_DIR" ] && rm -rf "$ROLLGATE_WATCHED_DIR"',
  'exit $status',
].join('\n');

/** Starts `bin args` under the watchdog (on Windows, directly: no watchdog there). */
export function startWatched(options: WatchedProcessOptions): WatchedProcess {
  const keep = options.keepLines ?? 40;
  const watched = process.platform !== 'win32';
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  const env = options.env ?? process.env;
  const child: ChildProcess = watched
    ? spawn('/bin/sh', ['-c', watchdogScript, `rollgate-watchdog-${nameOf(options).toLowerCase()}`, options.bin, ...options.args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        cwd: options.cwd,
        env: { ...env, ROLLGATE_WATCHED_DIR: options.tempDir ?? '', ROLLGATE_STOP_SIGNAL: stopSignal.replace(/^SIG/, '') },
        detached: true,
        ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
      })
    : spawn(options.bin, options.args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env });
  let programPid = watched ? undefined : child.pid;
  const lines: string[] = [];
  let announce: ((pid: number) => void) | undefined;
  const announcedPid = new Promise<number>((resolve) => (announce = resolve));
  if (programPid !== undefined) announce?.(programPid);
  const remember = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      const announced = /^rollgate-watched-pid (\d+)$/.exec(line.trim());
      if (announced && programPid === undefined) {
        programPid = Number(announced[1]);
        announce?.(programPid);
      } else if (line.trim() !== '') lines.push(line);
    }
    if (lines.length > keep) lines.splice(0, lines.length - keep);
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  let exited = child.exitCode !== null;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      lines.push(String(error));
      exited = true;
      resolve();
    });
  });
  const removeTempDir = (): void => {
    if (options.tempDir) rmSync(options.tempDir, { recursive: true, force: true });
  };
  const kill = (signal: NodeJS.Signals): void => {
    if (programPid !== undefined && programPid !== child.pid) {
      try {
        process.kill(programPid, signal);
      } catch {
        // already gone
      }
    }
    if (!exited) child.kill(signal);
  };
  // If this Node process exits without calling stop, do not leave the program behind. (If it is
  // killed outright, the watchdog sees its stdin close and does the same.)
  const onProcessExit = (): void => {
    if (!exited) kill('SIGKILL');
    removeTempDir();
  };
  process.once('exit', onProcessExit);

  // The watchdog's stdin is its lifeline; an EPIPE after it exits is expected.
  child.stdin?.on('error', () => undefined);

  let stopped: Promise<void> | undefined;
  return {
    announcedPid,
    get pid() {
      return programPid;
    },
    get exited() {
      return exited;
    },
    exitedPromise,
    output: () => [...lines],
    stop(graceMs = 10_000) {
      stopped ??= (async () => {
        if (!exited) {
          // Closing the watchdog's stdin asks it to stop the program (SIGTERM) and wait for it.
          if (watched) child.stdin?.end();
          else child.kill(stopSignal);
          const timer = setTimeout(() => {
            if (!exited) kill('SIGKILL');
          }, graceMs);
          await exitedPromise;
          clearTimeout(timer);
        }
        process.off('exit', onProcessExit);
        removeTempDir();
      })();
      return stopped;
    },
  };
}

function nameOf(options: WatchedProcessOptions): string {
  return options.name ?? basename(options.bin);
}

/**
 * Starts a program under the watchdog and resolves once its pid is known; a program that exits
 * before that is an error naming it, with its last words. The caller waits for readiness in its
 * own way (a health URL, a port) and calls `stop()` when done.
 */
export async function startWatchedProcess(options: WatchedProcessOptions): Promise<WatchedProcess & { readonly pid: number }> {
  const watched = startWatched(options);
  const pid = await Promise.race([watched.announcedPid, watched.exitedPromise.then(() => undefined)]);
  if (pid === undefined) {
    await watched.stop();
    throw new Error(`${nameOf(options)} (${options.bin}) could not be started: ${watched.output().slice(-5).join(' / ') || 'no output'}`);
  }
  return watched as WatchedProcess & { readonly pid: number };
}
