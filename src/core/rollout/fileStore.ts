import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RolloutSnapshot, StateStore } from './state';

/** The state file of a service in a state folder. */
export function stateFile(dir: string, service: string): string {
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
