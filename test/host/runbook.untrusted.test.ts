// Runs only with workspace trust ON (harness mode `untrusted`): a runbook still opens as a
// notebook in Restricted Mode, with Rollgate's notebook type and its code cell. That a cell then
// refuses to run (nothing sent, no ledger) is shown by the e2e check test/e2e/untrusted.e2e.ts:
// executing a cell here makes VS Code ask "Do you trust the authors…?" in a modal that a host
// test cannot answer.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

import { rollgateExtensionId, workspaceFile } from './hostSupport';

suite('runbook notebook in an untrusted workspace', function () {
  this.timeout(60_000);

  test('a runbook opens as a Rollgate notebook in Restricted Mode', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const url = 'http://127.0.0.1:9'; // never contacted: nothing here executes a cell
    try {
      const fence = '```';
      const text = `---\ntitle: Untrusted\n---\n# Refuses\n\n${fence}http\nGET ${url}/v1/services/churn-scorer\n${fence}\n`;
      await vscode.workspace.fs.writeFile(workspaceFile('untrusted.runbook.md'), new TextEncoder().encode(text));
      const extension = vscode.extensions.getExtension(rollgateExtensionId);
      assert.ok(extension);
      const notebook = await vscode.workspace.openNotebookDocument(workspaceFile('untrusted.runbook.md'));
      await vscode.window.showNotebookDocument(notebook);
      await extension.activate();
      await vscode.commands.executeCommand('notebook.selectKernel', { id: 'rollgate-runbook-controller', extension: rollgateExtensionId });
      const cell = notebook.getCells().find((one) => one.kind === vscode.NotebookCellKind.Code);
      assert.ok(cell, 'the runbook opens as a notebook with its code cell, in Restricted Mode');
      assert.equal(notebook.notebookType, 'rollgate-runbook');
    } finally {
      await vscode.workspace.fs.delete(workspaceFile('untrusted.runbook.md')).then(undefined, () => undefined);
    }
  });
});
