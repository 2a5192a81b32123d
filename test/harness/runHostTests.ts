// Runs the test/host suites inside a real VS Code extension host (code-server) and reports them.
// Usage: node test/.results/build/harness/runHostTests.mjs --mode trusted|untrusted
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostRunResults } from '../host/index';
import { writeLayerCounts } from './layerCounts';
import { repoRoot, startVsCode, waitFor, type VsCode } from './vscodeServer';
import { errorMessage } from '../../src/core/errors';

const mode = process.argv.includes('untrusted') ? 'untrusted' : 'trusted';
const label = `host-${mode}`;
// The suites grow with every feature and a loaded CI machine runs them slower: one generous deadline for the whole layer.
const resultsTimeoutMs = Number(process.env.ROLLGATE_HOST_TIMEOUT_MS ?? 900_000);

function printResults(results: HostRunResults): void {
  for (const test of results.tests) {
    const duration = test.durationMs !== undefined ? ` (${test.durationMs} ms)` : '';
    console.log(`  ${test.state === 'passed' ? 'ok  ' : 'FAIL'} ${test.fullTitle}${duration}`);
    if (test.error) {
      console.log(`       ${test.error.message.split('\n').join('\n       ')}`);
      if (test.error.expected !== undefined) console.log(`       expected: ${test.error.expected}`);
      if (test.error.actual !== undefined) console.log(`       found:    ${test.error.actual}`);
    }
  }
  if (results.runError) console.log(`  FAIL the suites could not run:\n${results.runError}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  const resultsPath = path.join(repoRoot, 'test/.results', label, 'results.json');
  let vscode: VsCode | undefined;
  let results: HostRunResults | undefined;
  let problem: string | undefined;
  try {
    vscode = await startVsCode({
      label,
      trusted: mode === 'trusted',
      env: { ROLLGATE_HOST_TESTS: resultsPath, ROLLGATE_HOST_MODE: mode, ...(process.env.ROLLGATE_HOST_ONLY ? { ROLLGATE_HOST_ONLY: process.env.ROLLGATE_HOST_ONLY } : {}) },
      extensions: [path.join(repoRoot, 'rollgate.vsix'), path.join(repoRoot, 'test/.results/rollgate-host-runner.vsix')],
    });
    console.log(`${label}: code-server up in ${((Date.now() - started) / 1000).toFixed(1)} s; opening ${vscode.url}`);
    await vscode.openBrowser();
    results = await waitFor(`host results in ${resultsPath}`, resultsTimeoutMs, () => (fs.existsSync(resultsPath) ? (JSON.parse(fs.readFileSync(resultsPath, 'utf8')) as HostRunResults) : undefined));
    printResults(results);
    if (results.failures > 0) problem = `${results.failures} host test(s) failed`;
  } catch (error) {
    problem = errorMessage(error);
    console.log(`  FAIL ${problem}`);
  } finally {
    if (problem && vscode) console.log(`  evidence (screenshot, code-server and VS Code logs) kept in ${await vscode.keepEvidence(problem)}`);
    await vscode?.stop();
  }
  const passed = results?.passes ?? 0;
  const failed = results ? results.failures : 1;
  writeLayerCounts(repoRoot, { layer: label, passed, failed, seconds: (Date.now() - started) / 1000 });
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
