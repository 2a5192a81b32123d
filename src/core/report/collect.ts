// Reads the entries a report covers out of a ledger file, streaming it (a large ledger is never
// held whole), and verifies the file's hash chain so the report can say how far it is vouched for.
import { readLinesBackward, readLinesForward } from '../ledger/lines';
import { verifyLedgerFile } from '../ledger/verify';
import { stringOf } from '../ledger/fields';
import type { CollectedEntry, LedgerCollection, ReportScope, ReportSelector } from './types';

/** The selector matches nothing, or more than one run: the message says what to do. */
export class ReportSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportSelectionError';
  }
}

export interface CollectOptions {
  /** The ledger file. */
  file: string;
  /** How the file is named to the reader (a workspace-relative path); default `file`. */
  shownAs?: string;
  selector: ReportSelector;
}

type Entry = CollectedEntry['entry'];

/** A line parsed as a ledger entry, or undefined when it is not one. */
function parseEntry(text: string): Entry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  if (typeof entry.seq !== 'number' || typeof entry.hash !== 'string' || typeof entry.action !== 'string') return undefined;
  return entry as Entry;
}

/** Calls `visit` for every whole line that is an entry; returns how many whole lines were not. */
async function scan(file: string, visit: (entry: Entry, line: number) => void): Promise<number> {
  let unreadable = 0;
  for await (const line of readLinesForward(file)) {
    if (!line.terminated) continue; // a torn last line: the verification reports it
    const entry = parseEntry(line.text);
    if (entry) visit(entry, line.number);
    else if (line.text.trim() !== '') unreadable += 1;
  }
  return unreadable;
}

const timeOf = (entry: Entry): number => Date.parse(stringOf(entry.time) ?? '');

/** The run id of the newest entry that has one, reading the file from its end. */
async function latestRunId(file: string): Promise<string | undefined> {
  for await (const line of readLinesBackward(file)) {
    if (!line.terminated) continue;
    const runId = stringOf(parseEntry(line.text)?.runId);
    if (runId) return runId;
  }
  return undefined;
}

/** Entries of the one run whose id starts with `prefix`; refuses an ambiguous prefix. */
async function runEntries(file: string, prefix: string): Promise<{ runId: string; entries: { entry: Entry; line: number }[] }> {
  const byRun = new Map<string, { entry: Entry; line: number }[]>();
  await scan(file, (entry, line) => {
    const runId = stringOf(entry.runId);
    if (!runId || !runId.startsWith(prefix)) return;
    const list = byRun.get(runId) ?? [];
    list.push({ entry, line });
    byRun.set(runId, list);
  });
  if (byRun.size === 0) throw new ReportSelectionError(`no entry of the ledger belongs to run '${prefix}'; 'rollgate ledger show' lists the run ids`);
  const exact = byRun.get(prefix);
  if (exact) return { runId: prefix, entries: exact };
  if (byRun.size > 1) {
    throw new ReportSelectionError(`'${prefix}' matches ${byRun.size} runs (${[...byRun.keys()].slice(0, 5).join(', ')}); give more of the run id`);
  }
  const [runId, entries] = [...byRun.entries()][0]!;
  return { runId, entries };
}

/**
 * Reads the entries a report covers and verifies the file:
 * - a run: the run's own entries, and the entries without a run id (runbook cell runs, ledger
 *   repairs) recorded for its service while it ran, or, for a run that never ended (paused,
 *   rollback failed), until the service's next run started: an incident's manual steps are in its report;
 * - a window: every entry of the service (and ledger repairs) between `since` and `until`;
 * - the latest run: the run of the newest entry that has a run id.
 * Entries at or after the first line that fails verification are included but marked unverified.
 * Rejects with {@link ReportSelectionError} when nothing matches, and on I/O errors.
 */
export async function collectFromLedger(options: CollectOptions): Promise<LedgerCollection> {
  const { file, selector } = options;
  const verification = await verifyLedgerFile(file);
  const goodBefore = verification.ok ? Number.POSITIVE_INFINITY : (verification.firstBadLine ?? 1);
  const covered: { entry: Entry; line: number }[] = [];
  let scope: ReportScope;
  let unreadableLines: number;

  if (selector.kind === 'window') {
    const since = selector.since.getTime();
    const until = selector.until?.getTime() ?? Number.POSITIVE_INFINITY;
    unreadableLines = await scan(file, (entry, line) => {
      const service = stringOf(entry.service);
      if (service !== selector.service && !(service === undefined && entry.action === 'ledger-repair')) return;
      const at = timeOf(entry);
      if (at >= since && at <= until) covered.push({ entry, line });
    });
    if (covered.length === 0) {
      throw new ReportSelectionError(`nothing was recorded for service '${selector.service}' between ${selector.since.toISOString()} and ${selector.until?.toISOString() ?? 'now'}`);
    }
    scope = { kind: 'window', runIds: [], service: selector.service, since: selector.since.toISOString(), ...(selector.until ? { until: selector.until.toISOString() } : {}) };
  } else {
    const prefix = selector.kind === 'run' ? selector.runId : await latestRunId(file);
    if (!prefix) throw new ReportSelectionError('the ledger records no rollout run yet; report a time window instead (--service and --since)');
    const run = await runEntries(file, prefix);
    const service = run.entries.map(({ entry }) => stringOf(entry.service)).find((name) => name !== undefined);
    const times = run.entries.map(({ entry }) => timeOf(entry)).filter(Number.isFinite);
    const start = Math.min(...times);
    // A run that ended covers its own span; one that did not (paused, failed) is still the
    // incident until the service's next run starts: the runbook steps that handled it belong to it.
    const ended = run.entries.some(({ entry }) => entry.action === 'rollout-end');
    let end = ended ? Math.max(...times) : Number.POSITIVE_INFINITY;
    const lines = new Set(run.entries.map(({ line }) => line));
    unreadableLines = await scan(file, (entry, line) => {
      if (lines.has(line)) {
        covered.push({ entry, line });
        return;
      }
      const entryService = stringOf(entry.service);
      const at = timeOf(entry);
      if (stringOf(entry.runId) !== undefined) {
        if (entry.action === 'rollout-start' && entryService === service && at > start) end = Math.min(end, at);
        return; // another run
      }
      if (entryService !== service && !(entryService === undefined && entry.action === 'ledger-repair')) return;
      if (at >= start && at <= end) covered.push({ entry, line });
    });
    scope = { kind: 'run', runIds: [run.runId], ...(service ? { service } : {}) };
  }

  covered.sort((a, b) => a.line - b.line);
  const entries: CollectedEntry[] = covered.map(({ entry, line }) => ({ entry, line, verified: line < goodBefore }));
  if (scope.kind === 'window') scope.runIds = [...new Set(entries.map(({ entry }) => stringOf(entry.runId)).filter((id): id is string => id !== undefined))];
  const first = stringOf(entries[0]?.entry.time);
  const last = stringOf(entries.at(-1)?.entry.time);
  if (first) scope.firstAt = first;
  if (last) scope.lastAt = last;
  return { file: options.shownAs ?? file, entries, verification, scope, unreadableLines };
}
