// `rollgate import <rollout.yaml> [<analysis-templates.yaml>...] [--out plan.rollout.yaml]`.
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import { importArgo, type ImportSource } from '../../core/export/index';
import { parseOrHelp, walkArguments } from '../arguments';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const help = `Usage: rollgate import <rollout.yaml> [<analysis-templates.yaml>...] [options]

Reads an Argo Rollouts Rollout and the AnalysisTemplates it uses (any number of YAML files, each
may hold several documents) and writes the equivalent rollout plan: canary steps to stages,
Prometheus metrics to guardrails, pause: {} to manual approval, a blueGreen strategy to a
blue-green stage. What the plan cannot express (header routes, experiments, non-Prometheus
providers, setCanaryScale, ...) is listed at the top of the plan and on stderr. Values Argo does
not know (model versions and digests, the environment) are left empty, marked FILL IN, so the
plan fails validation until they are filled in.

Options:
  --out <file>           write the plan there instead of printing it
  --rollout <name>       the Rollout to import when the input holds several

Exit codes: 0 imported (notes on stderr), 2 usage error, unreadable input, no (or an invalid)
Rollout.
`;

export async function importCommand(args: string[], io: CliIo): Promise<number> {
  let out: string | undefined;
  let rollout: string | undefined;
  const files = parseOrHelp(
    () =>
      walkArguments(args, help, (flag, value) => {
        switch (flag) {
          case '--out':
            out = value();
            return true;
          case '--rollout':
            rollout = value();
            return true;
          default:
            return false;
        }
      }),
    help,
    io,
  );
  if (!files) return ExitCode.ok;
  if (files.length === 0) throw new UsageError(`give the Rollout's YAML file (and its AnalysisTemplates').\n\n${help}`);
  const sources: ImportSource[] = [];
  for (const file of files) {
    try {
      sources.push({ name: file, text: await readFile(path.resolve(io.cwd, file), 'utf8') });
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  const result = await importArgo(sources, rollout ? { rollout } : {});
  if (!result.planText) {
    for (const error of result.errors) io.stderr(`rollgate import: ${error}\n`);
    return ExitCode.usage;
  }
  for (const note of result.notes) io.stderr(`not expressed: ${note}\n`);
  if (out) {
    await writeFile(path.resolve(io.cwd, out), result.planText);
    io.stderr(`wrote ${out}; fill in the values marked FILL IN, then run rollgate validate ${out}\n`);
  } else io.stdout(result.planText);
  return ExitCode.ok;
}
