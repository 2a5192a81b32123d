import * as vscode from 'vscode';
import { completePlan, type PlanCompletionKind } from '../core/plan/index';
import { PLAN_SELECTOR } from './planLanguage';
import { toRange } from './ranges';

const itemKinds: Record<PlanCompletionKind, vscode.CompletionItemKind> = {
  key: vscode.CompletionItemKind.Property,
  value: vscode.CompletionItemKind.EnumMember,
  guardrail: vscode.CompletionItemKind.Reference,
};

/** Completes plan keys, enum values and guardrail names (see `completePlan` in the core). */
export function registerPlanCompletion(log: vscode.LogOutputChannel): vscode.Disposable {
  const provider: vscode.CompletionItemProvider = {
    provideCompletionItems(document, position) {
      try {
        return completePlan(document.getText(), document.offsetAt(position)).map((proposal) => {
          const item = new vscode.CompletionItem(proposal.label, itemKinds[proposal.kind]);
          item.detail = proposal.detail;
          if (proposal.documentation !== undefined) item.documentation = new vscode.MarkdownString(proposal.documentation);
          item.insertText = proposal.insertText;
          item.range = toRange(document, proposal.replaceStart, proposal.replaceEnd);
          item.sortText = proposal.sortText;
          // The core already indents multi-line inserts to the key's column.
          item.keepWhitespace = true;
          return item;
        });
      } catch (error) {
        log.error(`completion in ${document.uri.toString()} failed`, error);
        return [];
      }
    },
  };
  // `:` and ` ` open value proposals right after a key; `-` a new list item; `[`/`,` flow lists of guardrails.
  return vscode.languages.registerCompletionItemProvider(PLAN_SELECTOR, provider, ':', ' ', '-', '[', ',');
}
