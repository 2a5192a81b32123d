import { promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, relative, resolve } from 'node:path';

import { environmentSecretResolver, nodeHttpSender, ledgerRecorder, renderResultText, RunbookSession, secretEnvironmentVariable, type CellRunResult, type CellSpec } from '../../core/cells/index';
import { readConfinedFile, workspaceRootFor } from '../../core/files/confined';
import { fileOversize, MAX_PLAN_BYTES, MAX_RUNBOOK_BYTES, tooLargeMessage } from '../../core/files/limits';
import { Ledger, recordLocationOf } from '../../core/ledger/index';
import type { Plan } from '../../core/plan/schema';
import { validatePlan } from '../../core/plan/validate';
import { parseRunbook, skippedFences } from '../../core/runbook/index';
import { LineIndex } from '../../core/text/lineIndex';
import { ExitCode, UsageError, type CliIo } from '../io';

const HELP = `Usage: rollgate run <runbook.runbook.md> [--cell name]... [--env name] [--yes] [--dry-run] [--format text|json]

Runs a runbook's http, promql, rollout and check cells in order, headlessly (drills, CI).

  --cell name      Run only the named cell(s); repeat to pick several (runbook order is kept).
  --env name       Environment to run against (overrides the front matter's environment).
  --yes            Confirm every cell that changes something (non-GET http, rollout actions,
                   "effect":"mutate"). Without it such cells fail and nothing is sent.
  --dry-run        Print every resolved request (secrets as {{secret:name}}), send nothing.
  --format f       text (default) or json.

Secrets ({{secret:name}} and the plan's token references) are read from environment variables
ROLLGATE_SECRET_<NAME> (upper case, '-' as '_'). Every run is recorded in the ledger at the
runbook's record root (see 'rollgate ledger --help'), the same one the editor uses.
Exit codes: 0 all cells succeeded, 1 a cell failed or was not confirmed, 2 usage error or unreadable input.
`;

interface RunArguments {
  runbook: string;
  cells: string[];
  environment?: string;
  yes: boolean;
  dryRun: boolean;
  format: 'text' | 'json';
}

function parseArguments(args: string[]): RunArguments | 'help' {
  const parsed: RunArguments = { runbook: '', cells: [], yes: false, dryRun: false, format: 'text' };
  const positional: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const value = (flag: string) => {
      const next = args[++index];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value.\n\n${HELP}`);
      return next;
    };
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--cell':
        parsed.cells.push(inline ?? value(flag));
        break;
      case '--env':
        parsed.environment = inline ?? value(flag);
        break;
      case '--yes':
      case '-y':
        parsed.yes = true;
        break;
      case '--dry-run':
        parsed.dryRun = true;
        break;
      case '--format': {
        const format = inline ?? value(flag);
        if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not "${format}".`);
        parsed.format = format;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}.\n\n${HELP}`);
        positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new UsageError(`expected exactly one runbook file.\n\n${HELP}`);
  parsed.runbook = positional[0]!;
  return parsed;
}

function positionOf(text: string, offset: number): string {
  const position = new LineIndex(text).positionAt(offset);
  return `${position.line + 1}:${position.character + 1}`;
}

/** `rollgate run`: runs runbook cells headlessly; exit 1 at the first failed cell. */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const parsedArgs = parseArguments(args);
  if (parsedArgs === 'help') {
    io.stdout(HELP);
    return ExitCode.ok;
  }
  const runbookPath = resolve(io.cwd, parsedArgs.runbook);
  const tooLarge = await fileOversize(runbookPath, MAX_RUNBOOK_BYTES);
  if (tooLarge !== undefined) {
    io.stderr(`rollgate run: ${parsedArgs.runbook}: ${tooLargeMessage('runbook', tooLarge)}\n`);
    return ExitCode.usage;
  }
  let text: string;
  try {
    text = await fs.readFile(runbookPath, 'utf8');
  } catch (error) {
    io.stderr(`rollgate run: cannot read ${parsedArgs.runbook}: ${(error as Error).message}\n`);
    return ExitCode.usage;
  }
  const runbook = parseRunbook(text);
  const runbookErrors = runbook.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
  if (runbookErrors.length > 0) {
    for (const diagnostic of runbookErrors) io.stderr(`${parsedArgs.runbook}:${positionOf(text, diagnostic.start)}: error: ${diagnostic.message}\n`);
    return ExitCode.failure;
  }

  let plan: Plan | undefined;
  const planReference = runbook.metadata.plan;
  // What the runbook may reach on disk (its plan, `< ./file` bodies): its repository, or the
  // current folder when it lies below it, or its own folder.
  const root = workspaceRootFor(runbookPath, io.cwd);
  if (planReference) {
    const planPath = resolve(dirname(runbookPath), planReference);
    let planText: string;
    try {
      const bytes = await readConfinedFile(planReference, { base: dirname(runbookPath), root, maxBytes: MAX_PLAN_BYTES, what: 'The linked plan' });
      planText = new TextDecoder('utf-8').decode(bytes);
    } catch (error) {
      io.stderr(`rollgate run: the runbook links plan ${planReference}, which cannot be used: ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
    const validation = validatePlan(planText);
    const planErrors = validation.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    if (!validation.plan || planErrors.length > 0) {
      for (const diagnostic of planErrors) io.stderr(`${relative(io.cwd, planPath)}:${positionOf(planText, diagnostic.start)}: error: ${diagnostic.message}\n`);
      io.stderr(`rollgate run: the linked plan ${planReference} is not valid; fix it first (rollgate validate ${relative(io.cwd, planPath)}).\n`);
      return ExitCode.failure;
    }
    plan = validation.plan;
  }

  const codeCells = runbook.cells.map((cell, index) => ({ cell, index })).filter(({ cell }) => cell.kind === 'code');
  for (const name of parsedArgs.cells) {
    if (!codeCells.some(({ cell }) => cell.attributes.name === name)) {
      const names = codeCells.map(({ cell }) => cell.attributes.name).filter((one): one is string => typeof one === 'string');
      throw new UsageError(`the runbook has no cell named "${name}"${names.length ? `; named cells: ${names.join(', ')}` : ''}.`);
    }
  }
  const selected = parsedArgs.cells.length > 0 ? codeCells.filter(({ cell }) => parsedArgs.cells.includes(String(cell.attributes.name))) : codeCells;
  const skipped = describeSkipped(text);
  if (selected.length === 0) {
    // A drill that ran nothing must not pass as if it had: say what was there instead.
    io.stderr(
      `rollgate run: nothing ran: ${parsedArgs.runbook} has no http, promql, rollout or check cell${skipped ? `; ${skipped}` : ' and no fenced block'}. ` +
        'A fenced block runs when its language is http, promql, rollout or check and it is not inside a list or quote.\n',
    );
    return ExitCode.failure;
  }

  const record = recordLocationOf(runbookPath);
  const ledger = parsedArgs.dryRun ? undefined : new Ledger({ path: record.ledgerPath });
  const actor = io.env.ROLLGATE_ACTOR ?? `cli:${safeUserName()}`;
  const session = new RunbookSession({
    frontMatter: runbook.metadata.frontMatter,
    ...(plan ? { plan } : {}),
    ...(parsedArgs.environment ? { environment: parsedArgs.environment } : {}),
    // Relative to the record root, as the editor records it: the same cell has one name in the ledger.
    runbook: relative(record.root, runbookPath) || runbookPath,
    files: { base: dirname(runbookPath), root },
    ports: { http: nodeHttpSender },
    secrets: environmentSecretResolver(io.env),
    missingSecretHint: (name) => `Set the environment variable ${secretEnvironmentVariable(name)}.`,
    ...(ledger ? { ledger: ledgerRecorder(ledger) } : {}),
    actor,
  });

  const abort = new AbortController();
  void io.interrupted?.then(() => abort.abort());
  const results: CellRunResult[] = [];
  let exitCode: number = ExitCode.ok;
  for (const { cell, index } of selected) {
    const spec: CellSpec = { language: cell.language, attributes: cell.attributes, value: cell.value };
    const result = await session.run(spec, { index, signal: abort.signal, dryRun: parsedArgs.dryRun, confirmed: parsedArgs.yes });
    results.push(result);
    const label = result.name ?? `cell ${index + 1}`;
    if (parsedArgs.format === 'text') {
      const line = cell.source ? positionOf(text, cell.source.start) : undefined;
      io.stdout(renderResultText(result, `${label}${line ? ` (${parsedArgs.runbook}:${line})` : ''}`, cell.source ? locateInCell(text, cell.source.start, cell.value, parsedArgs.runbook) : undefined));
    }
    if (!result.ok) {
      exitCode = ExitCode.failure;
      if (parsedArgs.format === 'text') io.stderr(`rollgate run: ${label} ${result.outcome === 'declined' ? 'was not run' : 'failed'}: ${result.error ?? result.outcome}\n`);
      break;
    }
  }
  if (parsedArgs.format === 'json') {
    io.stdout(
      JSON.stringify(
        {
          runbook: parsedArgs.runbook,
          environment: session.environment ?? null,
          dryRun: parsedArgs.dryRun,
          ok: exitCode === ExitCode.ok,
          // Chart outputs carry every point already in `value`; keep the JSON to data.
          cells: results.map(({ value: _value, ...result }) => result),
        },
        null,
        2,
      ) + '\n',
    );
  } else if (exitCode === ExitCode.ok) {
    const noData = results.filter((result) => result.noData).length;
    const notes = [noData > 0 ? `${noData} returned no data` : '', skipped && parsedArgs.cells.length === 0 ? skipped : ''].filter(Boolean);
    io.stdout(`${results.length} cell${results.length === 1 ? '' : 's'} ${parsedArgs.dryRun ? 'resolved (dry run, nothing sent)' : 'succeeded'}${notes.length ? ` (${notes.join('; ')})` : ''}.\n`);
  }
  return exitCode;
}

/**
 * `runbook:line:column` of an offset in a cell's body: the body starts on the line after the
 * opening fence (columns of an indented fence's lines are counted without the indent).
 */
function locateInCell(text: string, fenceStart: number, value: string, name: string): (offset: number) => string {
  const index = new LineIndex(text);
  const fenceLine = index.positionAt(fenceStart).line;
  return (offset) => {
    const before = value.slice(0, offset);
    const lines = before.split('\n');
    return `${name}:${fenceLine + lines.length + 1}:${lines[lines.length - 1]!.replace(/\r$/, '').length + 1}`;
  };
}

/** `3 fenced blocks were skipped (sh, python ×2)`, or '' when every fence is a cell. */
function describeSkipped(text: string): string {
  const fences = skippedFences(text);
  if (fences.length === 0) return '';
  const counts = new Map<string, number>();
  for (const fence of fences) counts.set(fence.language || 'no language', (counts.get(fence.language || 'no language') ?? 0) + 1);
  const languages = [...counts].map(([language, count]) => (count > 1 ? `${language} ×${count}` : language)).join(', ');
  return `${fences.length} fenced block${fences.length === 1 ? ' was' : 's were'} skipped (${languages})`;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
