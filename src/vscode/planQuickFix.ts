import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, PLAN_SELECTOR } from './planLanguage';
import type { PlanFixStore } from './planFixes';

/** Offers each Rollgate diagnostic's "did you mean" fix as a preferred quick fix. */
export function registerPlanQuickFix(log: vscode.LogOutputChannel, fixes: PlanFixStore): vscode.Disposable {
  const provider: vscode.CodeActionProvider = {
    provideCodeActions(document, _range, context) {
      try {
        const actions: vscode.CodeAction[] = [];
        for (const diagnostic of context.diagnostics) {
          if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
          const fix = fixes.find(document.uri, diagnostic);
          // Edits were computed on the validated version; after an edit, wait for the next run.
          if (!fix || fix.version !== document.version) continue;
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.diagnostics = [diagnostic];
          action.isPreferred = true;
          const edit = new vscode.WorkspaceEdit();
          for (const change of fix.edits) edit.replace(document.uri, change.range, change.newText);
          action.edit = edit;
          actions.push(action);
        }
        return actions;
      } catch (error) {
        log.error(`quick fixes for ${document.uri.toString()} failed`, error);
        return [];
      }
    },
  };
  return vscode.languages.registerCodeActionsProvider(PLAN_SELECTOR, provider, {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  });
}
