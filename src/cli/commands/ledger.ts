import { promises as fs } from 'node:fs';
import { relative, resolve } from 'node:path';

import { describeKind } from '../../core/files/confined';
import { describeLedgerFlagChange } from '../../core/flags/describe';
import { findRecordRoot, Ledger, LedgerCorruptError, recordLocationOf, type LedgerEntry, type LedgerEvidence, type LedgerTraffic } from '../../core/ledger/index';
import { describeTraffic } from '../../core/rollout/traffic';
import { textOrJson } from '../arguments';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const help = `Usage:
  rollgate ledger verify [--file path | --for plan-or-runbook]
  rollgate ledger show [--service s] [--action a] [--limit n] [--format text|json] [--file path | --for plan-or-runbook]
  rollgate ledger repair [--file path | --for plan-or-runbook]

verify  checks every line of the hash-chained changelog and names the first bad one.
show    prints the ledger's path, then its entries newest first, optionally filtered.
repair  moves a torn last line (left by an interrupted append) aside and records that in the chain;
        gives a whole last entry its missing newline back; refuses a chain broken before its end.

Which ledger: the CLI and the editor keep one record per plan or runbook, in
<root>/.rollgate/ledger.jsonl (rollout state and locks in <root>/.rollgate/state), where <root> is,
from the file's folder (--for) or the current folder (otherwise):
  1. inside a git repository, the nearest folder up to the repository root holding .rollgate/;
  2. else the repository root;
  3. outside any repository, that folder itself.
--file names a ledger file directly.
Exit codes: 0 ok, 1 the chain is broken or has a torn last line (repair: broken before its end),
2 usage error, or a file that cannot be read or is not a regular file.
`;

interface Options {
  file: string;
  /** How the file was found, for the line `show` prints. */
  origin: string;
  service?: string;
  action?: string;
  limit?: number;
  format: 'text' | 'json';
}

function parseOptions(args: string[], allowed: readonly string[], io: CliIo): Options {
  const fromCwd = findRecordRoot(io.cwd);
  const options: Options = { file: fromCwd.ledgerPath, origin: describeOrigin(fromCwd.reason, 'the current folder'), format: 'text' };
  for (let index = 0; index < args.length; index += 1) {
    const argument = args[index]!;
    const [flag, inline] = argument.startsWith('--') && argument.includes('=') ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, undefined];
    if (!allowed.includes(flag)) throw new UsageError(`unknown option '${argument}'.\n\n${help}`);
    const value = inline ?? args[++index];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--file':
        options.file = resolve(io.cwd, value);
        options.origin = '--file';
        break;
      case '--for': {
        const record = recordLocationOf(resolve(io.cwd, value));
        options.file = record.ledgerPath;
        options.origin = describeOrigin(record.reason, value);
        break;
      }
      case '--service':
        options.service = value;
        break;
      case '--action':
        options.action = value;
        break;
      case '--limit': {
        const limit = Number(value);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit needs a whole number of at least 1, got '${value}'`);
        options.limit = limit;
        break;
      }
      case '--format':
        options.format = textOrJson(value);
        break;
    }
  }
  return options;
}

function describeOrigin(reason: 'rollgate-folder' | 'repository-root' | 'own-folder', from: string): string {
  switch (reason) {
    case 'rollgate-folder':
      return `the nearest .rollgate/ above ${from}`;
    case 'repository-root':
      return `the repository root of ${from}`;
    case 'own-folder':
      return `the folder of ${from} (not in a git repository)`;
  }
}

function shown(file: string, io: CliIo): string {
  const path = relative(io.cwd, file);
  return path.startsWith('..') || path === '' ? file : path;
}

/**
 * Fails with exit 2 (through the returned message) when the file cannot be read, or is not a
 * regular file: a FIFO would hang the read and /dev/zero would never end it.
 */
async function unreadable(file: string, io: CliIo): Promise<string | undefined> {
  try {
    await fs.access(file, fs.constants.R_OK);
    const stats = await fs.stat(file);
    if (!stats.isFile()) return `${shown(file, io)} is ${describeKind(stats)}, not a ledger file (pass --file with the path of a .jsonl ledger)`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no ledger at ${shown(file, io)} (nothing has been recorded there yet; pass --for <plan-or-runbook> or --file, see --help)` : `cannot read ${shown(file, io)}: ${(error as Error).message}`;
  }
}

function traffic(state: LedgerTraffic | undefined): string | undefined {
  if (!state) return undefined;
  const parts: string[] = [];
  if (state.weights || state.mirror) parts.push(describeTraffic(state));
  else if (state.version) parts.push(state.version);
  if (state.stage) parts.push(`stage ${state.stage}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function evidence(item: LedgerEvidence): string {
  const bound = item.bound
    ? [item.bound.min !== undefined ? `min ${item.bound.min}` : '', item.bound.max !== undefined ? `max ${item.bound.max}` : '', item.bound.maxRatio !== undefined ? `maxRatio ${item.bound.maxRatio}` : '']
        .filter(Boolean)
        .join(' ')
    : '';
  const value = item.value === undefined ? '' : `=${item.value === null ? 'no data' : item.value}`;
  return `${item.guardrail ?? 'guardrail'}${value}${bound ? ` (${bound})` : ''}${item.outcome ? ` ${item.outcome}` : ''}`;
}

/** One line per entry, for people; `--format json` is the stable form for scripts. */
export function formatEntry(entry: LedgerEntry): string {
  const parts = [`#${entry.seq}`, entry.time, entry.action, entry.service ?? '-', `by ${entry.actor}`];
  const from = traffic(entry.from);
  const to = traffic(entry.to);
  if (from || to) parts.push(`${from ?? '?'} -> ${to ?? '?'}`);
  if (entry.request) {
    const request = entry.request;
    const status = request.status !== undefined ? ` ${request.status}` : '';
    const duration = request.durationMs !== undefined ? ` ${Math.round(request.durationMs)} ms` : '';
    parts.push(`${request.method} ${request.url} ->${status}${duration} ${request.outcome}`);
  }
  if (entry.evidence) parts.push((Array.isArray(entry.evidence) ? entry.evidence : [entry.evidence]).map(evidence).join('; '));
  if (entry.flags?.length) parts.push(entry.flags.map((change) => `flag ${describeLedgerFlagChange(change)}`).join('; '));
  if (entry.reason) parts.push(JSON.stringify(entry.reason));
  return parts.join('  ');
}

function entriesText(count: number): string {
  return `${count} ${count === 1 ? 'entry' : 'entries'}`;
}

async function verify(options: Options, io: CliIo): Promise<number> {
  const problem = await unreadable(options.file, io);
  if (problem) {
    io.stderr(`rollgate ledger verify: ${problem}\n`);
    return ExitCode.usage;
  }
  const result = await new Ledger({ path: options.file }).verify();
  const name = shown(options.file, io);
  if (result.ok) {
    io.stdout(`${name}: ok, ${entriesText(result.entries)}, chain intact (last hash ${result.lastHash.slice(0, 12)}…)\n`);
    if (result.missingFinalNewline) io.stdout(`${name}: the last entry has no final newline; 'rollgate ledger repair' (or the next append) adds it\n`);
    return ExitCode.ok;
  }
  io.stdout(`${name}: ${result.problem}\n`);
  const upTo = (result.firstBadLine ?? 1) - 1;
  io.stdout(upTo > 0 ? `${name}: the chain is valid up to line ${upTo} (${entriesText(result.entries)})\n` : `${name}: no valid entry before the first bad line\n`);
  if (result.torn) io.stdout(`${name}: run 'rollgate ledger repair' (or any append) to move the torn line aside\n`);
  return ExitCode.failure;
}

async function show(options: Options, io: CliIo): Promise<number> {
  const problem = await unreadable(options.file, io);
  if (problem) {
    io.stderr(`rollgate ledger show: ${problem}\n`);
    return ExitCode.usage;
  }
  const entries = await new Ledger({ path: options.file }).list({
    newestFirst: true,
    service: options.service,
    action: options.action,
    limit: options.limit,
  });
  const where = `ledger: ${options.file} (${options.origin})\n`;
  if (options.format === 'json') {
    // stdout stays one JSON document for scripts; the path goes to stderr.
    io.stderr(where);
    io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
  } else if (entries.length === 0) {
    io.stdout(`${where}no matching entries\n`);
  } else {
    io.stdout(`${where}${entries.map(formatEntry).join('\n')}\n`);
  }
  return ExitCode.ok;
}

async function repair(options: Options, io: CliIo): Promise<number> {
  const problem = await unreadable(options.file, io);
  if (problem) {
    io.stderr(`rollgate ledger repair: ${problem}\n`);
    return ExitCode.usage;
  }
  const ledger = new Ledger({ path: options.file });
  let done;
  try {
    done = await ledger.repair();
  } catch (error) {
    if (!(error instanceof LedgerCorruptError)) throw error;
    io.stderr(`rollgate ledger repair: ${shown(options.file, io)}: ${error.message}.\n`);
    return ExitCode.failure;
  }
  if (ledger.restoredNewline !== undefined) io.stdout(`the last entry (#${ledger.restoredNewline}) was whole but had no final newline; added it\n`);
  if (done) io.stdout(`moved a torn line of ${done.bytes} bytes to ${done.tornFile}; recorded as entry #${done.entry.seq}\n`);
  if (!done && ledger.restoredNewline === undefined) io.stdout('nothing to repair: the last line is whole\n');
  return ExitCode.ok;
}

/** `rollgate ledger verify|show|repair`. */
export async function ledgerCommand(args: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || rest.includes('--help') || rest.includes('-h')) {
    io.stdout(help);
    return subcommand === undefined ? ExitCode.usage : ExitCode.ok;
  }
  switch (subcommand) {
    case 'verify':
      return verify(parseOptions(rest, ['--file', '--for'], io), io);
    case 'show':
      return show(parseOptions(rest, ['--file', '--for', '--service', '--action', '--limit', '--format'], io), io);
    case 'repair':
      return repair(parseOptions(rest, ['--file', '--for'], io), io);
    default:
      throw new UsageError(`unknown subcommand '${subcommand}'.\n\n${help}`);
  }
}
