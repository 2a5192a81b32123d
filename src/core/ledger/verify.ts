import { stat } from 'node:fs/promises';

import { describeKind } from '../files/confined';
import { computeEntryHash, GENESIS_HASH, sha256Hex } from './canonical';
import { readLineBatches, type FileLine } from './lines';
import type { LedgerEntry } from './types';

/** A line that was cut short: an append interrupted by a crash, never part of the chain. */
export interface TornLine {
  /** 1-based line number. */
  line: number;
  /** Byte offset where the torn line starts (the file is whole up to here). */
  offset: number;
  bytes: number;
  /** Why it counts as torn: no newline after it, or not JSON. */
  reason: 'no-newline' | 'not-json';
}

/** Outcome of checking a whole ledger file. */
export interface LedgerVerifyResult {
  /** True when every line is a whole entry and the chain links from the genesis value to the end. */
  ok: boolean;
  /** Entries that verified, counted from line 1 up to the first problem. */
  entries: number;
  /** Hash and seq of the last entry that verified (GENESIS_HASH and 0 when none did). */
  lastHash: string;
  lastSeq: number;
  /** 1-based number of the first line that is wrong or torn. */
  firstBadLine?: number;
  /** `line N: what is wrong`, for people. */
  problem?: string;
  /** Set when the only problem is a torn last line left by an interrupted append. */
  torn?: TornLine;
  /** The last entry is whole and verifies, but its final newline is missing (the next append adds it). */
  missingFinalNewline?: boolean;
}

const requiredStrings = ['time', 'actor', 'action', 'prev', 'hash'] as const;
const hexHash = /^[0-9a-f]{64}$/;

/**
 * The hash of a line written by Rollgate, computed from its raw text: a line is the canonical
 * encoding of the entry, so removing its `hash` member leaves exactly the text that was hashed.
 * Undefined when the member cannot be found once; the caller then re-encodes the parsed entry.
 */
function hashOfRawLine(text: string, hash: string): string | undefined {
  const member = `,"hash":"${hash}"`;
  const at = text.indexOf(member);
  if (at === -1 || text.indexOf(member, at + 1) !== -1) return undefined;
  return sha256Hex(text.slice(0, at) + text.slice(at + member.length));
}

/**
 * Checks one parsed line against the entry before it; returns what is wrong, or undefined.
 * With the raw line text, a line in canonical form is checked without re-encoding it (fast);
 * any other form (whitespace, key order changed by hand) falls back to re-encoding.
 * Order matters for the message: an entry's own hash first (was it edited?), then its link to
 * the previous entry (was a line deleted, inserted or moved?), then the sequence number.
 */
export function checkEntry(value: unknown, previous: { seq: number; hash: string }, rawText?: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a ledger entry (expected a JSON object)';
  const entry = value as Record<string, unknown>;
  for (const key of requiredStrings) {
    if (typeof entry[key] !== 'string' || entry[key] === '') return `not a ledger entry: "${key}" is missing or not a string`;
  }
  if (typeof entry.seq !== 'number' || !Number.isInteger(entry.seq)) return 'not a ledger entry: "seq" is missing or not an integer';
  if (!hexHash.test(entry.hash as string)) return '"hash" is not a sha256 hex digest';
  const fromRaw = rawText === undefined ? undefined : hashOfRawLine(rawText, entry.hash as string);
  const expected = fromRaw === entry.hash ? fromRaw : computeEntryHash(entry as unknown as LedgerEntry);
  if (expected !== entry.hash) return `hash does not match the entry's content (the entry was altered after it was written)`;
  if (entry.prev !== previous.hash) {
    return previous.seq === 0
      ? `"prev" should be the genesis value for the first entry (lines were deleted or reordered before it)`
      : `"prev" does not match the hash of the previous line (a line was deleted, inserted or reordered)`;
  }
  if (entry.seq !== previous.seq + 1) return `seq ${String(entry.seq)} where ${previous.seq + 1} was expected`;
  return undefined;
}

function parseJson(text: string): { value?: unknown; ok: boolean } {
  try {
    return { value: JSON.parse(text), ok: true };
  } catch {
    return { ok: false };
  }
}

/**
 * Reads a ledger file from the start and checks every line: valid JSON, the entry's own hash,
 * its `prev` link and `seq`. Stops at the first bad line and names it. A last line without a
 * newline, or a last line that is not JSON, is reported as torn (an interrupted append): the
 * chain is valid up to the line before it, and the torn bytes are not accepted as an entry.
 * Rejects only on I/O errors (missing or unreadable file).
 */
export async function verifyLedgerFile(path: string): Promise<LedgerVerifyResult> {
  const stats = await stat(path);
  if (!stats.isFile()) throw Object.assign(new Error(`${path} is ${describeKind(stats)}, not a ledger file`), { code: 'ENOTFILE' });
  let previous = { seq: 0, hash: GENESIS_HASH };
  let entries = 0;
  let pending: FileLine | undefined;
  let size = 0;
  let missingFinalNewline = false;

  const judge = (line: FileLine, isLast: boolean): LedgerVerifyResult | undefined => {
    const bad = (problem: string): LedgerVerifyResult => ({
      ok: false,
      entries,
      lastHash: previous.hash,
      lastSeq: previous.seq,
      firstBadLine: line.number,
      problem: `line ${line.number}: ${problem}`,
    });
    const parsed = parseJson(line.text);
    if (isLast && !line.terminated && parsed.ok && checkEntry(parsed.value, previous, line.text) === undefined) {
      const entry = parsed.value as LedgerEntry;
      previous = { seq: entry.seq, hash: entry.hash };
      entries += 1;
      missingFinalNewline = true;
      return undefined;
    }
    if (isLast && (!line.terminated || !parsed.ok)) {
      const reason = line.terminated ? 'not-json' : 'no-newline';
      const torn: TornLine = { line: line.number, offset: line.start, bytes: 0, reason };
      const why = reason === 'no-newline' ? 'it has no newline after it' : 'it is not valid JSON';
      return {
        ...bad(
          `torn last line (${why}): an append was interrupted. ` +
            (line.number > 1 ? `The chain is valid up to line ${line.number - 1}; ` : 'No whole entry precedes it; ') +
            'the torn bytes are not accepted and the next append moves them aside.',
        ),
        torn,
      };
    }
    if (line.text.trim() === '') return bad('empty line');
    if (!parsed.ok) return bad('not valid JSON');
    const problem = checkEntry(parsed.value, previous, line.text);
    if (problem) return bad(problem);
    const entry = parsed.value as LedgerEntry;
    previous = { seq: entry.seq, hash: entry.hash };
    entries += 1;
    return undefined;
  };

  for await (const batch of readLineBatches(path)) {
    for (const line of batch) {
      if (pending) {
        const result = judge(pending, false);
        if (result) return result;
      }
      pending = line;
    }
  }
  if (pending) size = pending.end + (pending.terminated ? 1 : 0);
  if (pending) {
    const result = judge(pending, true);
    if (result) {
      if (result.torn) result.torn.bytes = size - result.torn.offset;
      return result;
    }
  }
  return { ok: true, entries, lastHash: previous.hash, lastSeq: previous.seq, ...(missingFinalNewline ? { missingFinalNewline } : {}) };
}
