import * as vscode from 'vscode';
import { FixIndex } from './fixIndex';

/** A "did you mean" fix, with its edits already turned into ranges of the validated version. */
export interface PlanFix {
  title: string;
  edits: Array<{ range: vscode.Range; newText: string }>;
  /** Document version the edits were computed on; a fix for an older version is not offered. */
  version: number;
}

/**
 * Shared by the diagnostics publisher (which records each diagnostic's fix) and the quick-fix
 * provider (which looks it up for the diagnostics VS Code hands it).
 */
export class PlanFixStore {
  private readonly index = new FixIndex<PlanFix>();

  set(uri: vscode.Uri, entries: ReadonlyArray<{ diagnostic: vscode.Diagnostic; fix: PlanFix }>): void {
    this.index.set(uri.toString(), entries);
  }

  find(uri: vscode.Uri, diagnostic: vscode.Diagnostic): PlanFix | undefined {
    return this.index.find(uri.toString(), diagnostic);
  }

  delete(uri: vscode.Uri): void {
    this.index.delete(uri.toString());
  }

  clear(): void {
    this.index.clear();
  }
}
