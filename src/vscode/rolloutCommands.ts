import * as vscode from 'vscode';

import type { ReportExportFormat, RolloutAction } from '../core/panel/protocol';
import { SIDE_PANEL_VIEW_ID } from './sidePanel';
import type { RolloutCommandResult, RolloutController } from './rolloutController';

/** Palette commands and the action each runs. */
export const ROLLOUT_COMMANDS: Readonly<Record<string, RolloutAction>> = {
  'rollgate.rollout.start': 'start',
  'rollgate.rollout.pause': 'pause',
  'rollgate.rollout.resume': 'resume',
  'rollgate.rollout.approve': 'approve',
  'rollgate.rollout.rollback': 'rollback',
  'rollgate.rollout.startDrill': 'startDrill',
};
export const OPEN_PANEL_COMMAND = 'rollgate.rollout.openPanel';
export const EXPORT_REPORT_COMMAND = 'rollgate.report.export';

/**
 * Arguments a command accepts (from the explorer context menu, keybindings, other extensions or
 * tests): a plan file to select first, and for rollback `{ confirmed: true, reason? }` to skip the
 * reason prompt and the modal (automation that already asked). The side panel never passes either.
 */
function parseArguments(args: unknown[]): { uri?: vscode.Uri; confirmed: boolean; reason?: string } {
  let uri: vscode.Uri | undefined;
  let confirmed = false;
  let reason: string | undefined;
  for (const argument of args) {
    if (argument instanceof vscode.Uri) uri = argument;
    else if (argument && typeof argument === 'object') {
      const object = argument as { plan?: unknown; confirmed?: unknown; reason?: unknown };
      if (object.plan instanceof vscode.Uri) uri = object.plan;
      if (object.confirmed === true) confirmed = true;
      if (typeof object.reason === 'string') reason = object.reason;
    }
  }
  return { ...(uri ? { uri } : {}), confirmed, ...(reason !== undefined ? { reason } : {}) };
}

async function pickPlan(rollouts: RolloutController): Promise<boolean> {
  await rollouts.refreshPlans();
  const choices = rollouts.planChoices();
  if (choices.length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('No rollout plan (*.rollout.yaml) in this workspace.'));
    return false;
  }
  if (choices.length === 1) return rollouts.selectPlan(choices[0]!.id);
  const picked = await vscode.window.showQuickPick(
    choices.map((choice) => ({ label: vscode.workspace.asRelativePath(choice.uri), id: choice.id })),
    { title: vscode.l10n.t('Rollout plan'), placeHolder: vscode.l10n.t('Pick the plan to roll out') },
  );
  return picked ? rollouts.selectPlan(picked.id) : false;
}

/**
 * Registers `rollgate.rollout.{start,pause,resume,approve,rollback,startDrill,openPanel}`. Each
 * returns a {@link RolloutCommandResult} so automation can tell what happened.
 */
export function registerRolloutCommands(rollouts: RolloutController): vscode.Disposable {
  const registrations = Object.entries(ROLLOUT_COMMANDS).map(([command, action]) =>
    vscode.commands.registerCommand(command, async (...args: unknown[]): Promise<RolloutCommandResult> => {
      const { uri, confirmed, reason } = parseArguments(args);
      if (uri) {
        if (!(await rollouts.selectPlanUri(uri))) return { ok: false, message: vscode.l10n.t('{0} is not a rollout plan of this workspace.', vscode.workspace.asRelativePath(uri)) };
      } else if (!rollouts.selectedPlanUri() && (action === 'start' || action === 'startDrill' || action === 'rollback')) {
        if (!(await pickPlan(rollouts))) return { ok: false, message: vscode.l10n.t('No plan picked.') };
      }
      return rollouts.perform(action, { confirmed, ...(reason !== undefined ? { reason } : {}) });
    }),
  );
  return vscode.Disposable.from(
    ...registrations,
    vscode.commands.registerCommand(OPEN_PANEL_COMMAND, async () => {
      await vscode.commands.executeCommand(`${SIDE_PANEL_VIEW_ID}.focus`);
    }),
    // "Export report" of the shown run: `{ format: 'md' | 'html' }` from automation, else a pick.
    vscode.commands.registerCommand(EXPORT_REPORT_COMMAND, async (options?: { format?: unknown }): Promise<RolloutCommandResult> => {
      let format: ReportExportFormat | undefined = options?.format === 'md' || options?.format === 'html' ? options.format : undefined;
      if (!format) {
        const picked = await vscode.window.showQuickPick(
          [
            { label: vscode.l10n.t('HTML (one self-contained file, charts)'), format: 'html' as const },
            { label: vscode.l10n.t('Markdown (for a review document)'), format: 'md' as const },
          ],
          { title: vscode.l10n.t('Export the run report as') },
        );
        if (!picked) return { ok: false, message: vscode.l10n.t('No format picked.') };
        format = picked.format;
      }
      return rollouts.exportReport(format);
    }),
    // Hidden: the panel's state and the status bar text, for tests and automation.
    vscode.commands.registerCommand('rollgate.rollout.state', () => ({ panel: rollouts.panelState(), statusBar: rollouts.statusText(), driving: rollouts.isDriving })),
  );
}
