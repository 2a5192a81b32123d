import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isProcessAlive } from '../processes';

/** What the lock file holds, so that others can tell who holds it and since when. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  time: string;
  /** Random token telling two holders with the same pid apart. */
  nonce: string;
}

export interface FileLockOptions {
  /** Give up waiting after this long (default 10 s). */
  timeoutMs?: number;
  /**
   * A lock older than this is taken over even if its holder seems alive (default 30 s): an
   * append holds the lock for milliseconds, so a lock this old belongs to a hung process.
   */
  staleAfterMs?: number;
  /**
   * A lock file without readable content older than this is taken over (default 2 s): its
   * holder died between creating it and writing its pid.
   */
  unreadableStaleAfterMs?: number;
  now?: () => number;
}

/** Thrown when the lock could not be taken in time; names the holder and what to do. */
export class LedgerLockTimeoutError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockOwner | undefined,
    waitedMs: number,
  ) {
    const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.time}` : 'an unknown process';
    super(
      `could not lock the ledger within ${waitedMs} ms: ${lockPath} is held by ${who}. ` +
        'If no Rollgate process is running, delete the lock file and retry.',
    );
    this.name = 'LedgerLockTimeoutError';
  }
}

/** A held lock. `assertHeld` checks nobody took it over; `release` removes it if still ours. */
export interface HeldLock {
  readonly owner: LockOwner;
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.time === 'string' && typeof value.host === 'string' && typeof value.nonce === 'string') {
      return value as LockOwner;
    }
  } catch {
    // A holder that died before writing its content leaves an empty or partial file.
  }
  return undefined;
}

async function readLock(lockPath: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    return { text, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Takes an exclusive lock: a file created with `open(path, 'wx')` holding pid, host, time and a
 * nonce. A lock whose holder is dead (same host), that is older than `staleAfterMs`, or that has
 * had no readable content for `unreadableStaleAfterMs`, is taken over. Waits with backoff up to
 * `timeoutMs`, then throws `LedgerLockTimeoutError`.
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<HeldLock> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const unreadableStaleAfterMs = options.unreadableStaleAfterMs ?? 2_000;
  const started = now();
  let delayMs = 1;
  let lastHolder: LockOwner | undefined;

  for (;;) {
    const owner: LockOwner = { pid: process.pid, host: hostname(), time: new Date(now()).toISOString(), nonce: randomBytes(8).toString('hex') };
    let handle: FileHandle | undefined;
    try {
      handle = await fs.open(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (handle) {
      try {
        await handle.writeFile(JSON.stringify(owner));
        const { ino, dev } = await handle.stat();
        return heldLock(lockPath, owner, handle, { ino, dev });
      } catch (error) {
        await handle.close().catch(() => undefined);
        await fs.unlink(lockPath).catch(() => undefined);
        throw error;
      }
    }

    const current = await readLock(lockPath);
    if (current) {
      const holder = parseOwner(current.text);
      lastHolder = holder;
      const stale = holder
        ? (holder.host === owner.host && holder.pid !== process.pid && !isProcessAlive(holder.pid)) || now() - Date.parse(holder.time) > staleAfterMs
        : now() - current.mtimeMs > unreadableStaleAfterMs;
      if (stale && (await takeOver(lockPath, current.text))) {
        delayMs = 1;
        continue;
      }
    }
    if (current === undefined) continue; // Released between our attempt and the read: retry at once.

    const waited = now() - started;
    if (waited >= timeoutMs) throw new LedgerLockTimeoutError(lockPath, lastHolder, waited);
    // Jitter keeps several waiting writers from retrying in lockstep.
    await new Promise((resolve) => setTimeout(resolve, delayMs + Math.random() * delayMs));
    delayMs = Math.min(delayMs * 2, 25);
  }
}

/**
 * Removes a stale lock without removing a fresh one another waiter created meanwhile: the lock
 * is renamed to a private name first, and if what was renamed is not the stale content judged
 * earlier, it is linked back (link fails rather than overwrite if yet another lock appeared).
 */
async function takeOver(lockPath: string, staleText: string): Promise<boolean> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== undefined && moved !== staleText) {
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
  return true;
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
  return {
    owner,
    async assertHeld() {
      if (!(await isOurs())) {
        throw new Error(`lost the ledger lock ${lockPath} to another writer (it was judged stale); nothing was written, retry`);
      }
    },
    async release() {
      try {
        if (await isOurs()) await fs.unlink(lockPath).catch(() => undefined);
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
  };
}
