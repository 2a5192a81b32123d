import * as vscode from 'vscode';
import { registerArgoExport } from './argoExport';
import { registerPlanCompletion } from './planCompletion';
import { registerPlanDiagnostics } from './planDiagnostics';
import { PlanFixStore } from './planFixes';
import { registerPlanHover } from './planHover';
import { registerPlanCommands } from './planCommands';
import { registerPlanQuickFix } from './planQuickFix';
import { registerRunbookController } from './runbookController';
import { registerRunbookDiagnostics } from './runbookDiagnostics';
import { registerRunbookSerializer } from './runbookSerializer';
import { registerSecretCommands } from './secrets';
import { registerRolloutUi } from './sidePanelSetup';

/**
 * Composes one registration per capability; each `registerX` lives in its own module and
 * returns a Disposable, so activation stays a list.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Rollgate', { log: true });
  context.subscriptions.push(log);

  // Diagnostics record each "did you mean" fix here; the quick-fix provider reads them back.
  const planFixes = new PlanFixStore();
  context.subscriptions.push(
    registerPlanDiagnostics(log, planFixes),
    registerPlanQuickFix(log, planFixes),
    registerPlanCompletion(log),
    registerPlanHover(log),
    registerRunbookSerializer(log),
    registerRunbookDiagnostics(log),
    registerRunbookController({ secrets: context.secrets, log }),
    registerSecretCommands(context.secrets, log),
    registerRolloutUi(context, log),
    registerArgoExport(log),
    registerPlanCommands(log),
  );
}

export function deactivate(): void {}
