// The one lock primitive (src/core/lock) and its two users, the ledger lock and the service
// lock: one owner record, one liveness and staleness rule, files of the earlier formats read.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { acquireFileLock, isStale, parseLockOwner, readLockHolder, LockBusyError } from '../../../src/core/lock/index';
import { Ledger, LedgerLockTimeoutError } from '../../../src/core/ledger/index';
import { acquireServiceLock, LockHeldError, serviceLockHolder } from '../../../src/core/rollout/index';
import { sampleEntry, temporaryFolder } from '../ledger/helpers';

let folder: { path: string; cleanup: () => void };
let lockPath: string;
/** A process of this machine that stays alive while the tests run: a live holder that is not us. */
let liveHolder: ChildProcess;

beforeAll(() => {
  liveHolder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
});
afterAll(() => {
  liveHolder.kill();
});
beforeEach(() => {
  folder = temporaryFolder('rollgate-lock-');
  lockPath = join(folder.path, 'some.lock');
});
afterEach(() => folder.cleanup());

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** A lock file in the current format. */
function writeOwner(file: string, owner: { pid: number; since?: string; host?: string; token?: string }): string {
  const text = JSON.stringify({ host: hostname(), since: new Date().toISOString(), token: 'someone-else', ...owner });
  writeFileSync(file, text);
  return text;
}

describe('the owner record', () => {
  it('is { pid, host, since, token }', async () => {
    const held = await acquireFileLock(lockPath);
    const written = JSON.parse(readFileSync(lockPath, 'utf8'));
    expect(Object.keys(written).sort()).toEqual(['host', 'pid', 'since', 'token']);
    expect(written).toMatchObject({ pid: process.pid, host: hostname() });
    expect(Date.parse(written.since)).not.toBeNaN();
    await held.release();
  });

  it("is read in the ledger lock's earlier format { pid, host, time, nonce } and the service lock's { pid, host, since, token }", () => {
    expect(parseLockOwner(JSON.stringify({ pid: 7, host: 'h', time: '2025-01-01T00:00:00.000Z', nonce: 'n' }))).toEqual({ pid: 7, host: 'h', since: '2025-01-01T00:00:00.000Z', token: 'n' });
    expect(parseLockOwner(JSON.stringify({ pid: 7, host: 'h', since: 's', token: 't' }))).toEqual({ pid: 7, host: 'h', since: 's', token: 't' });
    expect(parseLockOwner('')).toBeUndefined();
    expect(parseLockOwner('{"pid":')).toBeUndefined();
    expect(parseLockOwner('{"host":"h"}')).toBeUndefined();
  });

  it('a live holder in the earlier ledger format is waited for; a dead one in it is taken over', async () => {
    writeFileSync(lockPath, JSON.stringify({ pid: liveHolder.pid, host: hostname(), time: new Date().toISOString(), nonce: 'old-format' }));
    await expect(acquireFileLock(lockPath, { timeoutMs: 200 })).rejects.toThrow(new RegExp(`held by process ${liveHolder.pid} on `));
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid(), host: hostname(), time: new Date().toISOString(), nonce: 'old-format' }));
    const held = await acquireFileLock(lockPath, { timeoutMs: 200 });
    await held.release();
  });
});

describe('the liveness and staleness rule', () => {
  const now = Date.now();
  const owner = (pid: number, extra: { host?: string; since?: string; token?: string } = {}) => ({ pid, host: hostname(), since: new Date(now).toISOString(), token: 't', ...extra });

  it('a holder of this machine is alive while its process runs', () => {
    expect(isStale(owner(liveHolder.pid!), {}, now)).toBe(false);
    expect(isStale(owner(deadPid()), {}, now)).toBe(true);
  });

  it('a holder on another machine is not judged by its pid', () => {
    expect(isStale(owner(deadPid(), { host: 'some-other-host' }), {}, now)).toBe(false);
  });

  it('a holder naming this process is alive only while this process holds its token (a reused pid is not)', async () => {
    expect(isStale(owner(process.pid, { token: 'left-by-an-earlier-process-with-our-pid' }), {}, now)).toBe(true);
    const held = await acquireFileLock(lockPath);
    expect(isStale(held.owner, {}, now)).toBe(false);
    await held.release();
    expect(isStale(held.owner, {}, now)).toBe(true);
  });

  it('with staleAfterMs, an old lock is stale even when its holder lives; without it, never by age', () => {
    const old = owner(liveHolder.pid!, { since: new Date(now - 60_000).toISOString() });
    expect(isStale(old, { staleAfterMs: 30_000 }, now)).toBe(true);
    expect(isStale(old, {}, now)).toBe(false);
  });
});

describe('acquireFileLock', () => {
  it('waits a bounded time for a live holder, then fails naming it, and leaves its lock', async () => {
    writeOwner(lockPath, { pid: liveHolder.pid! });
    const attempt = acquireFileLock(lockPath, { timeoutMs: 300 });
    await expect(attempt).rejects.toBeInstanceOf(LockBusyError);
    await expect(attempt).rejects.toThrow(new RegExp(`held by process ${liveHolder.pid} on `));
    expect(existsSync(lockPath)).toBe(true);
  });

  it('a lock from another host is not judged by pid', async () => {
    writeOwner(lockPath, { pid: deadPid(), host: 'some-other-host' });
    await expect(acquireFileLock(lockPath, { timeoutMs: 200 })).rejects.toThrow(/some-other-host/);
  });

  it('takes over a lock whose record never got written once it is older than the short bound, and waits for a fresh one', async () => {
    writeFileSync(lockPath, '');
    const started = Date.now();
    // Fresh and empty: its writer may be between creating and filling it, so even timeoutMs 0 waits.
    const held = await acquireFileLock(lockPath, { timeoutMs: 0, unreadableStaleAfterMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await held.release();
    writeFileSync(lockPath, '');
    const past = new Date(Date.now() - 10_000);
    utimesSync(lockPath, past, past);
    await (await acquireFileLock(lockPath, { timeoutMs: 0 })).release();
  });

  it('a holder that lost its lock to a takeover notices before writing, and its release leaves the new lock', async () => {
    const held = await acquireFileLock(lockPath);
    // What a takeover does: the old lock file goes, a new one takes its name.
    rmSync(lockPath);
    writeOwner(lockPath, { pid: liveHolder.pid! });
    await expect(held.assertHeld()).rejects.toThrow(/lost the lock .*some\.lock/);
    await held.release();
    expect(existsSync(lockPath)).toBe(true);
  });

  it('readLockHolder only reads: a live holder is named, a stale lock is reported as none and left in place', async () => {
    expect(await readLockHolder(lockPath)).toBeUndefined();
    writeOwner(lockPath, { pid: liveHolder.pid! });
    expect(await readLockHolder(lockPath)).toMatchObject({ pid: liveHolder.pid });
    const stale = writeOwner(lockPath, { pid: deadPid() });
    expect(await readLockHolder(lockPath)).toBeUndefined();
    expect(readFileSync(lockPath, 'utf8')).toBe(stale);
  });
});

describe('the ledger lock', () => {
  let ledgerFile: string;
  let ledgerLock: string;
  beforeEach(() => {
    ledgerFile = join(folder.path, 'ledger.jsonl');
    ledgerLock = `${ledgerFile}.lock`;
  });

  it('is taken over at once when its holder process is dead', async () => {
    writeOwner(ledgerLock, { pid: deadPid() });
    const started = Date.now();
    const entry = await new Ledger({ path: ledgerFile, lock: { timeoutMs: 5_000 } }).append(sampleEntry(1));
    expect(entry.seq).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(existsSync(ledgerLock)).toBe(false);
  });

  it('is taken over when it is older than the bound, even if its holder lives', async () => {
    writeOwner(ledgerLock, { pid: liveHolder.pid!, since: new Date(Date.now() - 60_000).toISOString() });
    const entry = await new Ledger({ path: ledgerFile, lock: { timeoutMs: 5_000, staleAfterMs: 30_000 } }).append(sampleEntry(1));
    expect(entry.seq).toBe(1);
  });

  it('is taken over when it has no readable content and is older than the short bound', async () => {
    writeFileSync(ledgerLock, '');
    const past = new Date(Date.now() - 10_000);
    utimesSync(ledgerLock, past, past);
    expect((await new Ledger({ path: ledgerFile, lock: { timeoutMs: 5_000 } }).append(sampleEntry(1))).seq).toBe(1);
  });

  it('makes a writer wait a bounded time, then fail with a clear error naming the holder', async () => {
    writeOwner(ledgerLock, { pid: liveHolder.pid! });
    const ledger = new Ledger({ path: ledgerFile, lock: { timeoutMs: 300 } });
    const attempt = ledger.append(sampleEntry(1));
    await expect(attempt).rejects.toThrow(LedgerLockTimeoutError);
    await expect(attempt).rejects.toThrow(new RegExp(`could not lock the ledger within \\d+ ms: .* held by process ${liveHolder.pid} on .*delete .*\\.lock and retry`));
    expect(existsSync(ledgerFile)).toBe(false);
    expect(existsSync(ledgerLock)).toBe(true);
  });

  it('is released after each append, even when the append fails', async () => {
    const ledger = new Ledger({ path: ledgerFile });
    await ledger.append(sampleEntry(1));
    expect(existsSync(ledgerLock)).toBe(false);
    writeFileSync(ledgerFile, '{"seq":1,"hash":"0"}\n{"seq":2,"hash":"1"}\n');
    await expect(ledger.append(sampleEntry(2))).rejects.toThrow(/altered/);
    expect(existsSync(ledgerLock)).toBe(false);
  });
});

describe('the service lock', () => {
  it('refuses a second runner (also in this process) and takes over a stale lock', async () => {
    const dir = folder.path;
    const lock = await acquireServiceLock(dir, 'churn-scorer');
    await expect(acquireServiceLock(dir, 'churn-scorer')).rejects.toBeInstanceOf(LockHeldError);
    await lock.release();
    const again = await acquireServiceLock(dir, 'churn-scorer');
    await again.release();

    // A lock left by a process that no longer exists is stale.
    writeFileSync(join(dir, 'churn-scorer.lock'), JSON.stringify({ pid: deadPid(), host: hostname(), since: 'x', token: 'dead' }));
    const taken = await acquireServiceLock(dir, 'churn-scorer');
    expect(JSON.parse(readFileSync(taken.file, 'utf8')).pid).toBe(process.pid);
    await taken.release();
  });

  it('a live runner of another process is refused at once, named, and never taken over by age', async () => {
    const dir = folder.path;
    writeOwner(join(dir, 'churn-scorer.lock'), { pid: liveHolder.pid!, since: new Date(Date.now() - 24 * 3600_000).toISOString() });
    const started = Date.now();
    const refused = await acquireServiceLock(dir, 'churn-scorer').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LockHeldError);
    expect((refused as LockHeldError).message).toMatch(new RegExp(`another runner \\(pid ${liveHolder.pid} on ${hostname()}, since .*\\) is driving the rollout of churn-scorer`));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await serviceLockHolder(dir, 'churn-scorer')).toMatchObject({ pid: liveHolder.pid });
  });

  it('names in the lock file are encoded so no service name leaves the folder', async () => {
    const lock = await acquireServiceLock(folder.path, '../escape');
    expect(lock.file).toBe(join(folder.path, '..%2Fescape.lock'));
    await lock.release();
  });
});
