// Runs only with workspace trust ON (harness mode `untrusted`): a runbook still opens as a
// notebook in Restricted Mode, and nothing is sent or recorded.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';

import { rollgateExtensionId, workspaceFile, workspaceRoot } from './hostSupport';

suite('runbook notebook in an untrusted workspace', function () {
  this.timeout(60_000);

  test('a runbook opens as a notebook; nothing is sent and no ledger is written', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    let requests = 0;
    const server = createServer((_request, response) => {
      requests++;
      response.end('{}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
      // Executing a cell here makes VS Code itself ask "Do you trust the authors…?" (a modal a host
      // test cannot answer); declining runs nothing. The controller's own refusal is a second gate,
      // for executions that reach it without that prompt.
      assert.equal(requests, 0, 'no request reached the endpoint');
      assert.equal(fs.existsSync(path.join(workspaceRoot().fsPath, '.rollgate')), false, 'no ledger written');
    } finally {
      server.closeAllConnections();
      server.close();
      await vscode.workspace.fs.delete(workspaceFile('untrusted.runbook.md')).then(undefined, () => undefined);
    }
  });
});
