import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { acquireFileLock, Ledger, LedgerLockTimeoutError } from '../../../src/core/ledger/index';
import { sampleEntry, temporaryFolder } from './helpers';

let folder: { path: string; cleanup: () => void };
let file: string;
let lockPath: string;

beforeEach(() => {
  folder = temporaryFolder();
  file = join(folder.path, 'ledger.jsonl');
  lockPath = `${file}.lock`;
});
afterEach(() => folder.cleanup());

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function writeLock(owner: { pid: number; time: string; host?: string }): void {
  writeFileSync(lockPath, JSON.stringify({ host: hostname(), nonce: 'other', ...owner }));
}

describe('the ledger lock', () => {
  it('is taken over at once when its holder process is dead', async () => {
    writeLock({ pid: deadPid(), time: new Date().toISOString() });
    const started = Date.now();
    const entry = await new Ledger({ path: file, lock: { timeoutMs: 5_000 } }).append(sampleEntry(1));
    expect(entry.seq).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('is taken over when it is older than the bound, even if its holder lives', async () => {
    writeLock({ pid: process.pid, time: new Date(Date.now() - 60_000).toISOString() });
    const entry = await new Ledger({ path: file, lock: { timeoutMs: 5_000, staleAfterMs: 30_000 } }).append(sampleEntry(1));
    expect(entry.seq).toBe(1);
  });

  it('is taken over when it has no readable content and is older than the short bound', async () => {
    writeFileSync(lockPath, '');
    const past = new Date(Date.now() - 10_000);
    utimesSync(lockPath, past, past);
    expect((await new Ledger({ path: file, lock: { timeoutMs: 5_000 } }).append(sampleEntry(1))).seq).toBe(1);
  });

  it('makes a writer wait a bounded time, then fail with a clear error naming the holder', async () => {
    writeLock({ pid: process.pid, time: new Date().toISOString() });
    const ledger = new Ledger({ path: file, lock: { timeoutMs: 300 } });
    const attempt = ledger.append(sampleEntry(1));
    await expect(attempt).rejects.toThrow(LedgerLockTimeoutError);
    await expect(attempt).rejects.toThrow(new RegExp(`held by process ${process.pid} on `));
    expect(existsSync(file)).toBe(false);
    expect(existsSync(lockPath)).toBe(true);
  });

  it('a lock from another host is not judged by pid', async () => {
    writeLock({ pid: deadPid(), host: 'some-other-host', time: new Date().toISOString() });
    await expect(acquireFileLock(lockPath, { timeoutMs: 200 })).rejects.toThrow(/some-other-host/);
  });

  it('is released after each append, even when the append fails', async () => {
    const ledger = new Ledger({ path: file });
    await ledger.append(sampleEntry(1));
    expect(existsSync(lockPath)).toBe(false);
    writeFileSync(file, '{"seq":1,"hash":"0"}\n{"seq":2,"hash":"1"}\n');
    await expect(ledger.append(sampleEntry(2))).rejects.toThrow(/altered/);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('a holder that lost its lock to a takeover notices before writing', async () => {
    const held = await acquireFileLock(lockPath);
    // What a takeover does: the old lock file goes, a new one takes its name.
    rmSync(lockPath);
    writeLock({ pid: process.pid, time: new Date().toISOString() });
    await expect(held.assertHeld()).rejects.toThrow(/lost the ledger lock/);
    await held.release();
    // Releasing must not remove the lock that someone else now holds.
    expect(existsSync(lockPath)).toBe(true);
  });
});
