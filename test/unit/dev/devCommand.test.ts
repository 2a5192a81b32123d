// `rollgate dev` as a user runs it: the bundled CLI in a child process with a real Prometheus,
// stopped with Ctrl-C (SIGINT); plus its options and messages in-process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import type { CliIo } from '../../../src/cli/io';
import { DeploymentClient, EndpointError, PrometheusClient } from '../../../src/core/endpoints/index';
import { prometheusBin } from '../../support/devStack';
import { haproxyBin } from '../../support/haproxy';
import { waitFor } from '../../support/poll';

// The CLI is bundled the way scripts/build.mjs bundles dist/cli.js (prom-client inlined), into a
// private folder, so the test runs the current sources and never races a concurrent build.
let bundleDir: string;
let cli: string;
beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'rollgate-cli-test-'));
  cli = join(bundleDir, 'cli.js');
  await build({ entryPoints: ['src/cli/main.ts'], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
});
afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => reject(new Error(`rollgate dev did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/** Starts the bundled CLI's `dev` with free ports and resolves once it says it is ready. */
async function startCli(detached = false): Promise<RunningCli> {
  if (!existsSync(prometheusBin)) throw new Error(`${prometheusBin} is missing: install the Debian package prometheus (.ci/run does)`);
  if (!existsSync(haproxyBin)) throw new Error(`${haproxyBin} is missing: install the Debian package haproxy (.ci/run does)`);
  const haproxyFlags = ['--haproxy-port', '0', '--haproxy-api-port', '0', '--haproxy-metrics-port', '0', '--haproxy-bin', haproxyBin];
  const child = spawn(process.execPath, [cli, 'dev', '--port', '0', '--prometheus-port', '0', '--prometheus-bin', prometheusBin, ...haproxyFlags], { stdio: ['ignore', 'pipe', 'pipe'], detached });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "Press Ctrl-C" within 40 s; stdout:\n${stdout}\nstderr:\n${stderr}`)), 40_000);
      const check = (): void => {
        if (stdout.includes('Press Ctrl-C to stop.')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`rollgate dev exited early with ${code}; stderr:\n${stderr}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, stdout: () => stdout, stderr: () => stderr };
}

function printedHaproxy(stdout: string): { pid: number; runtimeUrl: string; dir: string } {
  const match = /haproxy\s+http:\/\/127\.0\.0\.1:\d+\/predict \(pid (\d+);[^\n]*\n\s+haproxy runtime API\s+(tcp:\/\/127\.0\.0\.1:\d+) \(also unix:\/\/(.+)\/admin\.sock\)/.exec(stdout);
  if (!match) throw new Error(`no haproxy lines in:\n${stdout}`);
  return { pid: Number(match[1]), runtimeUrl: match[2] ?? '', dir: match[3] ?? '' };
}

function printedPrometheus(stdout: string): { url: string; pid: number; dataDir: string } {
  const match = /prometheus\s+(http:\/\/127\.0\.0\.1:\d+) \(pid (\d+), data in (.+)\)/.exec(stdout);
  if (!match) throw new Error(`no prometheus line in:\n${stdout}`);
  return { url: match[1] ?? '', pid: Number(match[2]), dataDir: match[3] ?? '' };
}

describe('rollgate dev in a child process', () => {
  it('prints its URLs, serves them, and stops everything on SIGINT with exit code 0', async () => {
    const { child, stdout } = await startCli();
    try {
      const deploymentUrl = /deployment endpoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout())?.[1];
      expect(deploymentUrl, stdout()).toBeDefined();
      for (const label of ['service', 'router', 'metrics', 'fault injection']) expect(stdout()).toMatch(new RegExp(`${label}\\s+http://127\\.0\\.0\\.1:\\d+/`));
      const prometheus = printedPrometheus(stdout());
      expect(alive(prometheus.pid)).toBe(true);
      expect(existsSync(prometheus.dataDir)).toBe(true);
      const haproxy = printedHaproxy(stdout());
      expect(alive(haproxy.pid)).toBe(true);
      expect(existsSync(haproxy.dir)).toBe(true);
      const haproxyUp = await new PrometheusClient({ baseUrl: prometheus.url }).query('up{job="haproxy"}');
      expect(haproxyUp.result.resultType === 'vector' && haproxyUp.result.samples[0]?.value).toBe(1);

      const deployment = new DeploymentClient({ baseUrl: deploymentUrl ?? '', service: 'churn-scorer' });
      expect((await deployment.getService()).stable).toBe('41');
      const { result } = await new PrometheusClient({ baseUrl: prometheus.url }).query('up{job="rollgate-dev"}');
      expect(result.resultType === 'vector' && result.samples[0]?.value).toBe(1);

      child.kill('SIGINT');
      expect(await waitForExit(child, 20_000)).toBe(0);
      expect(stdout()).toContain('rollgate dev: stopped.');
      expect(alive(prometheus.pid)).toBe(false);
      expect(existsSync(prometheus.dataDir)).toBe(false);
      expect(alive(haproxy.pid)).toBe(false);
      expect(existsSync(haproxy.dir)).toBe(false);
      const gone = await deployment.getService().catch((error: unknown) => error);
      expect(gone).toBeInstanceOf(EndpointError);
      expect((gone as EndpointError).kind).toBe('unreachable');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) also exits 0 with everything stopped', async () => {
    // detached: its own process group, as a shell gives a foreground job.
    const { child, stdout } = await startCli(true);
    const prometheus = printedPrometheus(stdout());
    const haproxy = printedHaproxy(stdout());
    try {
      process.kill(-(child.pid ?? 0), 'SIGINT');
      expect(await waitForExit(child, 20_000)).toBe(0);
      expect(stdout()).toContain('rollgate dev: stopped.');
      expect(alive(prometheus.pid)).toBe(false);
      expect(existsSync(prometheus.dataDir)).toBe(false);
      expect(alive(haproxy.pid)).toBe(false);
      expect(existsSync(haproxy.dir)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a killed rollgate dev (SIGKILL, no cleanup) leaves no Prometheus, no HAProxy and no temporary folder behind', async () => {
    const { child, stdout } = await startCli();
    const prometheus = printedPrometheus(stdout());
    const haproxy = printedHaproxy(stdout());
    expect(alive(prometheus.pid)).toBe(true);
    expect(alive(haproxy.pid)).toBe(true);
    child.kill('SIGKILL');
    await waitForExit(child, 10_000);
    const deadline = Date.now() + 15_000;
    while (alive(prometheus.pid) || existsSync(prometheus.dataDir) || alive(haproxy.pid) || existsSync(haproxy.dir)) {
      if (Date.now() > deadline) {
        if (alive(prometheus.pid)) process.kill(prometheus.pid, 'SIGKILL');
        if (alive(haproxy.pid)) process.kill(haproxy.pid, 'SIGKILL');
        throw new Error(`Prometheus ${prometheus.pid} (${prometheus.dataDir}) or HAProxy ${haproxy.pid} (${haproxy.dir}) outlived its rollgate dev`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
  interrupt: () => void;
}

function capture(env: NodeJS.ProcessEnv = {}): Captured {
  let out = '';
  let err = '';
  let interrupt = (): void => undefined;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  return {
    io: { stdout: (text) => (out += text), stderr: (text) => (err += text), cwd: process.cwd(), env, interrupted },
    out: () => out,
    err: () => err,
    interrupt: () => interrupt(),
  };
}

/** Waits until `condition` holds (the shared poll helper, with a short interval: it reads captured output). */
const until = (condition: () => boolean, timeoutMs: number, what: string): Promise<boolean> => waitFor(what, timeoutMs, () => (condition() ? true : undefined), 20);

describe('rollgate dev options', () => {
  it('--help describes the flags and fault injection', async () => {
    const { io, out } = capture();
    expect(await main(['dev', '--help'], io)).toBe(0);
    for (const flag of [
      '--port N',
      '--prometheus-port N',
      '--no-prometheus',
      '--prometheus-bin PATH',
      '--haproxy-port N',
      '--haproxy-api-port N',
      '--haproxy-metrics-port N',
      '--no-haproxy',
      '--haproxy-bin PATH',
      '--token-env NAME',
      '/v1/faults',
    ])
      expect(out()).toContain(flag);
  });

  it('bad flags are usage errors (exit 2) that say what is expected', async () => {
    const bad = capture();
    expect(await main(['dev', '--port', 'eighty'], bad.io)).toBe(2);
    expect(bad.err()).toBe("rollgate dev: --port needs a port number from 0 to 65535 (0 picks a free port), got 'eighty'\n");
    const unknown = capture();
    expect(await main(['dev', '--verbose'], unknown.io)).toBe(2);
    expect(unknown.err()).toContain("unknown option '--verbose'");
    const token = capture({});
    expect(await main(['dev', '--token-env', 'DEPLOY_TOKEN'], token.io)).toBe(2);
    expect(token.err()).toContain('the environment variable DEPLOY_TOKEN is not set or empty');
  });

  it('without a prometheus binary it still serves and says how to install Prometheus', async () => {
    const run = capture({ PATH: join(tmpdir(), 'rollgate-no-such-folder') });
    const exit = main(['dev', '--port', '0', '--rps', '0', '--no-haproxy'], run.io);
    await until(() => run.out().includes('Press Ctrl-C'), 10_000, 'the dev stack to start');
    expect(run.err()).toContain('Prometheus was not found on PATH');
    expect(run.err()).toContain('apt-get install prometheus');
    run.interrupt();
    expect(await exit).toBe(0);
  });

  it('a token from --token-env protects the endpoint and is never printed', async () => {
    const secret = 'cli-token-0b7e44';
    const run = capture({ MY_DEPLOY_TOKEN: secret });
    const exit = main(['dev', '--port', '0', '--no-prometheus', '--no-haproxy', '--rps', '0', '--token-env', 'MY_DEPLOY_TOKEN'], run.io);
    await until(() => run.out().includes('Press Ctrl-C'), 10_000, 'the dev stack to start');
    expect(run.out()).toContain('(bearer token from $MY_DEPLOY_TOKEN)');
    expect(run.out()).toContain('not started (--no-prometheus)');
    expect(run.out()).toContain('haproxy              not started (--no-haproxy)');
    const url = /deployment endpoint\s+(\S+)/.exec(run.out())?.[1] ?? '';
    expect((await fetch(`${url}/v1/services/churn-scorer`)).status).toBe(401);
    expect((await fetch(`${url}/v1/services/churn-scorer`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    run.interrupt();
    expect(await exit).toBe(0);
    expect(run.out() + run.err()).not.toContain(secret);
  });

  it('a busy port is a clear failure', async () => {
    const first = capture();
    const firstExit = main(['dev', '--port', '0', '--no-prometheus', '--no-haproxy', '--rps', '0'], first.io);
    await until(() => first.out().includes('Press Ctrl-C'), 10_000, 'the first dev stack to start');
    const port = /127\.0\.0\.1:(\d+)/.exec(first.out())?.[1] ?? '';
    const second = capture();
    expect(await main(['dev', '--port', port, '--no-prometheus', '--no-haproxy'], second.io)).toBe(1);
    expect(second.err()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    first.interrupt();
    expect(await firstExit).toBe(0);
  });

  it('a busy HAProxy port is a clear failure (exit 1) naming the flag to change', async () => {
    const sockets = new Set<Socket>();
    const blocker = createNetServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as AddressInfo).port;
    try {
      const run = capture();
      const flags = ['--haproxy-port', '0', '--haproxy-metrics-port', '0', '--haproxy-api-port', String(busy), '--haproxy-bin', haproxyBin];
      expect(await main(['dev', '--port', '0', '--rps', '0', '--no-prometheus', ...flags], run.io)).toBe(1);
      expect(run.err()).toContain(`HAProxy could not listen on 127.0.0.1:${busy}: the port is in use`);
      expect(run.err()).toContain('--haproxy-api-port');
      expect(run.out()).not.toContain('Press Ctrl-C');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('a busy Prometheus port is a clear failure (exit 1) naming the flag to change', async () => {
    // Holds the port; connections to it (readiness probes) are dropped on close.
    const sockets = new Set<Socket>();
    const blocker = createNetServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as AddressInfo).port;
    try {
      const run = capture();
      expect(await main(['dev', '--port', '0', '--rps', '0', '--no-haproxy', '--prometheus-port', String(busy), '--prometheus-bin', prometheusBin], run.io)).toBe(1);
      expect(run.err()).toContain(`Prometheus could not listen on 127.0.0.1:${busy}: the port is in use`);
      expect(run.err()).toContain('--prometheus-port');
      expect(run.out()).not.toContain('Press Ctrl-C');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
