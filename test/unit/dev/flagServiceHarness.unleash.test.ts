// The flag-service harness leaves nothing behind: a process that started Unleash and PostgreSQL
// and is then killed outright (SIGKILL, no cleanup) takes both with it, and the cluster's folder
// is removed. (The clean stop runs at the end of every test run, in flagServiceSetup.ts.)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../../support/poll';

let bundleDir: string;
let script: string;
beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'rollgate-flag-harness-'));
  script = join(bundleDir, 'child.mjs');
  await build({ entryPoints: ['test/support/flagServiceChild.ts'], outfile: script, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'error' });
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but runs as another user (PostgreSQL runs as `postgres` when we are root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('flag service harness', () => {
  it('a killed owner process takes Unleash and PostgreSQL with it', { timeout: 400_000 }, async () => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const started = await waitFor(
        'the child to start the flag service',
        360_000,
        () => {
          if (child.exitCode !== null) throw new Error(`the child exited with ${child.exitCode}: ${stderr}`);
          const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
          return line ? (JSON.parse(line) as { url: string; unleashPid: number; postgresPid: number; dataDir: string }) : undefined;
        },
        200,
      );
      expect(alive(started.unleashPid)).toBe(true);
      expect(alive(started.postgresPid)).toBe(true);
      expect(existsSync(started.dataDir)).toBe(true);
      expect((await fetch(`${started.url}/health`)).status).toBe(200);

      child.kill('SIGKILL');
      await waitFor('Unleash and PostgreSQL to stop and the cluster to be removed', 60_000, () => (!alive(started.unleashPid) && !alive(started.postgresPid) && !existsSync(started.dataDir) ? true : undefined));
      await expect(fetch(`${started.url}/health`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
