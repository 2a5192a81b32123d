import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { computeEntryHash, GENESIS_HASH, sealEntry, sha256Hex } from './canonical';
import type { FileLockOptions } from '../lock/index';
import { acquireLedgerLock } from './ledgerLock';
import { linesBackward, readLinesBackward, readLinesForward } from './lines';
import { findAndRedact, type SecretHit, type SecretValues } from './redact';
import type { LedgerEntry, LedgerEntryInput } from './types';
import { verifyLedgerFile, type LedgerVerifyResult } from './verify';

/** `.rollgate/ledger.jsonl` under a workspace folder. */
export function defaultLedgerPath(workspaceRoot: string): string {
  return join(workspaceRoot, '.rollgate', 'ledger.jsonl');
}

export interface LedgerOptions {
  /** The ledger file; its folder is created on the first append. */
  path: string;
  /** Secret values (by name) that must never reach the file. */
  secrets?: SecretValues;
  /** What `append` does when an entry contains a registered secret: replace it (default) or refuse. */
  onSecret?: 'redact' | 'refuse';
  lock?: FileLockOptions;
  /** Source of entry times (tests). */
  clock?: () => Date;
  /**
   * Writes bytes at the end of the open ledger file. A seam for fault injection: crash tests
   * use it to kill the process part-way through a line.
   */
  writeBytes?: (handle: FileHandle, bytes: Buffer) => Promise<void>;
}

export interface LedgerReadOptions {
  service?: string;
  action?: string | readonly string[];
  /** Newest entry first (reads the file backwards, in chunks). Default: oldest first. */
  newestFirst?: boolean;
  /** Stop after this many matching entries. */
  limit?: number;
}

/** What a repair did with a torn last line. */
export interface LedgerRepair {
  /** Where the torn bytes were moved. */
  tornFile: string;
  bytes: number;
  sha256: string;
  /** The `ledger-repair` entry recording it in the chain. */
  entry: LedgerEntry;
}

/** The file's last entry is unreadable or does not match its own hash: appending would extend a broken chain. */
export class LedgerCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerCorruptError';
  }
}

/** `append` was given an entry holding a registered secret while `onSecret` is `refuse`. */
export class LedgerSecretError extends Error {
  constructor(readonly hits: SecretHit[]) {
    super(`refusing to record secret values in the ledger: ${hits.map((hit) => `${hit.name} at ${hit.path}`).join(', ')}`);
    this.name = 'LedgerSecretError';
  }
}

interface Tail {
  /** The last whole entry, if any. */
  last?: { seq: number; hash: string };
  torn?: { offset: number; size: number };
  /** The last entry is whole but its newline is missing. */
  missingNewline?: boolean;
}

/** Appends in this process are queued per file, so they do not compete for the file lock. */
const queues = new Map<string, Promise<unknown>>();

async function defaultWriteBytes(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/** fsync of a directory makes a created or renamed entry in it durable; not possible on Windows. */
async function syncDirectory(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(path, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

async function ensureDirectory(path: string): Promise<void> {
  const firstCreated = await fs.mkdir(path, { recursive: true });
  if (firstCreated === undefined) return;
  // Sync each new folder and the one holding the first, so the path survives a power cut.
  let current = path;
  const created: string[] = [];
  while (current.length >= firstCreated.length) {
    created.push(current);
    current = dirname(current);
  }
  for (const folder of [...created, dirname(firstCreated)]) await syncDirectory(folder);
}

/** Opens the ledger for reading and appending, saying whether this call created it. */
async function openForAppend(path: string): Promise<{ handle: FileHandle; created: boolean }> {
  try {
    return { handle: await fs.open(path, 'ax+'), created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { handle: await fs.open(path, 'a+'), created: false };
  }
}

function timestampForFileName(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * The append-only, hash-chained changelog. Each entry is one line of canonical JSON carrying the
 * hash of the previous entry and its own hash. Appends are durable (written and fsynced before
 * `append` resolves) and serialised across processes by a lock file next to the ledger.
 */
export class Ledger {
  readonly path: string;
  private readonly lockPath: string;
  private readonly secrets = new Map<string, string>();
  /** Set once the folder is known to exist, to spare a mkdir per append. */
  private folderReady = false;
  /** Seq of the last entry whose missing final newline this instance wrote again, if it did. */
  restoredNewline: number | undefined;

  constructor(private readonly options: LedgerOptions) {
    this.path = resolve(options.path);
    this.lockPath = `${this.path}.lock`;
    const initial = options.secrets ?? {};
    const pairs = initial instanceof Map ? [...initial.entries()] : Object.entries(initial);
    for (const [name, value] of pairs) this.registerSecret(name, value);
  }

  /** Adds a secret whose value `append` will redact (or refuse) from now on. */
  registerSecret(name: string, value: string): void {
    if (value) this.secrets.set(name, value);
  }

  /**
   * Appends one entry and resolves with it once it is on disk. Fills in `seq`, `time`, `prev`
   * and `hash` under the lock. If the file ends with a torn line from an interrupted append,
   * that line is first moved to `<ledger>.torn-<time>` and a `ledger-repair` entry records it.
   */
  async append(input: LedgerEntryInput): Promise<LedgerEntry> {
    const entries = await this.appendMany([input]);
    return entries[0]!;
  }

  /**
   * Appends several entries, consecutively, under one lock and one fsync: all of them are on
   * disk when it resolves. A crash part-way leaves whole entries and at most one torn line.
   */
  async appendMany(inputs: readonly LedgerEntryInput[]): Promise<LedgerEntry[]> {
    for (const input of inputs) {
      if (typeof input.actor !== 'string' || input.actor === '') throw new TypeError('ledger entry needs an actor');
      if (typeof input.action !== 'string' || input.action === '') throw new TypeError('ledger entry needs an action');
    }
    if (inputs.length === 0) return [];
    const safe = inputs.map((input) => this.withoutSecrets(input));
    return this.exclusive((handle, tail) => this.writeEntries(handle, tail, safe));
  }

  /**
   * Moves a torn last line aside and records the repair, as the next append would. Resolves
   * with what was done, or undefined when the file had no torn line (or does not exist).
   */
  async repair(): Promise<LedgerRepair | undefined> {
    try {
      await fs.access(this.path);
    } catch {
      return undefined;
    }
    // Only the tail can be repaired: a chain broken before it must be restored, not extended.
    const checked = await verifyLedgerFile(this.path);
    if (!checked.ok && !checked.torn) {
      throw new LedgerCorruptError(`${checked.problem ?? 'the chain is broken'}; the ledger was not repaired (only a torn last line can be). Restore ${this.path} from a copy`);
    }
    let repair: LedgerRepair | undefined;
    await this.exclusive(async (_handle, _tail, repaired) => {
      repair = repaired;
      return [];
    });
    return repair;
  }

  /** Entries that match the filters, oldest first unless `newestFirst`. Lines that are not entries are skipped: use `verify` to find them. */
  async *read(options: LedgerReadOptions = {}): AsyncGenerator<LedgerEntry> {
    const actions = options.action === undefined ? undefined : new Set(typeof options.action === 'string' ? [options.action] : options.action);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    let lines: AsyncGenerator<{ text: string; terminated: boolean }>;
    try {
      lines = options.newestFirst ? readLinesBackward(this.path) : readLinesForward(this.path);
      let yielded = 0;
      for await (const line of lines) {
        if (!line.terminated) continue; // A torn line is never an entry.
        let entry: LedgerEntry;
        try {
          entry = JSON.parse(line.text) as LedgerEntry;
        } catch {
          continue;
        }
        if (entry === null || typeof entry !== 'object' || typeof entry.seq !== 'number' || typeof entry.hash !== 'string') continue;
        if (options.service !== undefined && entry.service !== options.service) continue;
        if (actions && !actions.has(entry.action)) continue;
        yield entry;
        yielded += 1;
        if (yielded >= limit) return;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
  }

  /** `read` collected into an array. */
  async list(options: LedgerReadOptions = {}): Promise<LedgerEntry[]> {
    const result: LedgerEntry[] = [];
    for await (const entry of this.read(options)) result.push(entry);
    return result;
  }

  /** Checks the whole chain; see `verifyLedgerFile`. Rejects if the file cannot be read. */
  verify(): Promise<LedgerVerifyResult> {
    return verifyLedgerFile(this.path);
  }

  private withoutSecrets(input: LedgerEntryInput): LedgerEntryInput {
    if (this.secrets.size === 0) return input;
    const { value, hits } = findAndRedact(input, this.secrets);
    if (hits.length > 0 && this.options.onSecret === 'refuse') throw new LedgerSecretError(hits);
    return value;
  }

  /**
   * Runs `work` holding this process's queue slot and the file lock, with the ledger open for
   * appending, its tail inspected and any torn line already moved aside.
   */
  private exclusive(work: (handle: FileHandle, tail: Tail, repaired: LedgerRepair | undefined) => Promise<LedgerEntry[]>): Promise<LedgerEntry[]> {
    const previous = queues.get(this.path) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.locked(work));
    const settled = run.catch(() => undefined);
    queues.set(this.path, settled);
    void settled.then(() => {
      if (queues.get(this.path) === settled) queues.delete(this.path);
    });
    return run;
  }

  private async locked(work: (handle: FileHandle, tail: Tail, repaired: LedgerRepair | undefined) => Promise<LedgerEntry[]>): Promise<LedgerEntry[]> {
    const folder = dirname(this.path);
    if (!this.folderReady) {
      await ensureDirectory(folder);
      this.folderReady = true;
    }
    let lock;
    try {
      lock = await acquireLedgerLock(this.lockPath, this.options.lock);
    } catch (error) {
      // The folder was removed since the last append: create it again, once.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await ensureDirectory(folder);
      lock = await acquireLedgerLock(this.lockPath, this.options.lock);
    }
    try {
      const { handle, created } = await openForAppend(this.path);
      try {
        if (created) await syncDirectory(folder);
        let tail = await this.inspectTail(handle);
        if (tail.missingNewline) {
          await lock.assertHeld();
          await (this.options.writeBytes ?? defaultWriteBytes)(handle, Buffer.from('\n'));
          await handle.sync();
          this.restoredNewline = tail.last!.seq;
        }
        let repaired: LedgerRepair | undefined;
        if (tail.torn) {
          await lock.assertHeld();
          const moved = await this.moveTornAside(handle, tail.torn);
          const [entry] = await this.writeEntries(handle, tail, [
            {
              actor: 'rollgate',
              action: 'ledger-repair',
              reason: `The last line was torn by an interrupted append; its ${moved.bytes} bytes were moved to ${moved.tornFile} and are not part of the chain.`,
              details: { tornFile: moved.tornFile, bytes: moved.bytes, sha256: moved.sha256 },
            },
          ]);
          repaired = { ...moved, entry: entry! };
          tail = { last: { seq: entry!.seq, hash: entry!.hash } };
        }
        await lock.assertHeld();
        return await work(handle, tail, repaired);
      } finally {
        await handle.close();
      }
    } finally {
      await lock.release();
    }
  }

  /**
   * Finds the last whole entry without reading the file from the start. A last line without its
   * newline is still whole when it verifies and chains to the entry before it (a crash between
   * writing the entry and its newline, or an editor that strips final newlines): it keeps its
   * place, and only its newline is written again. Anything else after the last newline is torn.
   */
  private async inspectTail(handle: FileHandle): Promise<Tail> {
    const { size } = await handle.stat();
    let torn: Tail['torn'];
    let unterminated: { entry: LedgerEntry; start: number } | undefined;
    const readEntry = (text: string): LedgerEntry | undefined => {
      try {
        const parsed = JSON.parse(text) as LedgerEntry;
        return parsed !== null && typeof parsed === 'object' && typeof parsed.seq === 'number' && typeof parsed.hash === 'string' ? parsed : undefined;
      } catch {
        return undefined;
      }
    };
    for await (const line of linesBackward(handle, size)) {
      if (torn === undefined && unterminated === undefined && !line.terminated) {
        const entry = readEntry(line.text);
        if (entry && computeEntryHash(entry) === entry.hash) unterminated = { entry, start: line.start };
        else torn = { offset: line.start, size };
        continue;
      }
      if (unterminated) {
        const previous = readEntry(line.text);
        const chains = previous !== undefined && computeEntryHash(previous) === previous.hash && unterminated.entry.prev === previous.hash && unterminated.entry.seq === previous.seq + 1;
        if (chains) return { last: { seq: unterminated.entry.seq, hash: unterminated.entry.hash }, missingNewline: true };
        torn = { offset: unterminated.start, size };
        unterminated = undefined;
      }
      let parsed: unknown;
      let parses = true;
      try {
        parsed = JSON.parse(line.text);
      } catch {
        parses = false;
      }
      if (torn === undefined && !parses) {
        torn = { offset: line.start, size };
        continue;
      }
      const entry = parsed as LedgerEntry | undefined;
      if (!parses || entry === null || typeof entry !== 'object' || typeof entry.seq !== 'number' || typeof entry.hash !== 'string') {
        throw new LedgerCorruptError(`the ledger ${this.path} is damaged near byte ${line.start} (its last entry is not readable); run 'rollgate ledger verify' and restore it before appending`);
      }
      if (computeEntryHash(entry) !== entry.hash) {
        throw new LedgerCorruptError(`the last entry of ${this.path} (seq ${entry.seq}) does not match its hash: it was altered. Run 'rollgate ledger verify' and restore the file before appending`);
      }
      return { last: { seq: entry.seq, hash: entry.hash }, torn };
    }
    if (unterminated) {
      // The only line: whole when it is the first entry of a chain.
      if (unterminated.entry.seq === 1 && unterminated.entry.prev === GENESIS_HASH) return { last: { seq: 1, hash: unterminated.entry.hash }, missingNewline: true };
      torn = { offset: unterminated.start, size };
    }
    return { torn };
  }

  private async moveTornAside(handle: FileHandle, torn: NonNullable<Tail['torn']>): Promise<Omit<LedgerRepair, 'entry'>> {
    const bytes = Buffer.alloc(torn.size - torn.offset);
    await handle.read(bytes, 0, bytes.length, torn.offset);
    const stamp = timestampForFileName(this.options.clock?.() ?? new Date());
    let aside: FileHandle | undefined;
    let asidePath = '';
    for (let attempt = 0; aside === undefined; attempt += 1) {
      asidePath = `${this.path}.torn-${stamp}${attempt === 0 ? '' : `-${attempt}`}`;
      try {
        aside = await fs.open(asidePath, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    try {
      await aside.writeFile(bytes);
      await aside.sync();
    } finally {
      await aside.close();
    }
    // The fragment is safe on disk before it leaves the ledger: a crash here at worst keeps two copies.
    await syncDirectory(dirname(this.path));
    await handle.truncate(torn.offset);
    await handle.sync();
    return { tornFile: basename(asidePath), bytes: bytes.length, sha256: sha256Hex(bytes) };
  }

  private async writeEntries(handle: FileHandle, tail: Tail, inputs: LedgerEntryInput[]): Promise<LedgerEntry[]> {
    let previous = tail.last ?? { seq: 0, hash: GENESIS_HASH };
    const written: LedgerEntry[] = [];
    const lines: string[] = [];
    for (const input of inputs) {
      const { seq: _seq, time: _time, prev: _prev, hash: _hash, ...rest } = input as Partial<LedgerEntry> & LedgerEntryInput;
      const time = (this.options.clock?.() ?? new Date()).toISOString();
      const { entry, line } = sealEntry({ ...rest, seq: previous.seq + 1, time, prev: previous.hash });
      written.push(entry);
      lines.push(line);
      previous = { seq: entry.seq, hash: entry.hash };
    }
    if (lines.length === 0) return written;
    await (this.options.writeBytes ?? defaultWriteBytes)(handle, Buffer.from(lines.join(''), 'utf8'));
    await handle.sync();
    return written;
  }
}
