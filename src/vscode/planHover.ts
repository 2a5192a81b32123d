import * as vscode from 'vscode';
import { hoverPlan } from '../core/plan/index';
import { PLAN_SELECTOR } from './planLanguage';
import { toRange } from './ranges';

/** Shows a plan field's description, type, default and allowed values (see `hoverPlan`). */
export function registerPlanHover(log: vscode.LogOutputChannel): vscode.Disposable {
  const provider: vscode.HoverProvider = {
    provideHover(document, position) {
      try {
        const hover = hoverPlan(document.getText(), document.offsetAt(position));
        if (!hover) return undefined;
        return new vscode.Hover(new vscode.MarkdownString(hover.markdown), toRange(document, hover.start, hover.end));
      } catch (error) {
        log.error(`hover in ${document.uri.toString()} failed`, error);
        return undefined;
      }
    },
  };
  return vscode.languages.registerHoverProvider(PLAN_SELECTOR, provider);
}
