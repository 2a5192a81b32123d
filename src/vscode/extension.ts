import * as vscode from 'vscode';
import { registerGuardrailCheck } from './guardrailCheck';
import { registerArgoExport } from './argoExport';
import { registerPlanCompletion } from './planCompletion';
import { registerPlanDiagnostics } from './planDiagnostics';
import { PlanFixStore } from './planFixes';
import { registerPlanHover } from './planHover';
import { registerPlanCommands } from './planCommands';
import { registerPlanQuickFix } from './planQuickFix';
import { registerPromqlEditing } from './promqlEditing';
import { PromqlSources } from './promqlSources';
import { registerRunbookController } from './runbookController';
import { registerRunbookDiagnostics } from './runbookDiagnostics';
import { registerRunbookPromqlDiagnostics } from './runbookPromql';
import { registerRunbookSerializer } from './runbookSerializer';
import { editorSecretResolver, registerSecretCommands } from './secrets';
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
  const secrets = editorSecretResolver(context.secrets);
  context.subscriptions.push(
    registerPlanDiagnostics(log, planFixes),
    registerPlanQuickFix(log, planFixes),
    registerPlanCompletion(log),
    registerPlanHover(log),
    registerPromqlEditing(log, new PromqlSources(secrets)),
    registerGuardrailCheck(secrets, log),
    registerRunbookSerializer(log),
    registerRunbookDiagnostics(log),
    registerRunbookPromqlDiagnostics(log),
    registerRunbookController({ secrets: context.secrets, log }),
    registerSecretCommands(context.secrets, log),
    registerRolloutUi(context, log),
    registerArgoExport(log),
    registerPlanCommands(log),
  );
}

export function deactivate(): void {}
