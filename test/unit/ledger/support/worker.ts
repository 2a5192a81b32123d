import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { build } from 'esbuild';

/** Bundles the append worker into `folder` and returns the script path (one bundle per test file). */
export async function buildAppendWorker(folder: string): Promise<string> {
  const outfile = join(folder, 'appendWorker.cjs');
  await build({
    entryPoints: [join(__dirname, 'appendWorker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

export interface RunningWorker {
  child: ChildProcess;
  /** Number of appends the worker has acknowledged so far (each one fsynced). */
  acknowledged(): number;
  /** Resolves once `count` appends are acknowledged; rejects if the worker exits first. */
  waitForAppends(count: number): Promise<void>;
  /** Resolves once the worker waits at its start gate (ROLLGATE_WORKER_GATE). */
  ready: Promise<void>;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function startAppendWorker(script: string, args: string[], options: { gate?: string } = {}): RunningWorker {
  const env = options.gate ? { ...process.env, ROLLGATE_WORKER_GATE: options.gate } : process.env;
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let acknowledged = 0;
  let buffered = '';
  let stderr = '';
  const waiters: Array<{ count: number; resolve: () => void; reject: (error: Error) => void }> = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    buffered += text;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    if (lines.includes('ready')) markReady();
    acknowledged += lines.filter((line) => line.startsWith('appended ')).length;
    for (const waiter of waiters.filter((item) => acknowledged >= item.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    // 'close' comes after the exit and after the last stdout chunk, so the count is final.
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`worker exited (${code ?? signal}) after ${acknowledged} appends: ${stderr}`));
      resolve({ code, signal, stderr });
    });
  });
  return {
    child,
    ready,
    acknowledged: () => acknowledged,
    waitForAppends: (count) => (acknowledged >= count ? Promise.resolve() : new Promise((resolve, reject) => waiters.push({ count, resolve, reject }))),
    exited,
  };
}
