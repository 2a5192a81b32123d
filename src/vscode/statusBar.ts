import * as vscode from 'vscode';

import { throttle } from '../core/panel/throttle';
import { OPEN_PANEL_COMMAND } from './rolloutCommands';
import type { RolloutController } from './rolloutController';

/** A status bar item naming the running stage (or how the last rollout ended); opens the panel. */
export function registerRolloutStatusBar(rollouts: RolloutController): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('rollgate.rollout', vscode.StatusBarAlignment.Left, 50);
  item.name = vscode.l10n.t('Rollgate rollout');
  item.command = OPEN_PANEL_COMMAND;
  const update = () => {
    const text = rollouts.statusText();
    if (!text) {
      item.hide();
      return;
    }
    const status = rollouts.currentSnapshot()?.status;
    item.text = `$(${status === 'failed' ? 'error' : status === 'rolled-back' ? 'discard' : rollouts.isDriving ? 'sync~spin' : 'rocket'}) Rollgate: ${text}`;
    item.tooltip = vscode.l10n.t('Rollout of {0}: {1}. Click to open the Rollgate panel.', rollouts.currentSnapshot()?.planName ?? '', text);
    item.backgroundColor =
      status === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : status === 'paused' || status === 'waiting-approval' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.show();
  };
  const updates = throttle(update, 500);
  const subscription = rollouts.onDidChange(() => updates.schedule());
  update();
  return vscode.Disposable.from(item, subscription, { dispose: () => updates.dispose() });
}
