// A runbook opened as a notebook in the real VS Code, its cells run by the Rollgate controller
// against the real `rollgate dev` stack (and the real Prometheus it starts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

import { startDevStack, type DevStack } from '../../src/dev/index';
import { rollgateExtensionId, workspaceFile, workspaceRoot } from './hostSupport';

const CONTROLLER = { id: 'rollgate-runbook-controller', extension: rollgateExtensionId };
const SECRET = 'host-secret-3b9d61f2a7';
const ERROR_MIME = 'application/vnd.code.notebook.error';

/** The dev stack the cells talk to: the harness's (ROLLGATE_DEV_URL) or one started here. */
interface Endpoints {
  deploymentUrl: string;
  prometheusUrl: string;
  stop?: () => Promise<void>;
}

async function endpoints(): Promise<Endpoints> {
  const given = process.env.ROLLGATE_DEV_URL;
  if (given) {
    const prometheusUrl = process.env.ROLLGATE_DEV_PROMETHEUS_URL;
    assert.ok(prometheusUrl, 'ROLLGATE_DEV_URL is set, so ROLLGATE_DEV_PROMETHEUS_URL must name its Prometheus too');
    return { deploymentUrl: given, prometheusUrl };
  }
  // The real stack, in the extension host's Node, on free loopback ports; Prometheus is required.
  const stack: DevStack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus', token: SECRET, requestsPerSecond: 20 });
  assert.ok(stack.prometheusUrl, `rollgate dev started without Prometheus: ${stack.notices.join(' ')}`);
  return { deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl, stop: () => stack.stop() };
}

function runbookText(): string {
  const fence = '```';
  return [
    '---',
    'title: Host drill',
    'plan: ./host-drill.rollout.yaml',
    'environment: staging',
    '---',
    '# Is the service healthy?',
    '',
    `${fence}http {"name":"status"}`,
    'GET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}',
    'Authorization: Bearer {{secret:deploy-token}}',
    fence,
    '',
    `${fence}rollout {"name":"now"}`,
    'status',
    fence,
    '',
    `${fence}promql {"name":"served","range":"1m","step":"2s"}`,
    'sum by (version) (rollgate_dev_requests_total)',
    fence,
    '',
    `${fence}http`,
    'GET {{endpoints.deployment.url}}/v1/services/{{status.body.no_such_field}}',
    fence,
    '',
    `${fence}http {"name":"after"}`,
    'GET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}',
    'Authorization: Bearer {{secret:deploy-token}}',
    fence,
    '',
  ].join('\n');
}

/** Resolves once `accept(cell)` holds, re-checking on every notebook change; fails after `timeoutMs`. */
function waitForCell(cell: vscode.NotebookCell, accept: (cell: vscode.NotebookCell) => boolean, what: string, timeoutMs = 20_000): Promise<vscode.NotebookCell> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!accept(cell)) return;
      cleanup();
      resolve(cell);
    };
    const subscription = vscode.workspace.onDidChangeNotebookDocument((event) => {
      if (event.notebook.uri.toString() === cell.notebook.uri.toString()) check();
    });
    const timer = setTimeout(() => {
      cleanup();
      const outputs = cell.outputs.flatMap((output) => output.items.map((item) => `${item.mime}: ${new TextDecoder().decode(item.data).slice(0, 300)}`));
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; summary ${JSON.stringify(cell.executionSummary)}, outputs ${JSON.stringify(outputs)}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      subscription.dispose();
    };
    check();
  });
}

const finishedAfter = (order: number) => (cell: vscode.NotebookCell) =>
  cell.executionSummary?.success !== undefined && (cell.executionSummary.executionOrder ?? 0) > order && cell.executionSummary.timing?.endTime !== undefined;

function itemText(cell: vscode.NotebookCell, mime: string): string[] {
  return cell.outputs.flatMap((output) => output.items.filter((item) => item.mime === mime).map((item) => new TextDecoder().decode(item.data)));
}

async function runCells(notebook: vscode.NotebookDocument, start: number, end: number): Promise<void> {
  await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start, end }], document: notebook.uri });
}

suite('runbook notebook', function () {
  this.timeout(90_000);
  let stack: Endpoints;
  let notebook: vscode.NotebookDocument;

  suiteSetup(async function () {
    this.timeout(90_000);
    assert.equal(vscode.workspace.isTrusted, true, 'this suite runs in a trusted folder');
    stack = await endpoints();
    const planText = new TextDecoder()
      .decode(await vscode.workspace.fs.readFile(workspaceFile('churn-canary.rollout.yaml')))
      .replace('http://127.0.0.1:8700', stack.deploymentUrl)
      .replace('http://127.0.0.1:9090', stack.prometheusUrl);
    await vscode.workspace.fs.writeFile(workspaceFile('host-drill.rollout.yaml'), new TextEncoder().encode(planText));
    await vscode.workspace.fs.writeFile(workspaceFile('host-drill.runbook.md'), new TextEncoder().encode(runbookText()));
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    await extension.activate();
    const stored = await vscode.commands.executeCommand<boolean>('rollgate.setSecret', 'deploy-token', SECRET);
    assert.equal(stored, true, 'rollgate.setSecret stored the token');
    notebook = await vscode.workspace.openNotebookDocument(workspaceFile('host-drill.runbook.md'));
    await vscode.window.showNotebookDocument(notebook);
    await vscode.commands.executeCommand('notebook.selectKernel', CONTROLLER);
  });

  suiteTeardown(async () => {
    await stack?.stop?.();
  });

  test('opens as a rollgate-runbook notebook with its code cells', () => {
    assert.equal(notebook.notebookType, 'rollgate-runbook');
    const code = notebook.getCells().filter((cell) => cell.kind === vscode.NotebookCellKind.Code);
    assert.deepEqual(
      code.map((cell) => cell.document.languageId),
      ['http', 'rollout', 'promql', 'http', 'http'],
    );
  });

  test('an http GET cell runs against the dev stack and shows status and JSON', async () => {
    const cell = notebook.cellAt(1);
    assert.equal(cell.document.languageId, 'http');
    await runCells(notebook, 1, 2);
    await waitForCell(cell, finishedAfter(0), 'the http cell to finish');
    assert.equal(cell.executionSummary?.success, true, `outputs: ${JSON.stringify(itemText(cell, ERROR_MIME))}`);
    assert.ok((cell.executionSummary?.executionOrder ?? 0) >= 1);
    const timing = cell.executionSummary?.timing;
    assert.ok(timing && timing.endTime >= timing.startTime, 'start and end times are recorded');
    // Like REST Client: status line with the time taken, the response headers folded, then the body.
    assert.match(itemText(cell, 'text/plain')[0] ?? '', /^HTTP 200 OK · \d+ ms$/);
    assert.match(itemText(cell, 'text/html')[0] ?? '', /Response headers \(\d+\)/);
    const bodyText = itemText(cell, 'application/json').at(-1) ?? '{}';
    assert.match(bodyText, /^\{\n {2}"/, 'JSON outputs are indented by two spaces');
    assert.ok(!bodyText.includes('\t'), 'JSON outputs hold no tabs');
    const body = JSON.parse(bodyText) as { service?: string; stable?: string };
    assert.equal(body.service, 'churn-scorer');
    assert.equal(body.stable, '41');
  });

  test('a rollout status cell and a promql range cell give JSON, a table and an SVG chart', async () => {
    const status = notebook.cellAt(2);
    const promql = notebook.cellAt(3);
    await runCells(notebook, 2, 3);
    await waitForCell(status, finishedAfter(0), 'the rollout cell to finish');
    assert.equal(status.executionSummary?.success, true, JSON.stringify(itemText(status, ERROR_MIME)));
    assert.ok(itemText(status, 'application/json').some((text) => text.includes('"churn-scorer"')));

    // Prometheus needs a couple of scrapes before a range has points: re-run until it does.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const before = promql.executionSummary?.executionOrder ?? 0;
      await runCells(notebook, 3, 4);
      await waitForCell(promql, finishedAfter(before), 'the promql cell to finish');
      if (promql.executionSummary?.success && itemText(promql, 'image/svg+xml').some((svg) => svg.includes('<path'))) break;
      assert.ok(Date.now() < deadline, `no chart after 30 s: ${JSON.stringify(itemText(promql, ERROR_MIME))}`);
    }
    assert.ok(itemText(promql, 'text/markdown')[0]?.includes('| version |'), 'a Markdown table of the series');
  });

  test('Run All stops at the first failure: an unresolved variable fails its cell and later cells do not run', async () => {
    const failing = notebook.cellAt(4);
    const after = notebook.cellAt(5);
    const before = failing.executionSummary?.executionOrder ?? 0;
    await vscode.commands.executeCommand('notebook.execute', notebook.uri);
    await waitForCell(failing, finishedAfter(before), 'the failing cell to finish');
    assert.equal(failing.executionSummary?.success, false);
    const errors = itemText(failing, ERROR_MIME).join('\n');
    assert.match(errors, /status\.body\.no_such_field/);
    assert.equal(after.executionSummary?.executionOrder, undefined, 'the cell after the failure never ran');
  });

  test('every run is in the workspace ledger, without the secret', () => {
    const ledger = path.join(workspaceRoot().fsPath, '.rollgate', 'ledger.jsonl');
    const text = fs.readFileSync(ledger, 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; actor: string });
    assert.ok(entries.length >= 5, `ledger has ${entries.length} entries`);
    // This suite's cell runs are recorded by the editor's user (other suites share the record root
    // since one ledger serves the CLI and the editor, and write as `host-test`).
    const mine = entries.filter((entry) => entry.actor.startsWith('vscode:'));
    assert.ok(mine.filter((entry) => entry.action === 'cell-run').length >= 5, JSON.stringify(entries.map((entry) => `${entry.action} by ${entry.actor}`)));
    assert.equal(text.includes(SECRET), false, 'the ledger never holds the secret');
  });
});
