import { createHash } from 'node:crypto';

import type { LedgerEntry } from './types';

/** `prev` of the first entry: no entry came before it. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members left out,
 * non-finite numbers as `null` (as JSON.stringify does). Parsing the result and encoding it again
 * gives the same text, which is what lets `verify` recompute a hash from a line it reads back.
 */
export function canonicalJson(value: unknown): string {
  return encode(value) ?? 'null';
}

function encode(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => encode(item) ?? 'null').join(',')}]`;
  }
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return encode(withJson.toJSON());
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const encoded = encode(record[key]);
    if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`);
  }
  return `{${members.join(',')}}`;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The hash an entry must carry: sha256 over the canonical encoding of the entry without `hash`. */
export function computeEntryHash(entry: Omit<LedgerEntry, 'hash'> | LedgerEntry): string {
  const { hash: _ignored, ...body } = entry as LedgerEntry;
  return sha256Hex(canonicalJson(body));
}

/**
 * Fills in `hash` and returns the entry together with the exact line to write (canonical JSON,
 * newline-terminated). The entry is normalised through the encoding first, so what is returned
 * equals what a reader will parse back.
 */
export function sealEntry(body: Omit<LedgerEntry, 'hash'>): { entry: LedgerEntry; line: string } {
  const normalised = JSON.parse(canonicalJson(body)) as Omit<LedgerEntry, 'hash'>;
  const hash = computeEntryHash(normalised);
  const entry = { ...normalised, hash } as LedgerEntry;
  return { entry, line: `${canonicalJson(entry)}\n` };
}
