import * as vscode from 'vscode';

/**
 * Composes one registration per capability; each `registerX` lives in its own module and
 * returns a Disposable, so activation stays a list.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Rollgate', { log: true });
  context.subscriptions.push(log);
}

export function deactivate(): void {}
