// With workspace trust ON: PromQL diagnostics still appear (nothing is sent for them), but nothing
// asks the plan's Prometheus: completion offers Prometheus's functions only, and "Check guardrails
// now" has no code lens and refuses.
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as vscode from 'vscode';

import { rollgateExtensionId, waitForDiagnostics, workspaceFile } from './hostSupport';

suite('PromQL in an untrusted workspace', function () {
  this.timeout(60_000);
  let server: Server;
  const requests: string[] = [];

  suiteSetup(async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    // A loopback server standing where the plan says Prometheus is: it records any request.
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":["should_never_be_offered"]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const plan = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile('churn-canary.rollout.yaml'))).replace('http://127.0.0.1:9090', `http://127.0.0.1:${port}`);
    await vscode.workspace.fs.writeFile(workspaceFile('untrusted-promql.rollout.yaml'), new TextEncoder().encode(plan.replace('[30s])) /', '[30s]))) /')));
    await vscode.extensions.getExtension(rollgateExtensionId)?.activate();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(workspaceFile('untrusted-promql.rollout.yaml')).then(undefined, () => undefined);
    await new Promise((resolve) => server.close(resolve));
  });

  test('diagnostics appear, completion stays static, no request reaches the plan’s Prometheus', async () => {
    const document = await vscode.workspace.openTextDocument(workspaceFile('untrusted-promql.rollout.yaml'));
    await vscode.window.showTextDocument(document);
    const found = await waitForDiagnostics(document.uri, (diagnostics) => diagnostics.some((d) => (typeof d.code === 'object' ? d.code.value : d.code) === 'plan/promql-syntax'));
    assert.ok(found.some((d) => d.message === "unexpected right parenthesis ')'"));
    const at = document.getText().indexOf('rollgate_dev_requests_total') + 5;
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, document.positionAt(at));
    const labels = list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
    assert.ok(labels.includes('rate'), 'functions are offered');
    assert.ok(!labels.includes('should_never_be_offered'));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
    assert.ok(!lenses.some((lens) => lens.command?.command === 'rollgate.plan.checkGuardrails'), 'no "Check guardrails now" lens');
    const outcome = await vscode.commands.executeCommand<{ ran: boolean; reason?: string }>('rollgate.plan.checkGuardrails', document.uri);
    assert.equal(outcome?.ran, false);
    assert.deepEqual(requests, []);
  });
});
