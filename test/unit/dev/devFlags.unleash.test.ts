// `rollgate dev --flags`: the bundled CLI in a child process starts a real Unleash on a real
// PostgreSQL beside the demo stack, with the demo plan's flag, on the admin token the demo plan's
// secret names; Ctrl-C stops all of it. The token is never printed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { UnleashFlagProvider } from '../../../src/core/flags/index';
import { waitFor } from '../../support/poll';

let bundleDir: string;
let cli: string;
beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'rollgate-dev-flags-'));
  cli = join(bundleDir, 'cli.js');
  await build({ entryPoints: ['src/cli/main.ts'], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

/** Whether nothing listens on the loopback port any more (PostgreSQL has stopped). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const token = '*:*.dev-flags-test-0123456789abcdef0123456789abcdef';

describe('rollgate dev --flags', () => {
  it('refuses to start without the admin token, saying which variable to set and how', async () => {
    let err = '';
    const io = { stdout: () => undefined, stderr: (text: string) => (err += text), cwd: process.cwd(), env: {} };
    expect(await main(['dev', '--flags'], io)).toBe(2);
    expect(err).toContain('ROLLGATE_SECRET_UNLEASH_TOKEN, which is not set');
    expect(err).toContain("'*:*.<secret>'");

    err = '';
    expect(await main(['dev', '--flags', '--flags-token-env', 'MY_TOKEN'], { ...io, env: { MY_TOKEN: 'no colon here' } })).toBe(2);
    expect(err).toContain('MY_TOKEN does not look like an Unleash admin token');
  });

  it('starts Unleash with the demo flag beside the stack, and Ctrl-C stops it and its PostgreSQL', { timeout: 400_000 }, async () => {
    const child = spawn(process.execPath, [cli, 'dev', '--port', '0', '--no-prometheus', '--rps', '0', '--flags', '--flags-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ROLLGATE_SECRET_UNLEASH_TOKEN: token },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitFor(
        'rollgate dev --flags to be ready',
        360_000,
        () => {
          if (child.exitCode !== null) throw new Error(`rollgate dev exited with ${child.exitCode}: ${stderr}`);
          return stdout.includes('Press Ctrl-C to stop.') ? true : undefined;
        },
        200,
      );
      const line =
        /flags \(Unleash\)\s+(http:\/\/127\.0\.0\.1:\d+) \(project default, environments development, production; flag new-ranking; admin token from \$ROLLGATE_SECRET_UNLEASH_TOKEN; PostgreSQL on 127\.0\.0\.1:(\d+)\)/.exec(
          stdout,
        );
      expect(line, stdout).not.toBeNull();
      const url = line![1]!;
      expect(stdout + stderr).not.toContain(token);

      const flags = new UnleashFlagProvider({ baseUrl: url, token, project: 'default', environment: 'production', timeoutMs: 20_000 });
      const checked = await flags.check(['new-ranking']);
      expect(checked.flags).toEqual([{ name: 'new-ranking', environment: 'production', enabled: false, rules: [] }]);

      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
      expect(code).toBe(0);
      expect(stdout).toContain('rollgate dev: stopped.');
      await expect(fetch(`${url}/health`)).rejects.toThrow();
      expect(await refused(Number(line![2]))).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
