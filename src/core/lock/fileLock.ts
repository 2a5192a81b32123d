// The one lock primitive of Rollgate: an exclusive lock file holding an owner record. The ledger
// takes it for each append (milliseconds), a rollout runner for as long as it drives a service
// (hours). Both judge a holder by the same rule, written once in `isStale`.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';

import { isProcessAlive } from './processes';

/**
 * The owner record a lock file holds, written as JSON `{ "pid", "host", "since", "token" }`.
 * Files of the earlier formats are read too: the ledger lock's `{ pid, host, time, nonce }` and
 * the service lock's `{ pid, host, since, token }` (the same as today's).
 */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Random token telling two holders with the same pid apart (a reused pid, two locks in one process). */
  token: string;
}

export interface FileLockOptions {
  /** How long to wait for a live holder before giving up; 0 gives up at once. Default 10 s. */
  timeoutMs?: number;
  /**
   * A lock held longer than this is stale even if its holder seems alive: for locks that are held
   * briefly (a ledger append holds it for milliseconds), so a lock this old belongs to a hung
   * process. Default: none (a rollout runner holds its lock for as long as it runs).
   */
  staleAfterMs?: number;
  /**
   * A lock file without a readable owner record older than this is stale (default 2 s): its
   * holder died between creating it and writing the record.
   */
  unreadableStaleAfterMs?: number;
  now?: () => number;
}

/** Thrown when a live holder kept the lock past `timeoutMs`; names the holder. */
export class LockBusyError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockOwner | undefined,
    readonly waitedMs: number,
  ) {
    super(`${lockPath} is held by ${describeLockOwner(holder)}`);
    this.name = 'LockBusyError';
  }
}

/** A held lock. `assertHeld` checks nobody took it over; `release` removes it if still ours. */
export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

/** `process 123 on build-7 since 2025-01-01T00:00:00.000Z`, or `an unknown process`. */
export function describeLockOwner(owner: LockOwner | undefined): string {
  return owner ? `process ${owner.pid} on ${owner.host} since ${owner.since}` : 'an unknown process';
}

/** Tokens of the locks this process holds: how a lock naming this process's pid is judged. */
const heldTokens = new Set<string>();

/** Reads an owner record in the current or an earlier format; undefined when there is none. */
export function parseLockOwner(text: string): LockOwner | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A holder that died before writing its record leaves an empty or partial file.
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const since = value.since ?? value.time;
  const token = value.token ?? value.nonce;
  if (typeof value.pid !== 'number' || typeof token !== 'string') return undefined;
  return { pid: value.pid, host: typeof value.host === 'string' ? value.host : 'unknown', since: typeof since === 'string' ? since : 'unknown', token };
}

/**
 * The one liveness and staleness rule. A holder on another machine is taken to be alive (its pid
 * means nothing here); on this machine it is alive while its process runs, and a holder naming
 * this very process is alive while this process holds that token. A lock is stale when its holder
 * is not alive, or when it is older than `staleAfterMs` (for locks that are held briefly).
 */
export function isStale(owner: LockOwner, options: Pick<FileLockOptions, 'staleAfterMs'>, now: number, thisHost = hostname()): boolean {
  const alive = owner.host !== thisHost ? true : owner.pid === process.pid ? heldTokens.has(owner.token) : isProcessAlive(owner.pid);
  if (!alive) return true;
  if (options.staleAfterMs === undefined) return false;
  const since = Date.parse(owner.since);
  // An unparsable time cannot prove the lock is young: a brief lock with one is old by definition.
  return Number.isNaN(since) || now - since > options.staleAfterMs;
}

async function readLockFile(lockPath: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    return { text, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Who holds the lock now, read-only: the owner of a live lock, or undefined when there is no
 * lock or only a stale one. Never takes over or removes anything.
 */
export async function readLockHolder(lockPath: string, options: Pick<FileLockOptions, 'staleAfterMs' | 'now'> = {}): Promise<LockOwner | undefined> {
  const current = await readLockFile(lockPath);
  const owner = current ? parseLockOwner(current.text) : undefined;
  if (!owner) return undefined;
  return isStale(owner, options, (options.now ?? Date.now)()) ? undefined : owner;
}

/**
 * Takes an exclusive lock: a file created with `open(path, 'wx')` holding the owner record. A
 * stale lock ({@link isStale}, or no readable record for `unreadableStaleAfterMs`) is taken
 * over. A live one is waited for with jittered backoff up to `timeoutMs`, then
 * {@link LockBusyError}. A lock file whose record is still being written is always waited for.
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<HeldLock> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const unreadableStaleAfterMs = options.unreadableStaleAfterMs ?? 2_000;
  const thisHost = hostname();
  const started = now();
  let delayMs = 1;

  for (;;) {
    const owner: LockOwner = { pid: process.pid, host: thisHost, since: new Date(now()).toISOString(), token: randomBytes(12).toString('hex') };
    let handle: FileHandle | undefined;
    try {
      handle = await fs.open(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (handle) {
      heldTokens.add(owner.token);
      try {
        await handle.writeFile(JSON.stringify(owner));
        const { ino, dev } = await handle.stat();
        return heldLock(lockPath, owner, handle, { ino, dev });
      } catch (error) {
        heldTokens.delete(owner.token);
        await handle.close().catch(() => undefined);
        await fs.unlink(lockPath).catch(() => undefined);
        throw error;
      }
    }

    const current = await readLockFile(lockPath);
    if (current === undefined) continue; // Released between our attempt and the read: retry at once.
    const holder = parseLockOwner(current.text);
    const stale = holder ? isStale(holder, options, now(), thisHost) : now() - current.mtimeMs > unreadableStaleAfterMs;
    if (stale) {
      await takeOver(lockPath, current.text);
      delayMs = 1;
      continue;
    }
    const waited = now() - started;
    // A record still being written is no answer yet: wait for it (at most unreadableStaleAfterMs).
    if (holder && waited >= timeoutMs) throw new LockBusyError(lockPath, holder, waited);
    // Jitter keeps several waiting takers from retrying in lockstep.
    await new Promise((resolve) => setTimeout(resolve, delayMs + Math.random() * delayMs));
    delayMs = Math.min(delayMs * 2, 25);
  }
}

/**
 * Removes a stale lock without removing a fresh one another taker created meanwhile: the lock
 * is renamed to a private name first, and if what was renamed is not the stale content judged
 * earlier, it is linked back (link fails rather than overwrite if yet another lock appeared).
 */
async function takeOver(lockPath: string, staleText: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== undefined && moved !== staleText) {
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
}

/**
 * The lock file is identified by device and inode, kept from its creation: checking that it is
 * still ours costs one stat, and a takeover that restores a lock by hard link keeps its identity.
 */
function heldLock(lockPath: string, owner: LockOwner, handle: FileHandle, identity: { ino: number; dev: number }): HeldLock {
  const isOurs = async (): Promise<boolean> => {
    try {
      const { ino, dev } = await fs.stat(lockPath);
      return ino === identity.ino && dev === identity.dev;
    } catch {
      return false;
    }
  };
  let released: Promise<void> | undefined;
  return {
    path: lockPath,
    owner,
    async assertHeld() {
      if (!(await isOurs())) {
        throw new Error(`lost the lock ${lockPath} to another taker (it was judged stale); nothing was written, retry`);
      }
    },
    release() {
      released ??= (async () => {
        try {
          if (await isOurs()) await fs.unlink(lockPath).catch(() => undefined);
        } finally {
          heldTokens.delete(owner.token);
          await handle.close().catch(() => undefined);
        }
      })();
      return released;
    },
  };
}
