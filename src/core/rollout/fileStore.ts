import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { RolloutSnapshot, StateStore } from './state';
import { isProcessAlive } from '../processes';

/** Default folder for rollout state, relative to the workspace. */
export const DEFAULT_STATE_DIR = path.join('.rollgate', 'state');

function stateFile(dir: string, service: string): string {
  // Service names are validated plan names; encode anyway so no name can escape the folder.
  return path.join(dir, `${encodeURIComponent(service)}.json`);
}

/**
 * Rollout state as JSON files, one per service. Each save writes a temporary file, fsyncs it
 * and renames it over the old one, so a crash leaves either the old or the new state, never half.
 */
export class FileStateStore implements StateStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {}

  async load(service: string): Promise<RolloutSnapshot | undefined> {
    let text: string;
    try {
      text = await fs.readFile(stateFile(this.dir, service), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = JSON.parse(text) as RolloutSnapshot;
    if (parsed.schema !== 1 || parsed.service !== service) throw new Error(`${stateFile(this.dir, service)} is not a Rollgate rollout state file`);
    return parsed;
  }

  save(snapshot: RolloutSnapshot): Promise<void> {
    // Saves are chained so an older snapshot can never be renamed over a newer one.
    const next = this.queue.then(() => this.write(snapshot));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(snapshot: RolloutSnapshot): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const target = stateFile(this.dir, snapshot.service);
    const temporary = `${target}.${process.pid}.${randomUUID()}.tmp`;
    const handle = await fs.open(temporary, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(snapshot, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temporary, target);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
  }
}

/** Thrown when another live runner already drives the service. */
export class LockHeldError extends Error {
  constructor(
    readonly service: string,
    readonly holder: LockInfo,
  ) {
    super(`another runner (pid ${holder.pid} on ${holder.host}, since ${holder.since}) is driving the rollout of ${service}; wait for it or stop it`);
    this.name = 'LockHeldError';
  }
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  token: string;
}

/** A held service lock; release it when the runner stops. */
export interface ServiceLock {
  readonly file: string;
  release(): Promise<void>;
}

/** Locks held by this process, so a second engine in the same process is refused too. */
const heldTokens = new Set<string>();

/**
 * Takes `<dir>/<service>.lock` (a JSON file naming pid, host and a token). A lock whose
 * process is gone (same host) is stale and taken over; a live one raises {@link LockHeldError}.
 */
export async function acquireServiceLock(dir: string, service: string): Promise<ServiceLock> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${encodeURIComponent(service)}.lock`);
  const mine: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(mine), { flag: 'wx' });
      heldTokens.add(mine.token);
      return {
        file,
        release: async () => {
          heldTokens.delete(mine.token);
          const current = await readLock(file);
          if (current?.token === mine.token) await fs.rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(file);
    if (holder === undefined) {
      // Unreadable or half-written: give its writer a moment, then treat it as stale.
      if (attempt < 2) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
    } else {
      const sameProcess = holder.pid === process.pid && holder.host === mine.host;
      const alive = sameProcess ? heldTokens.has(holder.token) : holder.host !== mine.host || isProcessAlive(holder.pid);
      if (alive) throw new LockHeldError(service, holder);
    }
    // Stale: move it aside under a unique name so two takers cannot both delete a fresh lock.
    const aside = `${file}.stale.${mine.token}`;
    try {
      await fs.rename(file, aside);
      const moved = await readLock(aside);
      if (holder !== undefined && moved !== undefined && moved.token !== holder.token) {
        // Another taker replaced the stale lock between our read and our rename: put it back.
        await fs.link(aside, file).catch(() => undefined);
      }
      await fs.rm(aside, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid === 'number' && typeof parsed.token === 'string') {
      return { pid: parsed.pid, token: parsed.token, host: parsed.host ?? 'unknown', since: parsed.since ?? 'unknown' };
    }
    return undefined;
  } catch {
    return undefined;
  }
}
