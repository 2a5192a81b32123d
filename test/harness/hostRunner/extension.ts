// A test-only extension: when the code-server process was started with ROLLGATE_HOST_TESTS set
// (environment variables of code-server reach the extension host), it runs the host suites
// packaged beside it and writes a results file for test/harness to read. Otherwise it does nothing.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runSuites, suitesFor, writeResults, type HostMode } from '../../host/index';

export function activate(context: vscode.ExtensionContext): void {
  const resultsPath = process.env.ROLLGATE_HOST_TESTS;
  if (!resultsPath) return;
  const mode: HostMode = process.env.ROLLGATE_HOST_MODE === 'untrusted' ? 'untrusted' : 'trusted';
  const suitesDir = process.env.ROLLGATE_HOST_SUITES ?? path.join(context.extensionPath, 'dist', 'suites');
  const startedAt = new Date().toISOString();
  // Not awaited: activation must return so the workbench finishes starting while suites run.
  void (async () => {
    try {
      writeResults(resultsPath, await runSuites(suitesFor(mode, suitesDir), mode));
    } catch (error) {
      writeResults(resultsPath, {
        mode,
        passes: 0,
        failures: 1,
        tests: [],
        runError: error instanceof Error ? (error.stack ?? error.message) : String(error),
        startedAt,
        finishedAt: new Date().toISOString(),
      });
    }
  })();
}

export function deactivate(): void {}
