// The e2e layer: one real VS Code (code-server, trust disabled) with the packaged extension,
// driven by Debian's Chromium, runs the trusted checks; then a second VS Code with workspace
// trust ON (its own temporary workspace) runs the untrusted checks. Each check ends with a
// screenshot in test/e2e/screenshots/.
// Usage: node test/.results/build/e2e/run.mjs [substring of a check name]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { writeLayerCounts } from '../harness/layerCounts';
import { repoRoot, startVsCode, type VsCode } from '../harness/vscodeServer';
import { planEditorChecks, type E2eCheck } from './planEditor.e2e';
import { promqlChecks } from './promql.e2e';
import { runbookChecks } from './runbook.e2e';
import { sidePanelChecks } from './sidePanel.e2e';
import { untrustedChecks } from './untrusted.e2e';
import { ExpectationError, Workbench } from './workbench';
import { errorMessage } from '../../src/core/errors';

const trustedChecks: E2eCheck[] = [...planEditorChecks, ...promqlChecks, ...sidePanelChecks, ...runbookChecks];
const screenshotsDir = path.join(repoRoot, 'test/e2e/screenshots');

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : inspect(value, { depth: 4, breakLength: 100 });
  return text.split('\n').join('\n                 ');
}

interface Tally {
  passed: number;
  failed: number;
  failures: string[];
}

/** Starts one VS Code, runs `checks` in it in order, stops it; adds to `tally`. */
async function runPhase(label: string, trusted: boolean, checks: E2eCheck[], tally: Tally): Promise<void> {
  if (checks.length === 0) return;
  const started = Date.now();
  const failedBefore = tally.failures.length;
  let vscode: VsCode | undefined;
  try {
    vscode = await startVsCode({ label, trusted, extensions: [path.join(repoRoot, 'rollgate.vsix')] });
    console.log(`${label}: code-server up (workspace trust ${trusted ? 'off' : 'ON'}) in ${((Date.now() - started) / 1000).toFixed(1)} s; opening ${vscode.url}`);
    const workbench = new Workbench(await vscode.openBrowser());
    await workbench.ready();
    for (const check of checks) {
      const checkStarted = Date.now();
      const screenshot = path.join(screenshotsDir, `${check.screenshot}.png`);
      try {
        await check.run(workbench);
        await workbench.page.screenshot({ path: screenshot });
        tally.passed++;
        console.log(`  ok   ${check.name} (${Date.now() - checkStarted} ms)`);
      } catch (error) {
        tally.failed++;
        tally.failures.push(check.name);
        await workbench.page.screenshot({ path: screenshot }).catch(() => undefined);
        console.log(`  FAIL ${check.name} (${Date.now() - checkStarted} ms)`);
        console.log(`       ${errorMessage(error)}`);
        if (error instanceof ExpectationError) {
          console.log(`       expected: ${show(error.expected)}`);
          console.log(`       found:    ${show(error.found)}`);
        }
        console.log(`       screenshot: ${path.relative(repoRoot, screenshot)}`);
      }
      // Close whatever the check left open (hover, suggestions, quick input) for the next one.
      await workbench.escape();
      await workbench.escape();
    }
  } catch (error) {
    tally.failed++;
    tally.failures.push(`${label} harness`);
    console.log(`  FAIL the ${label} harness: ${errorMessage(error)}`);
  } finally {
    if (tally.failures.length > failedBefore && vscode) {
      console.log(`  evidence (code-server and VS Code logs, last screen) kept in ${await vscode.keepEvidence(tally.failures.slice(failedBefore).join('; '))}`);
    }
    await vscode?.stop();
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const filter = process.argv[2];
  const pick = (checks: E2eCheck[]): E2eCheck[] => (filter ? checks.filter((check) => check.name.includes(filter)) : checks);
  fs.rmSync(screenshotsDir, { recursive: true, force: true });
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const tally: Tally = { passed: 0, failed: 0, failures: [] };
  await runPhase('e2e', true, pick(trustedChecks), tally);
  await runPhase('e2e-untrusted', false, pick(untrustedChecks), tally);
  console.log(`  screenshots: ${path.relative(repoRoot, screenshotsDir)}/`);
  writeLayerCounts(repoRoot, { layer: 'e2e', passed: tally.passed, failed: tally.failed, seconds: (Date.now() - started) / 1000 });
  return tally.failed > 0 ? 1 : 0;
}

process.exitCode = await main();
