// One runner per service: `<state dir>/<service>.lock`, the one lock primitive (src/core/lock)
// held for as long as a runner drives the service. No age limit: a rollout runs for hours.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { acquireFileLock, LockBusyError, readLockHolder, type HeldLock, type LockOwner } from '../lock/index';

/** Thrown when another live runner already drives the service. */
export class LockHeldError extends Error {
  constructor(
    readonly service: string,
    readonly holder: LockOwner,
  ) {
    super(`another runner (pid ${holder.pid} on ${holder.host}, since ${holder.since}) is driving the rollout of ${service}; wait for it or stop it`);
    this.name = 'LockHeldError';
  }
}

/** A held service lock; release it when the runner stops. */
export interface ServiceLock {
  readonly file: string;
  release(): Promise<void>;
}

/** The lock file of a service (names are encoded so no service name can leave the folder). */
export function serviceLockFile(stateDir: string, service: string): string {
  return path.join(stateDir, `${encodeURIComponent(service)}.lock`);
}

/**
 * Takes the service's lock, or raises {@link LockHeldError} at once when a live runner holds it
 * (another process, or another engine in this process). A stale lock is taken over.
 */
export async function acquireServiceLock(stateDir: string, service: string): Promise<ServiceLock> {
  await fs.mkdir(stateDir, { recursive: true });
  const file = serviceLockFile(stateDir, service);
  let held: HeldLock;
  try {
    held = await acquireFileLock(file, { timeoutMs: 0 });
  } catch (error) {
    if (error instanceof LockBusyError && error.holder) throw new LockHeldError(service, error.holder);
    throw error;
  }
  return { file, release: () => held.release() };
}

/** Who drives the service now, read-only: never takes over or removes a stale lock. */
export function serviceLockHolder(stateDir: string, service: string): Promise<LockOwner | undefined> {
  return readLockHolder(serviceLockFile(stateDir, service));
}
