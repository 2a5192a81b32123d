import { resolve } from 'node:path';
import * as vscode from 'vscode';

import { editorRecordLocation, findRecordRoot, type RecordLocation } from '../core/ledger/index';

/**
 * Where the ledger and rollout state of a plan or runbook live in the editor: the same rule as
 * the CLI's (`src/core/ledger/location.ts`), so a rollout started from a terminal shows in the
 * panel and the per-service lock is one lock. The `rollgate.ledger.path` setting (relative to the
 * file's workspace folder) moves only the ledger file.
 */
export function editorRecordFor(file: vscode.Uri): RecordLocation {
  const configured = vscode.workspace.getConfiguration('rollgate', file).get<string>('ledger.path');
  const folder = vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath;
  return editorRecordLocation(file.fsPath, { ...(configured ? { ledgerPath: configured } : {}), ...(folder ? { workspaceFolder: folder } : {}) });
}

/** The record of the first workspace folder, when no plan is selected. */
export function workspaceRecord(): RecordLocation | undefined {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!root || root.scheme !== 'file') return undefined;
  const location = findRecordRoot(root.fsPath);
  const configured = vscode.workspace.getConfiguration('rollgate', root).get<string>('ledger.path');
  return configured ? { ...location, ledgerPath: resolve(root.fsPath, configured) } : location;
}
