// The runbook serializer inside the real VS Code: a sample runbook saved through the notebook
// comes back byte-identical, an edit rewrites only its cell, and plain Markdown stays text.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

import { rollgateExtensionId, workspaceFile } from './hostSupport';

const SAMPLE = 'churn-canary.runbook.md';
const EDITED_COPY = 'serializer-edit.runbook.md';
const PLAIN_MARKDOWN = 'serializer-plain-notes.md';
const STATUS_BODY = ['GET {{endpoints.deployment.url}}/v1/services/churn-scorer', 'Accept: application/json', 'Authorization: Bearer {{secret:deploy-token}}'].join('\n');

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

async function readBytes(name: string): Promise<Uint8Array> {
  return vscode.workspace.fs.readFile(workspaceFile(name));
}

/** Resolves with `value()` once it is defined, re-checking on `event`; fails after `timeoutMs`. */
function waitUntil<T, E>(event: vscode.Event<E>, value: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = value();
      if (found === undefined) return;
      cleanup();
      resolve(found);
    };
    const subscription = event(check);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      subscription.dispose();
    };
    check();
  });
}

/** Saves the notebook and waits until VS Code reports the save, so the serializer has written the file. */
async function saveNotebook(notebook: vscode.NotebookDocument): Promise<void> {
  assert.equal(notebook.isDirty, true, 'the notebook has unsaved changes, so saving writes the file');
  let saved = false;
  const subscription = vscode.workspace.onDidSaveNotebookDocument((document) => {
    if (document.uri.toString() === notebook.uri.toString()) saved = true;
  });
  try {
    assert.equal(await notebook.save(), true, 'NotebookDocument.save() succeeded');
    await waitUntil(vscode.workspace.onDidSaveNotebookDocument, () => (saved ? true : undefined), `the save event of ${notebook.uri.fsPath}`);
  } finally {
    subscription.dispose();
  }
  assert.equal(notebook.isDirty, false);
}

async function setCellText(cell: vscode.NotebookCell, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  const document = cell.document;
  edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), text);
  assert.equal(await vscode.workspace.applyEdit(edit), true, 'the cell edit applied');
  assert.equal(cell.document.getText(), text);
}

function statusCell(notebook: vscode.NotebookDocument): vscode.NotebookCell {
  const cell = notebook.getCells().find((candidate) => candidate.document.getText() === STATUS_BODY);
  assert.ok(cell, `a cell holds the status request; cells: ${JSON.stringify(notebook.getCells().map((c) => c.document.getText().slice(0, 40)))}`);
  assert.equal(cell.kind, vscode.NotebookCellKind.Code);
  assert.equal(cell.document.languageId, 'http');
  return cell;
}

suite('runbook serializer', function () {
  this.timeout(60_000);

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    await extension.activate();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const name of [EDITED_COPY, PLAIN_MARKDOWN]) {
      await vscode.workspace.fs.delete(workspaceFile(name)).then(undefined, () => undefined);
    }
  });

  test('the sample runbook opens as a rollgate-runbook notebook and saves byte-identical', async () => {
    const original = await readBytes(SAMPLE);
    const notebook = await vscode.workspace.openNotebookDocument(workspaceFile(SAMPLE));
    assert.equal(notebook.notebookType, 'rollgate-runbook');
    const code = notebook.getCells().filter((cell) => cell.kind === vscode.NotebookCellKind.Code);
    assert.deepEqual(
      code.map((cell) => cell.document.languageId),
      ['http', 'rollout', 'promql', 'promql', 'check', 'rollout', 'http'],
    );
    // Every cell language is a registered language, so VS Code shows no "unknown language" warning.
    const registered = new Set(await vscode.languages.getLanguages());
    assert.deepEqual(
      ['http', 'promql', 'rollout', 'check'].filter((id) => !registered.has(id)),
      [],
      'unregistered cell languages',
    );

    // Make the notebook dirty without changing its content: edit a cell, then put the text back.
    const cell = statusCell(notebook);
    await setCellText(cell, `${STATUS_BODY}\nX-Probe: 1`);
    await setCellText(cell, STATUS_BODY);
    await saveNotebook(notebook);

    const saved = await readBytes(SAMPLE);
    assert.equal(saved.length, original.length, 'same length on disk');
    assert.ok(Buffer.from(saved).equals(Buffer.from(original)), 'identical bytes on disk');
  });

  test('editing one code cell rewrites only that cell', async () => {
    const original = await readBytes(SAMPLE);
    await vscode.workspace.fs.writeFile(workspaceFile(EDITED_COPY), original);
    const notebook = await vscode.workspace.openNotebookDocument(workspaceFile(EDITED_COPY));
    const cell = statusCell(notebook);
    const attributesBefore = JSON.stringify(cell.metadata.attributes);
    const newBody = `${STATUS_BODY}\nX-Request-Id: serializer-host-test`;
    await setCellText(cell, newBody);
    await saveNotebook(notebook);

    const before = decoder.decode(original);
    const after = decoder.decode(await readBytes(EDITED_COPY));
    const bodyStart = before.indexOf(STATUS_BODY);
    assert.ok(bodyStart > 0 && before.indexOf(STATUS_BODY, bodyStart + 1) === -1, 'the status request occurs once in the sample');
    const bodyEnd = bodyStart + STATUS_BODY.length;
    assert.equal(after, before.slice(0, bodyStart) + newBody + before.slice(bodyEnd));
    // Said the other way: everything before and after the cell's body is untouched.
    assert.ok(after.startsWith(before.slice(0, bodyStart)), 'bytes before the cell are unchanged');
    assert.ok(after.endsWith(before.slice(bodyEnd)), 'bytes after the cell are unchanged');
    assert.equal(after.length - before.length, newBody.length - STATUS_BODY.length, 'the file grew by exactly the added text');
    assert.ok(after.includes('```http {"name":"status"}\n'), 'the fence line and its attributes are kept');
    assert.equal(JSON.stringify(cell.metadata.attributes), attributesBefore);
  });

  test('a plain .md file is not a runbook notebook', async () => {
    const fence = '```';
    const text = ['# Notes', '', 'Not a runbook, even with a runnable-looking fence:', '', `${fence}http {"name":"status"}`, 'GET http://127.0.0.1:8700/v1/services/churn-scorer', fence, ''].join('\n');
    await vscode.workspace.fs.writeFile(workspaceFile(PLAIN_MARKDOWN), new TextEncoder().encode(text));
    const uri = workspaceFile(PLAIN_MARKDOWN);

    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.languageId, 'markdown');
    assert.equal(document.getText(), text);

    // Opening it the way the Explorer does picks the default editor: a text editor, not the notebook.
    await vscode.commands.executeCommand('vscode.open', uri);
    const editor = await waitUntil(
      vscode.window.onDidChangeActiveTextEditor,
      () => (vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() ? vscode.window.activeTextEditor : undefined),
      `a text editor for ${PLAIN_MARKDOWN}`,
    );
    assert.equal(editor.document.languageId, 'markdown');
    assert.equal(vscode.window.activeNotebookEditor, undefined, 'no notebook editor is active');
    const notebooks = vscode.workspace.notebookDocuments.filter((notebook) => notebook.uri.toString() === uri.toString());
    assert.deepEqual(
      notebooks.map((notebook) => notebook.notebookType),
      [],
      'no notebook holds the plain Markdown file',
    );

    // The same command on a runbook does open the notebook, so the check above can tell them apart.
    const runbookUri = workspaceFile(SAMPLE);
    await vscode.commands.executeCommand('vscode.open', runbookUri);
    const notebookEditor = await waitUntil(
      vscode.window.onDidChangeActiveNotebookEditor,
      () => (vscode.window.activeNotebookEditor?.notebook.uri.toString() === runbookUri.toString() ? vscode.window.activeNotebookEditor : undefined),
      `a notebook editor for ${SAMPLE}`,
    );
    assert.equal(notebookEditor.notebook.notebookType, 'rollgate-runbook');
  });
});
