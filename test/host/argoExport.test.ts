// "Rollgate: Export Plan to Argo Rollouts" in the packaged extension (its Kubernetes-model schema
// check runs from the .vsix, re2.wasm included), and export findings in the Problems panel.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { openFixture, waitForDiagnostics } from './hostSupport';

interface ArgoExportResult {
  ok: boolean;
  content?: string;
  message?: string;
}

const codeOf = (diagnostic: vscode.Diagnostic) => (typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code);

suite('Export to Argo Rollouts', () => {
  teardown(async () => {
    // The exported YAML is an unsaved document, and the second test edits a plan: revert and close
    // each one, so closing never stops at a "save changes?" dialog.
    for (const document of vscode.workspace.textDocuments) {
      if (!document.isDirty || document.isClosed) continue;
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the command opens the Rollout and its AnalysisTemplates beside the plan', async () => {
    const editor = await openFixture('churn-argo-canary.rollout.yaml');
    const result = await vscode.commands.executeCommand<ArgoExportResult>('rollgate.exportArgoRollouts', editor.document.uri);
    assert.strictEqual(result.ok, true, result.message);
    assert.match(result.content ?? '', /^kind: Rollout$/m);
    assert.match(result.content ?? '', /^kind: AnalysisTemplate$/m);
    const beside = vscode.window.visibleTextEditors.find((visible) => visible.document.languageId === 'yaml' && visible.document.getText() === result.content);
    assert.ok(beside, 'the exported YAML is open in an editor');
    assert.notStrictEqual(beside.viewColumn, editor.viewColumn, 'beside the plan, not over it');
  });

  test('a plan with an export block shows what the export refuses, at the exact span', async () => {
    const editor = await openFixture('churn-argo-canary.rollout.yaml');
    const document = editor.document;
    const text = document.getText();
    // Without the traffic router, the shadow stage's mirror cannot be exported.
    const start = text.indexOf('    trafficRouting:');
    const end = text.indexOf('    prometheusAddress:');
    assert.ok(start > 0 && end > start);
    await editor.edit((builder) => builder.delete(new vscode.Range(document.positionAt(start), document.positionAt(end))));
    const diagnostics = await waitForDiagnostics(document.uri, (found) => found.some((diagnostic) => codeOf(diagnostic) === 'export/mirror-needs-router'));
    const refusal = diagnostics.find((diagnostic) => codeOf(diagnostic) === 'export/mirror-needs-router')!;
    assert.strictEqual(refusal.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(document.getText(refusal.range), '100');
    const result = await vscode.commands.executeCommand<ArgoExportResult>('rollgate.exportArgoRollouts', document.uri);
    assert.strictEqual(result.ok, false);
    assert.match(result.message ?? '', /cannot be exported to Argo Rollouts/);
  });
});
