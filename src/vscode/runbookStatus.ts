import * as vscode from 'vscode';

import { cellEffect, cellEffectBadge, describeTarget, type TargetDescription } from '../core/cells/index';
import { RUNBOOK_NOTEBOOK_TYPE, runbookCellAttributes, runbookMetadata } from './runbookSerializer';

/** Resolves a cell's target without sending anything; undefined when it cannot (yet). */
export type CellTargetResolver = (notebook: vscode.NotebookDocument, cell: vscode.NotebookCell) => Promise<TargetDescription | undefined>;

/**
 * Says what a runbook does before it runs: a badge on each mutating cell ("changes traffic: set
 * churn-scorer traffic to 42 10%") with the resolved request as its tooltip, and a status bar
 * item naming the runbook's linked plan and environment (its front matter).
 */
export function registerRunbookStatus(resolveTarget: CellTargetResolver): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const cellBadges: vscode.NotebookCellStatusBarItemProvider = {
    onDidChangeCellStatusBarItems: changed.event,
    async provideCellStatusBarItems(cell) {
      if (cell.kind !== vscode.NotebookCellKind.Code) return [];
      const spec = { language: cell.document.languageId, attributes: runbookCellAttributes(cell), value: cell.document.getText() };
      const effect = cellEffect(spec);
      if (!effect) return [];
      // Resolving reads the plan and variables only; an untrusted folder gets the effect alone.
      const target = vscode.workspace.isTrusted ? await resolveTarget(cell.notebook, cell).catch(() => undefined) : undefined;
      const item = new vscode.NotebookCellStatusBarItem(`$(warning) ${cellEffectBadge(effect, target)}`, vscode.NotebookCellStatusBarAlignment.Left);
      item.tooltip = target ? vscode.l10n.t('Asks before it runs. Sends:\n{0}', describeTarget(target)) : vscode.l10n.t('Asks before it runs: this cell {0}.', effect);
      item.accessibilityInformation = { label: vscode.l10n.t('This cell {0}', cellEffectBadge(effect, target)) };
      return [item];
    },
  };

  const frontMatter = vscode.window.createStatusBarItem('rollgate.runbook.frontMatter', vscode.StatusBarAlignment.Left, 50);
  frontMatter.name = vscode.l10n.t('Rollgate runbook');
  const showFrontMatter = () => {
    const notebook = vscode.window.activeNotebookEditor?.notebook;
    if (!notebook || notebook.notebookType !== RUNBOOK_NOTEBOOK_TYPE) {
      frontMatter.hide();
      return;
    }
    const metadata = runbookMetadata(notebook);
    const environment = metadata.environment;
    const parts = [metadata.plan ? vscode.l10n.t('plan {0}', metadata.plan) : vscode.l10n.t('no plan linked'), environment ? vscode.l10n.t('environment {0}', environment) : undefined].filter(Boolean);
    frontMatter.text = `$(notebook) ${parts.join(' · ')}`;
    frontMatter.tooltip = vscode.l10n.t("This runbook's front matter: cells run against the linked plan's endpoints.");
    frontMatter.show();
  };
  showFrontMatter();

  return vscode.Disposable.from(
    changed,
    frontMatter,
    vscode.notebooks.registerNotebookCellStatusBarItemProvider(RUNBOOK_NOTEBOOK_TYPE, cellBadges),
    vscode.window.onDidChangeActiveNotebookEditor(showFrontMatter),
    vscode.workspace.onDidChangeNotebookDocument((event) => {
      if (event.notebook.notebookType !== RUNBOOK_NOTEBOOK_TYPE) return;
      if (event.metadata) showFrontMatter();
      if (event.contentChanges.length > 0 || event.metadata) changed.fire();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
  );
}
