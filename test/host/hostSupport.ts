// Helpers for test/host suites: reach the workspace, open fixtures, await diagnostics.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const rollgateExtensionId = 'rollgate.rollgate';

/** The folder the harness opened: a copy of examples/ plus test/fixtures/workspace/. */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri;
}

export function workspaceFile(relativePath: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot().fsPath, relativePath));
}

export async function openFixture(relativePath: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(relativePath));
  return vscode.window.showTextDocument(document);
}

/**
 * Resolves with the document's diagnostics once `accept` says they are the awaited ones
 * (waits on onDidChangeDiagnostics, never a fixed sleep); rejects after `timeoutMs` showing
 * what was present at that time.
 */
export function waitForDiagnostics(uri: vscode.Uri, accept: (diagnostics: readonly vscode.Diagnostic[]) => boolean = (diagnostics) => diagnostics.length > 0, timeoutMs = 10_000): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const diagnostics = vscode.languages.getDiagnostics(uri);
      if (!accept(diagnostics)) return false;
      cleanup();
      resolve(diagnostics);
      return true;
    };
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((changed) => changed.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      cleanup();
      const found = vscode.languages.getDiagnostics(uri).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for diagnostics on ${uri.fsPath}; found: ${JSON.stringify(found)}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      subscription.dispose();
    };
    check();
  });
}

/** One-based line numbers of the diagnostics, sorted, for readable assertions. */
export function diagnosticLines(diagnostics: readonly vscode.Diagnostic[]): number[] {
  return [...new Set(diagnostics.map((d) => d.range.start.line + 1))].sort((a, b) => a - b);
}
