// The newcomer's commands in the packaged extension: Validate, Dry run (nothing sent) and the
// CodeLens on a plan's first line that offers them with Start rollout and Export.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { openFixture } from './hostSupport';

interface ValidateResult {
  ok: boolean;
  message: string;
}
interface DryRunResult {
  ok: boolean;
  status: string;
  lines: string[];
}

suite('plan commands', () => {
  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Validate says a sample plan is valid and counts its stages', async () => {
    const editor = await openFixture('churn-canary.rollout.yaml');
    const result = await vscode.commands.executeCommand<ValidateResult>('rollgate.plan.validate', editor.document.uri);
    assert.strictEqual(result.ok, true, result.message);
    assert.match(result.message, /churn-canary\.rollout\.yaml is valid: \d+ stage\(s\), \d+ guardrail\(s\)\./);
  });

  test('Dry run walks every stage without sending and ends promoted', async () => {
    const editor = await openFixture('churn-canary.rollout.yaml');
    const result = await vscode.commands.executeCommand<DryRunResult>('rollgate.plan.dryRun', editor.document.uri);
    assert.strictEqual(result.ok, true);
    assert.strictEqual(result.status, 'promoted', result.lines.join('\n'));
    assert.ok(
      result.lines.some((line) => line.includes('would send PUT traffic')),
      result.lines.join('\n'),
    );
  });

  test('Dry run of a plan with feature flags says what it would set, as the CLI does (one core set-up)', async () => {
    const editor = await openFixture('churn-flags.rollout.yaml');
    const result = await vscode.commands.executeCommand<DryRunResult>('rollgate.plan.dryRun', editor.document.uri);
    assert.strictEqual(result.ok, true);
    assert.match(result.lines[0] ?? '', /nothing is sent; guardrails are not measured; feature flags are taken to start off/, result.lines.join('\n'));
    assert.ok(
      result.lines.some((line) => line.includes('would set feature flags on')),
      result.lines.join('\n'),
    );
  });

  test("the plan's first line offers Validate, Dry run, Start rollout and Export", async () => {
    const editor = await openFixture('churn-canary.rollout.yaml');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    const titles = lenses.filter((lens) => lens.range.start.line === 0).map((lens) => lens.command?.title);
    for (const title of ['Validate', 'Dry run', 'Start rollout', 'Export to Argo Rollouts']) assert.ok(titles.includes(title), `${title} in ${titles.join(', ')}`);
  });
});
