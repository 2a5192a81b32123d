// PromQL in the real VS Code: a broken query typed into a plan gets its diagnostic at the exact
// characters; completion and hover in a guardrail query and in a promql cell come from a real
// Prometheus (rollgate dev's, started here); "Check guardrails now" runs each query once.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

import { startDevStack, type DevStack } from '../../src/dev/index';
import { rollgateExtensionId, waitForDiagnostics, workspaceFile } from './hostSupport';

const PLAN = 'host-promql.rollout.yaml';
const RUNBOOK = 'host-promql.runbook.md';
const codeOf = (diagnostic: vscode.Diagnostic) => (typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code);
const describe = (range: vscode.Range) => `${range.start.line + 1}:${range.start.character + 1}-${range.end.line + 1}:${range.end.character + 1}`;

async function labelsAt(uri: vscode.Uri, position: vscode.Position): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position);
  return list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
}

/** Polls completion until it offers `label` (Prometheus needs a scrape or two before series exist). */
async function waitForCompletion(uri: vscode.Uri, position: () => vscode.Position, label: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let labels: string[] = [];
  while (Date.now() < deadline) {
    labels = await labelsAt(uri, position());
    if (labels.includes(label)) return labels;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`completion never offered ${label}; last: ${labels.slice(0, 40).join(', ')}`);
}

suite('PromQL in plans and runbooks', function () {
  this.timeout(120_000);
  let stack: DevStack;
  let planText: string;

  suiteSetup(async function () {
    this.timeout(120_000);
    assert.equal(vscode.workspace.isTrusted, true, 'this suite runs in a trusted folder');
    stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus', requestsPerSecond: 20 });
    assert.ok(stack.prometheusUrl, `rollgate dev started without Prometheus: ${stack.notices.join(' ')}`);
    planText = new TextDecoder()
      .decode(await vscode.workspace.fs.readFile(workspaceFile('churn-canary.rollout.yaml')))
      .replace('http://127.0.0.1:8700', stack.deploymentUrl)
      .replace('http://127.0.0.1:9090', stack.prometheusUrl);
    await vscode.workspace.fs.writeFile(workspaceFile(PLAN), new TextEncoder().encode(planText));
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    await extension.activate();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const file of [PLAN, RUNBOOK]) await vscode.workspace.fs.delete(workspaceFile(file)).then(undefined, () => undefined);
    await stack?.stop();
  });

  test('typing a broken query into a plan shows Prometheus’s error at the exact characters, and fixing it clears it', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile(PLAN)));
    const document = editor.document;
    await waitForDiagnostics(document.uri, (found) => found.length === 0);
    // Put the cursor at the end of the error-rate query and type one parenthesis too many.
    const line = document
      .getText()
      .split('\n')
      .findIndex((text) => text.includes('query: sum(rate(rollgate_dev_requests_total{version="{{version}}",code=~"5.."}'));
    assert.ok(line >= 0, 'the plan has the error-rate query');
    const end = document.lineAt(line).range.end;
    editor.selection = new vscode.Selection(end, end);
    await vscode.commands.executeCommand('type', { text: ')' });
    const found = await waitForDiagnostics(document.uri, (diagnostics) => diagnostics.some((d) => codeOf(d) === 'plan/promql-syntax'));
    const syntax = found.find((d) => codeOf(d) === 'plan/promql-syntax')!;
    const expected = new vscode.Range(end, end.translate(0, 1));
    assert.ok(syntax.range.isEqual(expected), `marked at ${describe(expected)}, found ${describe(syntax.range)}`);
    assert.equal(syntax.message, "unexpected right parenthesis ')'");
    assert.equal(syntax.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(syntax.source, 'rollgate');
    await vscode.commands.executeCommand('deleteLeft');
    await waitForDiagnostics(document.uri, (diagnostics) => diagnostics.length === 0);
  });

  test('completion in a guardrail query offers metric names from the plan’s Prometheus, and hover shows a metric’s type and help', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile(PLAN)));
    const document = editor.document;
    const metricAt = document.getText().indexOf('rollgate_dev_requests_total{version');
    assert.ok(metricAt > 0);
    // Inside the metric name: metric names from Prometheus and functions alongside.
    const labels = await waitForCompletion(document.uri, () => document.positionAt(metricAt + 'rollgate_dev_req'.length), 'rollgate_dev_requests_total');
    assert.ok(labels.includes('rollgate_dev_request_duration_seconds_bucket'), `offers the histogram too among ${labels.length} items`);
    assert.ok(labels.includes('histogram_quantile'), 'offers functions');
    // Inside the label value: the versions Prometheus knows for that metric.
    const valueAt = document.getText().indexOf('"{{version}}"', metricAt) + 1;
    const values = await waitForCompletion(document.uri, () => document.positionAt(valueAt), '41');
    assert.ok(values.includes('{{version}}') || values.includes('41'), `offers values: ${values.join(', ')}`);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, document.positionAt(metricAt + 5));
    const text = hovers
      .flatMap((hover) => hover.contents)
      .map((content) => (typeof content === 'string' ? content : content.value))
      .join('\n');
    assert.match(text, /rollgate_dev_requests_total\*\* · `counter`/);
    assert.match(text, new RegExp(`From ${stack.prometheusUrl!.replace(/[.:/]/g, '\\$&')}`));
  });

  test('"Check guardrails now" runs each query once for the baseline and shows the results at the queries', async () => {
    const document = await vscode.workspace.openTextDocument(workspaceFile(PLAN));
    await vscode.window.showTextDocument(document);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
    const lens = lenses.find((candidate) => candidate.command?.command === 'rollgate.plan.checkGuardrails');
    assert.ok(lens, 'a code lens on guardrails:');
    assert.equal(document.lineAt(lens.range.start.line).text, 'guardrails:');
    const deadline = Date.now() + 60_000;
    let outcome: { ran: boolean; results?: Array<{ guardrail: string; outcome: string }> } | undefined;
    // Right after start the error-rate window may hold no baseline requests yet: run again until it does.
    while (Date.now() < deadline) {
      outcome = await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
      if (outcome?.results?.every((result) => result.outcome === 'ok')) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.equal(outcome?.ran, true);
    // The sample plan's drift guardrail is checked too: its bucket query, for the baseline.
    assert.deepEqual(
      outcome?.results?.map((result) => `${result.guardrail}:${result.outcome}`),
      ['error-rate:ok', 'p99-latency:ok', 'score-drift:ok'],
    );
    const shown = vscode.languages.getDiagnostics(document.uri).filter((d) => String(codeOf(d)).startsWith('preflight/'));
    assert.deepEqual(
      shown.map((d) => codeOf(d)),
      ['preflight/ok', 'preflight/ok', 'preflight/ok'],
    );
    const at = shown.map((d) => document.getText(d.range));
    assert.ok(
      at.every((text) => text.startsWith('sum(') || text.startsWith('histogram_quantile(') || text === 'rollgate_dev_prediction_score'),
      `each result sits on its query (a drift guardrail's on its histogram): ${JSON.stringify(at)}`,
    );
  });

  test('a promql cell shows its syntax error in the cell, and completes metric names from the linked plan’s Prometheus', async () => {
    const fence = '```';
    const runbook = ['---', 'title: PromQL cells', `plan: ./${PLAN}`, '---', '# Queries', '', `${fence}promql {"name":"served"}`, 'sum by (version) (rate(rollgate_dev_requests_total[1m])', fence, ''].join('\n');
    await vscode.workspace.fs.writeFile(workspaceFile(RUNBOOK), new TextEncoder().encode(runbook));
    const notebook = await vscode.workspace.openNotebookDocument(workspaceFile(RUNBOOK));
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.getCells().find((candidate) => candidate.document.languageId === 'promql');
    assert.ok(cell, 'the runbook has a promql cell');
    const found = await waitForDiagnostics(cell.document.uri, (diagnostics) => diagnostics.some((d) => codeOf(d) === 'runbook/promql-syntax'));
    const syntax = found.find((d) => codeOf(d) === 'runbook/promql-syntax')!;
    assert.equal(syntax.message, 'unclosed left parenthesis');
    assert.equal(cell.document.getText(syntax.range), '(', 'the unclosed parenthesis of sum by (version) (...');
    assert.equal(syntax.range.start.character, 'sum by (version) '.length);
    const at = cell.document.getText().indexOf('rollgate_dev_req') + 'rollgate_dev_req'.length;
    await waitForCompletion(cell.document.uri, () => cell.document.positionAt(at), 'rollgate_dev_requests_total');
  });
});
