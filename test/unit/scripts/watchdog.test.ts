// `npm start` killed outright must not leave the dev stack and code-server running: its watchdog
// stops their process groups once it is gone. Real processes: a parent that starts a detached
// child (as start.mjs starts code-server) and the watchdog, then is SIGKILLed.
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { waitFor } from '../../support/poll';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start watchdog', () => {
  it("stops the children's process groups when the parent is killed with SIGKILL", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-watchdog-'));
    const pidFile = path.join(dir, 'child.pid');
    const parentScript = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
      spawn(process.execPath, [${JSON.stringify(path.resolve('scripts/watchdog.mjs'))}, String(process.pid), String(child.pid)], { detached: true, stdio: 'ignore' }).unref();
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: 'ignore' });
    const childPid = await waitFor('the child to start', 10_000, async () => {
      try {
        return Number(readFileSync(pidFile, 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    });
    expect(alive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor('the child to be stopped', 15_000, async () => (alive(childPid) ? undefined : true));
    expect(alive(childPid)).toBe(false);
  }, 30_000);
});
