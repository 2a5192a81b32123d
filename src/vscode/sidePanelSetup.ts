import * as vscode from 'vscode';

import { registerRolloutCommands } from './rolloutCommands';
import { registerSidePanel } from './sidePanel';
import { RolloutController } from './rolloutController';
import { registerRolloutStatusBar } from './statusBar';

/**
 * The rollout UI in one call: one {@link RolloutController} shared by the side panel, the
 * palette commands and the status bar item (they must agree on the running rollout).
 */
export function registerRolloutUi(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable {
  const rollouts = new RolloutController(context, log);
  return vscode.Disposable.from(
    registerSidePanel(context, rollouts, log),
    registerRolloutCommands(rollouts),
    registerRolloutStatusBar(rollouts),
    // Last: disposed after the views, releasing the service lock of a running rollout.
    rollouts,
  );
}
