// `rollgate export <plan> --to argo-rollouts|prometheus-rule [--out dir] [--format yaml|json]`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import { EXPORT_TARGETS, exportPlan, renderJson, renderYaml, type ExportedObject, type ExportTarget } from '../../core/export/index';
import { LineIndex } from '../../core/text/lineIndex';
import { parseOrHelp, walkArguments } from '../arguments';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const help = `Usage: rollgate export <plan.rollout.yaml> --to argo-rollouts|prometheus-rule [options]

Compiles a rollout plan to the objects a cluster runs: with --to argo-rollouts, an Argo Rollouts
Rollout (argoproj.io/v1alpha1) and one AnalysisTemplate per stage with guardrails; with
--to prometheus-rule, a PrometheusRule (monitoring.coreos.com/v1) alerting on the same thresholds.
Every object is checked against its schema before it is written. What the plan says that Argo
cannot do is reported at the plan line that says it, and nothing is written.
The plan's optional export.argoRollouts block names the workload, Services and traffic router.
See docs/argo-rollouts.md.

Options:
  --to <target>          argo-rollouts or prometheus-rule; repeat (or comma-separate) for both
  --out <dir>            write <plan>-argo-rollouts.yaml / <plan>-prometheus-rule.yaml there
                         instead of printing to stdout
  --format yaml|json     multi-document YAML with comments (default), or a JSON v1 List

Exit codes: 0 exported (warnings on stderr), 2 usage error, unreadable or invalid plan, or
something the export refuses (each finding printed as path:line:column).
`;

interface Options {
  plan: string;
  targets: ExportTarget[];
  out?: string;
  format: 'yaml' | 'json';
}

function parseOptions(args: string[]): Options {
  const targets: ExportTarget[] = [];
  let out: string | undefined;
  let format: Options['format'] = 'yaml';
  const positional = walkArguments(args, help, (flag, value) => {
    switch (flag) {
      case '--to':
        for (const target of value().split(',')) {
          if (!EXPORT_TARGETS.includes(target as ExportTarget)) throw new UsageError(`--to must be ${EXPORT_TARGETS.join(' or ')}, got '${target}'`);
          if (!targets.includes(target as ExportTarget)) targets.push(target as ExportTarget);
        }
        return true;
      case '--out':
        out = value();
        return true;
      case '--format': {
        const given = value();
        if (given !== 'yaml' && given !== 'json') throw new UsageError(`--format must be yaml or json, got '${given}'`);
        format = given;
        return true;
      }
      default:
        return false;
    }
  });
  if (positional.length !== 1) throw new UsageError(`give exactly one plan file.\n\n${help}`);
  if (targets.length === 0) throw new UsageError(`say what to export to with --to (${EXPORT_TARGETS.join(', ')}).`);
  return { plan: positional[0]!, targets, format, ...(out ? { out } : {}) };
}

export async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseOrHelp(() => parseOptions(args), help, io);
  if (!options) return ExitCode.ok;
  const file = path.resolve(io.cwd, options.plan);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${options.plan}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const result = await exportPlan(text, options.targets);
  const lines = new LineIndex(text);
  const shown = path.relative(io.cwd, file) || file;
  for (const diagnostic of result.diagnostics) {
    const position = lines.positionAt(diagnostic.start);
    io.stderr(`${shown}:${position.line + 1}:${position.character + 1}: ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}\n`);
  }
  if (!result.objects) {
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
    io.stderr(`rollgate export: nothing written: ${errors} finding${errors === 1 ? '' : 's'} to fix in the plan first.\n`);
    return ExitCode.usage;
  }
  const render = (objects: ExportedObject[]) => (options.format === 'json' ? renderJson(objects) : renderYaml(objects));
  if (options.format === 'json') {
    // JSON has no comments: the notes on how Argo differs go to stderr instead.
    for (const { comment } of result.objects)
      if (comment)
        io.stderr(
          `${comment
            .split('\n')
            .map((line) => `# ${line}`)
            .join('\n')}\n`,
        );
  }
  if (!options.out) {
    io.stdout(render(result.objects));
    return ExitCode.ok;
  }
  const directory = path.resolve(io.cwd, options.out);
  await mkdir(directory, { recursive: true });
  const planName = path.basename(file).replace(/\.rollout\.ya?ml$|\.ya?ml$/, '');
  const extension = options.format === 'json' ? 'json' : 'yaml';
  for (const target of options.targets) {
    const objects = result.objects.filter(({ object }) => (target === 'prometheus-rule') === (object.kind === 'PrometheusRule'));
    const written = path.join(directory, `${planName}-${target}.${extension}`);
    await writeFile(written, render(objects));
    io.stderr(`wrote ${path.relative(io.cwd, written) || written} (${objects.map(({ object }) => `${object.kind} ${object.metadata.name}`).join(', ')})\n`);
  }
  return ExitCode.ok;
}
