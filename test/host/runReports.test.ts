// Changelog entries and timeline rows open what they came from, inside a real VS Code: a cell run
// opens its runbook as a notebook at the cell, a rollout entry its plan at the stage. The view
// sends only the entry's number (through the same validation as the panel's messages).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';

import { Ledger } from '../../src/core/ledger/index';
import { planDigest } from '../../src/core/plan/validate';
import { workspaceFile } from './hostSupport';
import { waitFor } from '../support/poll';

interface Inspection {
  stats: { invalidMessages: number; validMessages: number };
}
const deliver = (message: unknown) => vscode.commands.executeCommand<Inspection>('rollgate.sidePanel.inspect', { message });

const RUNBOOK = 'host-report.runbook.md';
const runbookText = [
  '---',
  'title: Host report links',
  '---',
  '# Check',
  '',
  '```http {"name":"status"}',
  'GET http://127.0.0.1:9/v1/services/churn-scorer',
  '```',
  '',
  'Then roll back.',
  '',
  '```rollout {"name":"back"}',
  'rollback to baseline reason "test"',
  '```',
  '',
].join('\n');

suite('links from the changelog and the timeline', function () {
  this.timeout(60_000);
  const ledger = () => new Ledger({ path: workspaceFile('.rollgate/ledger.jsonl').fsPath });

  suiteSetup(() => {
    fs.writeFileSync(workspaceFile(RUNBOOK).fsPath, runbookText);
  });

  test('a cell run opens its runbook as a notebook, at the cell it ran', async () => {
    const entry = await ledger().append({
      actor: 'host-test',
      action: 'cell-run',
      service: 'churn-scorer',
      request: { method: 'POST', url: 'http://127.0.0.1:9/rollback', outcome: 'success', runbook: RUNBOOK, cell: 'back' },
    });
    await deliver({ type: 'openSource', seq: entry.seq });
    const editor = await waitFor('the runbook open as a notebook', 20_000, async () => {
      const active = vscode.window.activeNotebookEditor;
      return active?.notebook.uri.fsPath.endsWith(RUNBOOK) ? active : undefined;
    });
    const cell = editor.notebook.cellAt(editor.selection.start);
    assert.equal(cell.document.getText().trim(), 'rollback to baseline reason "test"');
    assert.equal((cell.metadata as { attributes?: { name?: string } }).attributes?.name, 'back');
  });

  test('a rollout entry opens the plan it followed, at its stage', async () => {
    const planFile = workspaceFile('churn-canary.rollout.yaml');
    const text = fs.readFileSync(planFile.fsPath, 'utf8');
    const entry = await ledger().append({
      actor: 'host-test',
      action: 'traffic-change',
      service: 'churn-scorer',
      runId: 'host-run',
      planDigest: planDigest(text),
      to: { weights: { '41': 90, '42': 10 }, stage: 'canary-10' },
      details: { stage: 'canary-10' },
    });
    await deliver({ type: 'openSource', seq: entry.seq });
    const editor = await waitFor('the plan open at canary-10', 20_000, async () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.fsPath === planFile.fsPath && active.document.getText(active.selection) === 'canary-10' ? active : undefined;
    });
    assert.match(editor.document.lineAt(editor.selection.start.line).text, /name: canary-10/);
  });

  test('a runbook outside the workspace is never opened, and a made-up message is refused', async () => {
    const before = vscode.window.activeTextEditor?.document.uri.toString();
    const entry = await ledger().append({
      actor: 'host-test',
      action: 'cell-run',
      service: 'churn-scorer',
      request: { method: 'GET', url: 'http://127.0.0.1:9/', outcome: 'success', runbook: '../../etc/outside.runbook.md', cell: 'x' },
    });
    const counts = (await deliver({ type: 'openSource', seq: entry.seq })).stats;
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), before);
    assert.ok(!vscode.window.activeNotebookEditor?.notebook.uri.fsPath.endsWith('outside.runbook.md'));
    const refused = (await deliver({ type: 'openSource', seq: entry.seq, runbook: '/etc/passwd' })).stats;
    assert.equal(refused.invalidMessages, counts.invalidMessages + 1);
  });
});
