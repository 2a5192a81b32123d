// Runs only with workspace trust ON (harness mode `untrusted`): Rollgate must run in limited
// mode there, validating plans but executing nothing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { diagnosticLines, openFixture, rollgateExtensionId, waitForDiagnostics, workspaceRoot } from './hostSupport';

suite('untrusted workspace', () => {
  test('the folder is untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('Rollgate activates in limited mode when a plan opens', async () => {
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    await openFixture('e2e-broken.rollout.yaml');
    await extension.activate();
    assert.equal(extension.isActive, true);
    const declared = (extension.packageJSON as { capabilities?: { untrustedWorkspaces?: { supported?: unknown } } }).capabilities;
    assert.equal(declared?.untrustedWorkspaces?.supported, 'limited');
  });

  test('a broken plan still gets its diagnostics', async () => {
    const editor = await openFixture('e2e-broken.rollout.yaml');
    const diagnostics = await waitForDiagnostics(editor.document.uri, (found) => {
      const lines = diagnosticLines(found);
      return lines.includes(8) && lines.includes(34);
    });
    assert.ok(
      diagnostics.every((d) => d.source === undefined || /rollgate/i.test(d.source)),
      'diagnostics come from Rollgate',
    );
  });

  test('nothing executed: no ledger written, no terminal opened', () => {
    assert.equal(fs.existsSync(path.join(workspaceRoot().fsPath, '.rollgate')), false, 'no .rollgate/ ledger folder in the workspace');
    assert.deepEqual(
      vscode.window.terminals.map((terminal) => terminal.name),
      [],
    );
  });
});
