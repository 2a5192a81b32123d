// Runbook parser findings in the Problems panel: published on the runbook's file URI whether it
// is open as a notebook or as text, and updated when the text changes.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

import { registerRunbookDiagnostics } from '../../src/vscode/runbookDiagnostics';
import { rollgateExtensionId, waitForDiagnostics, workspaceFile } from './hostSupport';

const NOTEBOOK_FILE = 'diagnostics-notebook.runbook.md';
const TEXT_FILE = 'diagnostics-text.runbook.md';

const fence = '```';
const brokenRunbook = [
  '# Drill with mistakes', // line 1
  '',
  `${fence}http {"name": status}`, // 3: invalid JSON
  'GET http://127.0.0.1:8700/v1/services/churn-scorer',
  fence,
  '',
  `${fence}promql {"colour":"red","wait":"soon"}`, // 7: unknown attribute, bad duration
  'up',
  fence,
  '',
  '- a list item holding a runnable block:',
  '',
  `  ${fence}rollout`, // 13: nested fence
  '  rollback reason "documentation only"',
  `  ${fence}`,
  '',
].join('\n');

/**
 * `line code` for each finding, de-duplicated: the extension may publish the same findings from
 * its own registration besides the one this suite makes.
 */
function summary(diagnostics: readonly vscode.Diagnostic[]): string[] {
  return [...new Set(diagnostics.map((d) => `${d.range.start.line + 1} ${String(d.code)}`))].sort();
}

const hasCodes = (codes: string[]) => (diagnostics: readonly vscode.Diagnostic[]) => {
  const found = new Set(diagnostics.map((d) => String(d.code)));
  return codes.every((code) => found.has(code));
};

suite('runbook diagnostics', function () {
  this.timeout(60_000);
  let registration: vscode.Disposable;
  let log: vscode.LogOutputChannel;

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    await extension.activate();
    log = vscode.window.createOutputChannel('Rollgate runbook diagnostics (host test)', { log: true });
    registration = registerRunbookDiagnostics(log);
    for (const name of [NOTEBOOK_FILE, TEXT_FILE]) {
      await vscode.workspace.fs.writeFile(workspaceFile(name), new TextEncoder().encode(brokenRunbook));
    }
  });

  suiteTeardown(async () => {
    registration?.dispose();
    log?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const name of [NOTEBOOK_FILE, TEXT_FILE]) {
      await vscode.workspace.fs.delete(workspaceFile(name)).then(undefined, () => undefined);
    }
  });

  test('a runbook open as a notebook has its findings on the file, at the right lines', async () => {
    const uri = workspaceFile(NOTEBOOK_FILE);
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    assert.equal(notebook.notebookType, 'rollgate-runbook');
    const diagnostics = await waitForDiagnostics(uri, hasCodes(['runbook/attributes-invalid', 'runbook/nested-fence-not-runnable']));
    assert.deepEqual(summary(diagnostics), ['13 runbook/nested-fence-not-runnable', '3 runbook/attributes-invalid', '7 runbook/attribute-duration-invalid', '7 runbook/attribute-unknown']);
    const invalid = diagnostics.find((d) => d.code === 'runbook/attributes-invalid')!;
    assert.equal(invalid.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(invalid.source, 'rollgate');
    // The range covers exactly the attribute text after the language word.
    assert.deepEqual([invalid.range.start.character, invalid.range.end.character], [8, 8 + '{"name": status}'.length]);
    const nested = diagnostics.find((d) => d.code === 'runbook/nested-fence-not-runnable')!;
    assert.equal(nested.severity, vscode.DiagnosticSeverity.Information);
  });

  test('a runbook open as text is checked too, and again after an edit', async () => {
    const uri = workspaceFile(TEXT_FILE);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    await waitForDiagnostics(uri, hasCodes(['runbook/attributes-invalid']));

    // Fix the JSON on line 3: that finding goes, the others stay.
    const line = document.lineAt(2);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, line.range, `${fence}http {"name":"status","timeout":"5s"}`);
    assert.equal(await vscode.workspace.applyEdit(edit), true);
    const after = await waitForDiagnostics(uri, (diagnostics) => diagnostics.length > 0 && !hasCodes(['runbook/attributes-invalid'])(diagnostics));
    assert.deepEqual(summary(after), ['13 runbook/nested-fence-not-runnable', '7 runbook/attribute-duration-invalid', '7 runbook/attribute-unknown']);
  });
});
