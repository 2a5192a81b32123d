// The watchdog of the flag service's programs (PostgreSQL as its own user, Unleash); the dev stack's
// Prometheus and HAProxy use watchedProcess.ts. Two watchdogs met at a merge: one to fold into the other.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A program started under a watchdog that stops it when this Node process goes away. */
export interface WatchedProcess {
  /** Pid of the program itself (not of its watchdog). */
  pid: number;
  /** True once the program has exited. */
  readonly exited: boolean;
  /** Resolves when the program has exited (and its folder is removed). */
  readonly exit: Promise<void>;
  /** The last lines the program printed (stdout and stderr), for error messages. */
  output(): string[];
  /** Asks the program to stop, escalating to SIGKILL after `stopTimeoutMs`; idempotent. */
  stop(): Promise<void>;
}

export interface WatchedProcessOptions {
  /** Names the program in messages, e.g. `PostgreSQL`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run the watchdog and the program as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
  /** The signal that asks the program to shut down; PostgreSQL's fast shutdown is SIGINT. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** A folder removed once the program has exited, however it ends. */
  removeWhenDone?: string;
  /** How long a stop may take before the program is killed. Default 10 s. */
  stopTimeoutMs?: number;
}

/**
 * A small shell that runs the program and stops it (then removes its folder) as soon as its
 * stdin closes: that happens on a clean stop and also when this Node process dies without
 * cleaning up (SIGKILL, crash), so nothing is ever orphaned. Ctrl-C in a terminal is ignored by
 * the watchdog; the Node process handles it and stops the program in order.
 */
const watchdogScript = [
  "trap '' INT",
  'exec 3<&0',
  '"$@" </dev/null &',
  'child=$!',
  'echo "rollgate-watched-pid $child"',
  '( read -r _ <&3; kill -"$ROLLGATE_STOP_SIGNAL" "$child" 2>/dev/null ) &',
  'watcher=$!',
  'wait "$child"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'if [ -n "$ROLLGATE_REMOVE_WHEN_DONE" ]; then rm -rf "$ROLLGATE_REMOVE_WHEN_DONE"; fi',
  'exit $status',
].join('\n');

/**
 * Starts `command` under the watchdog and resolves once its pid is known. The caller waits for
 * readiness in its own way (a health URL, a port) and calls `stop()` when done.
 */
export async function startWatchedProcess(options: WatchedProcessOptions): Promise<WatchedProcess> {
  const stopSignal = (options.stopSignal ?? 'SIGTERM').replace(/^SIG/, '');
  const child: ChildProcess = spawn('/bin/sh', ['-c', watchdogScript, `rollgate-watchdog-${options.name.toLowerCase()}`, options.command, ...options.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: { ...(options.env ?? process.env), ROLLGATE_STOP_SIGNAL: stopSignal, ROLLGATE_REMOVE_WHEN_DONE: options.removeWhenDone ?? '' },
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  let programPid: number | undefined;
  let announce: ((pid: number) => void) | undefined;
  const announced = new Promise<number>((resolve) => (announce = resolve));
  const lines: string[] = [];
  const remember = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      const pid = /^rollgate-watched-pid (\d+)$/.exec(line.trim());
      if (pid && programPid === undefined) {
        programPid = Number(pid[1]);
        announce?.(programPid);
      } else if (line.trim() !== '') lines.push(line);
    }
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  // The watchdog's stdin is its lifeline; an EPIPE after it exits is expected.
  child.stdin?.on('error', () => undefined);

  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = (): void => {
      exited = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', (error) => {
      lines.push(String(error));
      done();
    });
  });
  const kill = (signal: NodeJS.Signals): void => {
    if (programPid !== undefined) {
      try {
        process.kill(programPid, signal);
      } catch {
        // already gone
      }
    }
    if (!exited) child.kill(signal);
  };
  const removeFolder = (): void => {
    if (options.removeWhenDone) rmSync(options.removeWhenDone, { recursive: true, force: true });
  };
  // If this Node process exits without calling stop, do not leave the program behind. (If it is
  // killed outright, the watchdog sees its stdin close and does the same.)
  const onProcessExit = (): void => {
    if (!exited) kill('SIGKILL');
    removeFolder();
  };
  process.once('exit', onProcessExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        child.stdin?.end();
        const timer = setTimeout(() => kill('SIGKILL'), options.stopTimeoutMs ?? 10_000);
        await exit;
        clearTimeout(timer);
      }
      process.off('exit', onProcessExit);
      removeFolder();
    })();
    return stopping;
  };

  const pid = await Promise.race([announced, exit.then(() => undefined)]);
  if (pid === undefined) {
    await stop();
    throw new Error(`${options.name} (${options.command}) could not be started: ${lines.slice(-5).join(' / ') || 'no output'}`);
  }
  return {
    pid,
    get exited() {
      return exited;
    },
    exit,
    output: () => [...lines],
    stop,
  };
}
