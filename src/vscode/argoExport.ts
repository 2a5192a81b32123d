import * as vscode from 'vscode';
import { exportPlan, renderYaml } from '../core/export/index';
import { isPlanDocument } from './planLanguage';

export const EXPORT_ARGO_COMMAND = 'rollgate.exportArgoRollouts';

/** What the command returns, for tests and other extensions. */
export interface ArgoExportResult {
  ok: boolean;
  /** The exported YAML, opened beside the plan. */
  content?: string;
  message?: string;
}

/**
 * "Rollgate: Export Plan to Argo Rollouts": compiles the plan in the active editor (or the one
 * given) to a Rollout and its AnalysisTemplates and opens the YAML beside it, unsaved. Nothing is
 * run or sent, so it works in untrusted folders too. What the export refuses is listed in the
 * message; with an `export.argoRollouts` block the same findings are in the Problems panel.
 */
export function registerArgoExport(log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(EXPORT_ARGO_COMMAND, async (uri?: vscode.Uri): Promise<ArgoExportResult> => {
    try {
      const document = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
      if (!document || !isPlanDocument(document)) {
        const message = vscode.l10n.t('Open a rollout plan (*.rollout.yaml) to export it to Argo Rollouts.');
        void vscode.window.showWarningMessage(message);
        return { ok: false, message };
      }
      const result = await exportPlan(document.getText(), ['argo-rollouts']);
      const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
      if (!result.objects) {
        const first = errors[0];
        const where = first ? document.positionAt(first.start).line + 1 : 0;
        const message = vscode.l10n.t('The plan cannot be exported to Argo Rollouts ({0} finding(s)). Line {1}: {2}', errors.length, where, first?.message ?? '');
        void vscode.window.showErrorMessage(message);
        return { ok: false, message };
      }
      const content = renderYaml(result.objects);
      const output = await vscode.workspace.openTextDocument({ language: 'yaml', content });
      await vscode.window.showTextDocument(output, { viewColumn: vscode.ViewColumn.Beside, preview: false });
      const warnings = result.diagnostics.filter((diagnostic) => diagnostic.severity === 'warning');
      if (warnings.length > 0) {
        void vscode.window.showWarningMessage(vscode.l10n.t('Exported with {0} warning(s): {1}', warnings.length, warnings.map((warning) => warning.message).join(' ')));
      }
      return { ok: true, content };
    } catch (error) {
      log.error('export to Argo Rollouts failed', error);
      const message = vscode.l10n.t('The export to Argo Rollouts failed. Details are in the "Rollgate" output channel.');
      void vscode.window.showErrorMessage(message);
      return { ok: false, message };
    }
  });
}
