// `rollgate report`: an incident or rollout report from the ledger, as Markdown, HTML or JSON.
import { promises as fs } from 'node:fs';
import { dirname, extname, relative, resolve } from 'node:path';

import { defaultLedgerPath } from '../../core/ledger/index';
import { parseDuration } from '../../core/plan/schema';
import { buildReport, collectFromLedger, renderReport, REPORT_FORMATS, ReportSelectionError, type ReportFormat, type ReportSelector } from '../../core/report/index';
import { parseOrHelp, walkArguments } from '../arguments';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const help = `Usage: rollgate report [--run <runId> | --service <s> --since <time> [--until <time>]]
                       [--format md|html|json] [--out <file>] [--ledger <path>]

Renders an incident or rollout report from the hash-chained ledger: the timeline (time, actor,
action, traffic before -> after, reason), each guardrail's measurements against its bound (charts
in HTML, tables in Markdown), every runbook cell run with its redacted request and result, the
lineage of both versions, the time from the first breach to traffic back on the known-good
version, and the ledger's verification with the hash of the last entry covered.

  --run <runId>        one rollout run (a unique prefix of the id is enough); default: the newest run
  --service <s>        with --since: everything recorded for the service in a time window
  --since <time>       ISO 8601 (2025-07-01, 2025-07-01T10:00:00Z) or a time ago (30m, 2h, 1d)
  --until <time>       end of the window, same forms (default: now)
  --format md|html|json  default: from --out's extension (.html, .json), else md
  --out <file>         write the report to this file instead of standard output
  --ledger <path>      the ledger (default .rollgate/ledger.jsonl)

Values of ROLLGATE_SECRET_* variables are taken out of the report wherever they occur.
Exit codes: 0 report written, 1 report written but the ledger fails verification (tampered or
damaged; the report says so at the top), 2 usage error, unreadable ledger, or nothing to report.
A torn last line (an interrupted append) is reported but does not fail.
`;

interface Options {
  runId?: string;
  service?: string;
  since?: Date;
  until?: Date;
  format?: ReportFormat;
  out?: string;
  ledger?: string;
}

/** ISO 8601 dates and times, or a duration back from `now` (`30m`, `2h`, `1h30m`, `2d`). */
export function parseReportTime(text: string, now: Date): Date | undefined {
  const days = /^(\d+)d$/.exec(text);
  if (days) return new Date(now.getTime() - Number(days[1]) * 86_400_000);
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(text)) return undefined;
  // A date-time without a zone is read as UTC, like the ledger's times.
  const withZone = /[T ]\d\d:\d\d/.test(text) && !/(Z|[+-]\d\d:?\d\d)$/.test(text) ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T');
  const at = new Date(withZone);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function parseOptions(args: string[], now: Date): Options {
  const options: Options = {};
  const time = (flag: string, text: string): Date => {
    const at = parseReportTime(text, now);
    if (!at) throw new UsageError(`${flag} needs an ISO 8601 time (2025-07-01T10:00:00Z) or a time ago (30m, 2h, 1d), got '${text}'`);
    return at;
  };
  const positional = walkArguments(args, help, (flag, value) => {
    switch (flag) {
      case '--run':
        options.runId = value();
        return true;
      case '--service':
        options.service = value();
        return true;
      case '--since':
        options.since = time(flag, value());
        return true;
      case '--until':
        options.until = time(flag, value());
        return true;
      case '--format': {
        const format = value();
        if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be md, html or json, got '${format}'`);
        options.format = format as ReportFormat;
        return true;
      }
      case '--out':
        options.out = value();
        return true;
      case '--ledger':
        options.ledger = value();
        return true;
      default:
        return false;
    }
  });
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'.\n\n${help}`);
  if (options.runId !== undefined && (options.service !== undefined || options.since !== undefined || options.until !== undefined)) {
    throw new UsageError('--run reports one run; --service, --since and --until report a time window. Give one or the other.');
  }
  if ((options.service === undefined) !== (options.since === undefined)) throw new UsageError('a time window needs both --service and --since');
  if (options.until !== undefined && options.since === undefined) throw new UsageError('--until needs --service and --since');
  if (options.since && options.until && options.until < options.since) throw new UsageError('--until is before --since');
  return options;
}

function formatFor(options: Options): ReportFormat {
  if (options.format) return options.format;
  const extension = options.out ? extname(options.out).toLowerCase() : '';
  if (extension === '.html' || extension === '.htm') return 'html';
  if (extension === '.json') return 'json';
  return 'md';
}

/** Values of the `ROLLGATE_SECRET_*` variables (and the dev stack's token), by a readable name. */
function secretsFromEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (name.startsWith('ROLLGATE_SECRET_')) secrets[name.slice('ROLLGATE_SECRET_'.length).toLowerCase().replace(/_/g, '-')] = value;
    if (name === 'ROLLGATE_DEV_TOKEN') secrets['dev-token'] = value;
  }
  return secrets;
}

function shown(file: string, io: CliIo): string {
  const path = relative(io.cwd, file);
  return path.startsWith('..') || path === '' ? file : path;
}

/** Writes the file whole or not at all: a reader never opens half a report. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(temporary, text, 'utf8');
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/** `rollgate report`. */
export async function reportCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseOrHelp(() => parseOptions(args, new Date()), help, io);
  if (!options) return ExitCode.ok;
  const ledgerFile = options.ledger ? resolve(io.cwd, options.ledger) : defaultLedgerPath(io.cwd);
  const selector: ReportSelector = options.runId
    ? { kind: 'run', runId: options.runId }
    : options.service && options.since
      ? { kind: 'window', service: options.service, since: options.since, ...(options.until ? { until: options.until } : {}) }
      : { kind: 'latest-run' };

  let collection;
  try {
    collection = await collectFromLedger({ file: ledgerFile, shownAs: shown(ledgerFile, io), selector });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') io.stderr(`rollgate report: no ledger at ${shown(ledgerFile, io)} (nothing has been recorded yet, or pass --ledger)\n`);
    else if (error instanceof ReportSelectionError) io.stderr(`rollgate report: ${error.message}\n`);
    else io.stderr(`rollgate report: cannot read ${shown(ledgerFile, io)}: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  const model = buildReport(collection, { secrets: secretsFromEnvironment(io.env) });
  const format = formatFor(options);
  const text = renderReport(model, format);
  if (options.out) {
    const out = resolve(io.cwd, options.out);
    await writeAtomically(out, text);
    io.stdout(`wrote ${shown(out, io)}: ${model.title}; ${model.timeline.length} timeline entries, ${model.guardrails.length} guardrail series, ${model.cellRuns.length} cell runs\n`);
  } else {
    io.stdout(text);
  }
  const { verification } = model;
  if (verification.ok) return ExitCode.ok;
  if (verification.tornOnly) {
    io.stderr(`rollgate report: ${verification.problem ?? 'the last line is torn'}\n`);
    return ExitCode.ok;
  }
  io.stderr(`rollgate report: the ledger FAILS verification: ${verification.problem ?? '?'} (the report says so at the top)\n`);
  return ExitCode.failure;
}
