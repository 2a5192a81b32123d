// Runs the compiled `test/host/*.test.ts` suites with mocha inside a VS Code extension host.
// Two callers: the test-only runner extension (code-server path, see test/harness/hostRunner)
// and `@vscode/test-electron` (desktop path, see test/host/runWithElectron.ts), which calls `run()`.
import Mocha from 'mocha';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { errorDetail } from '../../src/core/errors';

/** Which workspace-trust situation the suites are being run in. */
export type HostMode = 'trusted' | 'untrusted';

/** One test's outcome, as written to the results file the harness reads. */
export interface HostTestResult {
  title: string;
  fullTitle: string;
  file?: string;
  state: 'passed' | 'failed';
  durationMs?: number;
  error?: { message: string; expected?: string; actual?: string; stack?: string };
}

/** The whole results file: counts first, so a person reading it sees them at once. */
export interface HostRunResults {
  mode: HostMode;
  passes: number;
  failures: number;
  tests: HostTestResult[];
  /** Set when the run itself could not happen (a suite failed to load, mocha crashed). */
  runError?: string;
  startedAt: string;
  finishedAt: string;
}

/**
 * Picks the compiled suites for a mode (narrowed by `ROLLGATE_HOST_ONLY` when set, for a quick run): `trust.test.js` and `*.untrusted.test.js` run only in an
 * untrusted folder (they assert it is untrusted); every other `*.test.js` runs in a trusted one.
 */
export function suitesFor(mode: HostMode, suitesDir: string, only = process.env.ROLLGATE_HOST_ONLY): string[] {
  const isUntrustedSuite = (name: string) => name === 'trust.test.js' || name.endsWith('.untrusted.test.js');
  // ROLLGATE_HOST_ONLY=promql,runbook runs only the suites whose file names contain one of those words.
  const wanted = only ? only.split(',').filter(Boolean) : undefined;
  return fs
    .readdirSync(suitesDir)
    .filter((name) => name.endsWith('.test.js'))
    .filter((name) => !wanted || wanted.some((word) => name.includes(word)))
    .filter((name) => (mode === 'untrusted' ? isUntrustedSuite(name) : !isUntrustedSuite(name)))
    .sort()
    .map((name) => path.join(suitesDir, name));
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : inspect(value, { depth: 6, breakLength: 100 });
}

/** Runs the given compiled suite files with mocha (`tdd` ui) and collects every outcome. */
export function runSuites(files: string[], mode: HostMode, timeoutMs = 30_000): Promise<HostRunResults> {
  const startedAt = new Date().toISOString();
  const tests: HostTestResult[] = [];
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: timeoutMs, reporter: 'spec' });
  for (const file of files) mocha.addFile(file);

  return new Promise<HostRunResults>((resolve) => {
    const finish = (runError?: string) =>
      resolve({
        mode,
        passes: tests.filter((t) => t.state === 'passed').length,
        failures: tests.filter((t) => t.state === 'failed').length + (runError ? 1 : 0),
        tests,
        ...(runError ? { runError } : {}),
        startedAt,
        finishedAt: new Date().toISOString(),
      });
    try {
      const runner = mocha.run(() => finish());
      runner.on('pass', (test) => {
        tests.push({ title: test.title, fullTitle: test.fullTitle(), file: test.file, state: 'passed', durationMs: test.duration });
      });
      runner.on('fail', (test, err: Error & { expected?: unknown; actual?: unknown; showDiff?: boolean }) => {
        tests.push({
          title: test.title,
          fullTitle: test.fullTitle(),
          file: test.file,
          state: 'failed',
          durationMs: test.duration,
          error: {
            message: err?.message ?? String(err),
            ...('expected' in (err ?? {}) ? { expected: describeValue(err.expected) } : {}),
            ...('actual' in (err ?? {}) ? { actual: describeValue(err.actual) } : {}),
            stack: err?.stack,
          },
        });
      });
    } catch (error) {
      // A suite that throws while loading lands here; report it as a failure, never as "0 tests".
      finish(errorDetail(error));
    }
  });
}

/** Writes results atomically so a poller never reads half a file. */
export function writeResults(resultsPath: string, results: HostRunResults): void {
  const temporary = `${resultsPath}.partial`;
  fs.writeFileSync(temporary, JSON.stringify(results, null, 2));
  fs.renameSync(temporary, resultsPath);
}

/**
 * Entry point for `@vscode/test-electron` (`extensionTestsPath`): runs the suites compiled next
 * to this file for `ROLLGATE_HOST_MODE` (default `trusted`) and rejects when any test failed.
 */
export async function run(): Promise<void> {
  const mode: HostMode = process.env.ROLLGATE_HOST_MODE === 'untrusted' ? 'untrusted' : 'trusted';
  const results = await runSuites(suitesFor(mode, __dirname), mode);
  if (process.env.ROLLGATE_HOST_TESTS) writeResults(process.env.ROLLGATE_HOST_TESTS, results);
  if (results.failures > 0) throw new Error(`${results.failures} host test(s) failed${results.runError ? `: ${results.runError}` : ''}`);
}
