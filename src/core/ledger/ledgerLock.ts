// The ledger's use of the one lock primitive (src/core/lock): `<ledger>.lock`, held for the
// milliseconds of one append, so a lock older than `staleAfterMs` belongs to a hung writer.
import { acquireFileLock, describeLockOwner, LockBusyError, lockClearHint, type FileLockOptions, type HeldLock, type LockOwner } from '../lock/index';

/** Defaults of the ledger lock (docs/ledger.md, "Locking"). */
export const LEDGER_LOCK_DEFAULTS = { timeoutMs: 10_000, staleAfterMs: 30_000, unreadableStaleAfterMs: 2_000 } as const;

/** Thrown when the ledger lock could not be taken in time; names the holder and what to do. */
export class LedgerLockTimeoutError extends LockBusyError {
  constructor(lockPath: string, holder: LockOwner | undefined, waitedMs: number) {
    super(lockPath, holder, waitedMs);
    this.message = `could not lock the ledger within ${waitedMs} ms: ${lockPath} is held by ${describeLockOwner(holder)}. ${lockClearHint(holder, lockPath)}`;
    this.name = 'LedgerLockTimeoutError';
  }
}

/** Takes `<ledger>.lock` with the ledger's defaults; a busy lock becomes {@link LedgerLockTimeoutError}. */
export async function acquireLedgerLock(lockPath: string, options: FileLockOptions = {}): Promise<HeldLock> {
  try {
    return await acquireFileLock(lockPath, { ...LEDGER_LOCK_DEFAULTS, ...options });
  } catch (error) {
    if (error instanceof LockBusyError) throw new LedgerLockTimeoutError(error.lockPath, error.holder, error.waitedMs);
    throw error;
  }
}
