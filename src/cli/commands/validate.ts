import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from '../../core/diagnostics';
import { secretEnvironmentVariable } from '../../core/secrets';
import { PrometheusClient } from '../../core/endpoints/prometheus';
import { preflightDiagnostics, preflightGuardrails } from '../../core/guardrails/preflight';
import { planRuleDescriptions } from '../../core/plan/rules';
import { parseDuration, type Plan } from '../../core/plan/schema';
import { validatePlan } from '../../core/plan/validate';
import { LineIndex } from '../../core/text/lineIndex';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const HELP = `Usage: rollgate validate [paths...] [--format text|json|sarif] [--preflight]

Validates rollout plans (*.rollout.yaml, *.rollout.yml): YAML syntax, the rollgate/v1 schema,
the semantic rules and the PromQL of every guardrail query (parsed with Prometheus's own
grammar). Each path is a file, a directory (searched recursively for plans) or a glob such as
'plans/**/*.rollout.yaml'. Without paths, the current directory is searched.

Options:
  --preflight     also run each guardrail query once against the plan's Prometheus, for the
                  baseline version, and report queries that fail, return no data or return
                  more than one series (plans with errors are not run). The metric endpoint's
                  token secret is read from ROLLGATE_SECRET_<NAME>.
  --format text   path:line:column: severity code: message (default)
  --format json   {"files":[{"path","diagnostics":[{"severity","code","message","start","end"}]}]},
                  start/end as {"line","column"}, both 1-based
  --format sarif  SARIF 2.1.0, for code-scanning tools
  -h, --help      show this help

Exit codes: 0 no errors (warnings allowed), 1 a plan has an error (with --preflight: a
            guardrail query failed, returned several series, or no data with onNoData: fail),
            2 usage error, unreadable file, no plan found, or a missing secret.
`;

type Format = 'text' | 'json' | 'sarif';
const PLAN_FILE = /\.rollout\.ya?ml$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist', '.cache']);

interface FileResult {
  /** As shown to the user: relative to the working directory, with '/' separators. */
  displayPath: string;
  text: string;
  diagnostics: Diagnostic[];
}

function parseArgs(args: string[]): { format: Format; paths: string[]; help: boolean; preflight: boolean } {
  let format: Format = 'text';
  let preflight = false;
  const paths: string[] = [];
  let help = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '--preflight') preflight = true;
    else if (arg === '--format' || arg.startsWith('--format=')) {
      const value = arg === '--format' ? args[++index] : arg.slice('--format='.length);
      if (value !== 'text' && value !== 'json' && value !== 'sarif') throw new UsageError(`--format must be text, json or sarif (got ${value === undefined ? 'nothing' : `'${value}'`}).`);
      format = value;
    } else if (arg === '--') {
      paths.push(...args.slice(index + 1));
      break;
    } else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'. Run 'rollgate validate --help'.`);
    else paths.push(arg);
  }
  return { format, paths, help, preflight };
}

function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error.message;
  }
}

const hasGlob = (pattern: string): boolean => /[*?[\]{}]/.test(pattern);

/** Turns a glob (`*`, `**`, `?`, `[...]`, `{a,b}`) into a regex over '/'-separated relative paths. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!;
    if (char === '*') {
      if (glob[index + 1] === '*') {
        const slash = glob[index + 2] === '/';
        source += slash ? '(?:.*/)?' : '.*';
        index += slash ? 2 : 1;
      } else source += '[^/]*';
    } else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const close = glob.indexOf(']', index + 1);
      if (close < 0) source += '\\[';
      else {
        source += `[${glob
          .slice(index + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        index = close;
      }
    } else if (char === '{') {
      const close = glob.indexOf('}', index + 1);
      if (close < 0) source += '\\{';
      else {
        source += `(?:${glob
          .slice(index + 1, close)
          .split(',')
          .map((part) => part.replace(/[.+^$()|\\]/g, '\\$&'))
          .join('|')})`;
        index = close;
      }
    } else source += char.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

async function walk(directory: string, found: string[]): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(full, found);
    } else if (entry.isFile()) found.push(full);
  }
}

/** Expands files, directories and globs into plan files; what matches nothing is an error. */
async function expandPaths(patterns: string[], cwd: string, problems: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    const absolute = path.resolve(cwd, pattern);
    let statError: NodeJS.ErrnoException | undefined;
    const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
      statError = error;
      return undefined;
    });
    if (info?.isFile()) {
      files.push(absolute);
      continue;
    }
    if (info?.isDirectory()) {
      const all: string[] = [];
      await walk(absolute, all);
      const plans = all.filter((file) => PLAN_FILE.test(file));
      if (plans.length === 0) problems.push(`no rollout plans (*.rollout.yaml, *.rollout.yml) in directory '${pattern}'.`);
      files.push(...plans);
      continue;
    }
    if (!hasGlob(pattern)) {
      const reason = !statError || statError.code === 'ENOENT' ? 'no such file or directory' : describeError(statError);
      problems.push(`cannot read '${pattern}': ${reason}.`);
      continue;
    }
    // Walk from the part of the glob before its first wildcard.
    const segments = pattern.split(/[\\/]/);
    const firstWild = segments.findIndex(hasGlob);
    const base = path.resolve(cwd, segments.slice(0, firstWild).join('/') || '.');
    const matcher = globToRegExp(segments.slice(firstWild).join('/'));
    const all: string[] = [];
    await walk(base, all).catch(() => undefined);
    const matches = all.filter((file) => matcher.test(path.relative(base, file).split(path.sep).join('/')));
    if (matches.length === 0) problems.push(`no files match '${pattern}'.`);
    files.push(...matches);
  }
  return [...new Set(files)];
}

function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}

function toLineColumn(index: LineIndex, offset: number): { line: number; column: number } {
  const position = index.positionAt(offset);
  return { line: position.line + 1, column: position.character + 1 };
}

function formatText(results: FileResult[]): string {
  let output = '';
  let errors = 0;
  let warnings = 0;
  for (const result of results) {
    const index = new LineIndex(result.text);
    for (const diagnostic of result.diagnostics) {
      const start = toLineColumn(index, diagnostic.start);
      output += `${result.displayPath}:${start.line}:${start.column}: ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}\n`;
      if (diagnostic.severity === 'error') errors++;
      else if (diagnostic.severity === 'warning') warnings++;
    }
  }
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${output}${plural(results.length, 'plan')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}.\n`;
}

function formatJson(results: FileResult[]): string {
  const files = results.map((result) => {
    const index = new LineIndex(result.text);
    return {
      path: result.displayPath,
      diagnostics: result.diagnostics.map((diagnostic) => ({
        severity: diagnostic.severity,
        code: diagnostic.code,
        message: diagnostic.message,
        start: toLineColumn(index, diagnostic.start),
        end: toLineColumn(index, diagnostic.end),
      })),
    };
  });
  return `${JSON.stringify({ files }, null, 2)}\n`;
}

function formatSarif(results: FileResult[], cwd: string, version: string): string {
  const level = { error: 'error', warning: 'warning', info: 'note' } as const;
  // Each code always has the same severity; the first finding of a code tells it.
  const ruleLevels = new Map<string, (typeof level)[keyof typeof level]>();
  for (const result of results) for (const diagnostic of result.diagnostics) if (!ruleLevels.has(diagnostic.code)) ruleLevels.set(diagnostic.code, level[diagnostic.severity]);
  const ruleIds = [...ruleLevels.keys()].sort();
  const ruleIndex = new Map(ruleIds.map((id, index) => [id, index]));
  const sarifResults = results.flatMap((result) => {
    const index = new LineIndex(result.text);
    return result.diagnostics.map((diagnostic) => {
      const start = toLineColumn(index, diagnostic.start);
      const end = toLineColumn(index, diagnostic.end);
      return {
        ruleId: diagnostic.code,
        ruleIndex: ruleIndex.get(diagnostic.code),
        level: level[diagnostic.severity],
        message: { text: diagnostic.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: encodeURI(result.displayPath), uriBaseId: '%SRCROOT%' },
              region: { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column },
            },
          },
        ],
      };
    });
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rollgate',
            version,
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: planRuleDescriptions[id] ?? id },
              defaultConfiguration: { level: ruleLevels.get(id) },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd.endsWith(path.sep) ? cwd : cwd + path.sep).href } },
        results: sarifResults,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/**
 * Runs the guardrail queries of a valid plan against its Prometheus and adds the findings;
 * returns a problem (a missing secret) that makes the command a usage error.
 */
async function preflight(result: FileResult, plan: Plan | undefined, io: CliIo): Promise<string | undefined> {
  if (!plan || result.diagnostics.some((diagnostic) => diagnostic.severity === 'error')) return undefined;
  const endpoint = plan.endpoints.metrics;
  let token: string | undefined;
  if (endpoint.token) {
    token = io.env[secretEnvironmentVariable(endpoint.token.secret)];
    if (!token) return `cannot run the preflight of '${result.displayPath}': its metric endpoint needs secret '${endpoint.token.secret}'; set ${secretEnvironmentVariable(endpoint.token.secret)}.`;
  }
  const timeoutMs = endpoint.timeout ? parseDuration(endpoint.timeout) : undefined;
  const client = new PrometheusClient({ baseUrl: endpoint.url, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
  const findings = preflightDiagnostics(await preflightGuardrails(plan, client), result.text);
  result.diagnostics = [...result.diagnostics, ...findings].sort((a, b) => a.start - b.start || a.end - b.end);
  return undefined;
}

/** `rollgate validate`: validates plans and prints the findings as text, JSON or SARIF. */
export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const options = parseArgs(args);
  if (options.help) {
    io.stdout(HELP);
    return ExitCode.ok;
  }
  const problems: string[] = [];
  const files = await expandPaths(options.paths.length > 0 ? options.paths : ['.'], io.cwd, problems);
  const results: FileResult[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const reason = describeError(error as NodeJS.ErrnoException);
      problems.push(`cannot read '${displayPath(file, io.cwd)}': ${reason}.`);
      continue;
    }
    const validation = validatePlan(text);
    const result: FileResult = { displayPath: displayPath(file, io.cwd), text, diagnostics: validation.diagnostics };
    results.push(result);
    if (options.preflight) {
      const missing = await preflight(result, validation.plan, io);
      if (missing) problems.push(missing);
    }
  }

  const version = io.env.ROLLGATE_VERSION ?? 'dev';
  if (options.format === 'json') io.stdout(formatJson(results));
  else if (options.format === 'sarif') io.stdout(formatSarif(results, io.cwd, version));
  else if (results.length > 0) io.stdout(formatText(results));
  for (const problem of problems) io.stderr(`rollgate validate: ${problem}\n`);

  if (problems.length > 0) return ExitCode.usage;
  const failed = results.some((result) => result.diagnostics.some((diagnostic) => diagnostic.severity === 'error'));
  return failed ? ExitCode.failure : ExitCode.ok;
}
