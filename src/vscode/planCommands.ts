import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import { verifyLedgerFile } from '../core/ledger/index';
import { planDigest, validatePlan } from '../core/plan/validate';
import { createDryRun } from '../core/rollout/index';
import { editorRecordFor, workspaceRecord } from './recordLocation';
import { RUNBOOK_NOTEBOOK_TYPE } from './runbookSerializer';

const PLAN_FILE = /\.rollout\.ya?ml$/;

/** The plan a command acts on: its argument (CodeLens, editor title, explorer), else the active editor's. */
function planUri(argument: unknown): vscode.Uri | undefined {
  if (argument instanceof vscode.Uri) return argument;
  const active = vscode.window.activeTextEditor?.document.uri;
  return active && PLAN_FILE.test(active.path) ? active : undefined;
}

async function planText(uri: vscode.Uri): Promise<string> {
  return (await vscode.workspace.openTextDocument(uri)).getText();
}

/**
 * Palette, CodeLens and editor-title commands for newcomers and on-call: validate a plan, dry-run
 * it (nothing sent; guardrails not measured, as `rollgate rollout --dry-run`), run a runbook, and
 * verify or show the ledger. Results go to the Rollgate output channel and a message.
 */
export function registerPlanCommands(log: vscode.LogOutputChannel): vscode.Disposable {
  const needPlan = () => {
    void vscode.window.showWarningMessage(vscode.l10n.t('Open a rollout plan (*.rollout.yaml) first.'));
    return undefined;
  };

  const validate = async (argument?: unknown) => {
    const uri = planUri(argument);
    if (!uri) return needPlan();
    const { plan, diagnostics } = validatePlan(await planText(uri));
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    if (plan && errors.length === 0) {
      const message = vscode.l10n.t('{0} is valid: {1} stage(s), {2} guardrail(s).', vscode.workspace.asRelativePath(uri), plan.stages.length, plan.guardrails.length);
      void vscode.window.showInformationMessage(message);
      return { ok: true, message };
    }
    const message = vscode.l10n.t('{0} has {1} error(s). First: {2}', vscode.workspace.asRelativePath(uri), errors.length, errors[0]?.message ?? '');
    void vscode.window.showErrorMessage(message);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    return { ok: false, message };
  };

  const dryRun = async (argument?: unknown) => {
    const uri = planUri(argument);
    if (!uri) return needPlan();
    const text = await planText(uri);
    const { plan } = validatePlan(text);
    if (!plan) return validate(uri);
    const { engine, headline, retell } = await createDryRun(plan, planDigest(text));
    const lines: string[] = [headline];
    engine.onEvent((raw) => {
      if (raw.kind === 'measured' || raw.kind === 'baking') return;
      const event = retell(raw);
      lines.push(`${event.stage ? `${event.stage}: ` : ''}${event.message}`);
    });
    const final = await engine.run();
    lines.push(vscode.l10n.t('Result: {0}.', final.status));
    for (const line of lines) log.info(line);
    log.show(true);
    void vscode.window.showInformationMessage(vscode.l10n.t('Dry run of {0}: {1} ({2} step(s), see the Rollgate output).', plan.metadata.name, final.status, lines.length - 2));
    return { ok: true, status: final.status, lines };
  };

  const ledgerFile = () => {
    const uri = planUri(undefined) ?? vscode.window.activeNotebookEditor?.notebook.uri;
    return (uri && uri.scheme === 'file' ? editorRecordFor(uri) : workspaceRecord())?.ledgerPath;
  };

  const ledgerVerify = async () => {
    const file = ledgerFile();
    if (!file) return void vscode.window.showWarningMessage(vscode.l10n.t('Open a folder first: the ledger lives in it.'));
    try {
      const result = await verifyLedgerFile(file);
      const message = result.ok
        ? vscode.l10n.t('Ledger {0}: {1} entries, the hash chain is intact.', file, result.entries)
        : vscode.l10n.t('Ledger {0} does NOT verify after {1} good entries: {2}', file, result.entries, result.problem ?? '');
      log.info(message);
      if (result.ok) void vscode.window.showInformationMessage(message);
      else void vscode.window.showErrorMessage(message);
      return { ok: result.ok, message };
    } catch (error) {
      const message = vscode.l10n.t('Cannot read the ledger {0}: {1}', file, errorMessage(error));
      void vscode.window.showErrorMessage(message);
      return { ok: false, message };
    }
  };

  const ledgerShow = async () => {
    await vscode.commands.executeCommand('rollgate.rollout.openPanel');
    const file = ledgerFile();
    if (file) log.info(vscode.l10n.t('Ledger: {0}', file));
    return { ok: true, ...(file ? { file } : {}) };
  };

  const runRunbook = async (argument?: unknown) => {
    let uri = argument instanceof vscode.Uri ? argument : vscode.window.activeNotebookEditor?.notebook.uri;
    if (!uri || !/\.runbook\.md$/.test(uri.path)) {
      const found = await vscode.workspace.findFiles('**/*.runbook.md', '**/node_modules/**', 200);
      const picked = await vscode.window.showQuickPick(
        found.map((file) => ({ label: vscode.workspace.asRelativePath(file), file })),
        { title: vscode.l10n.t('Run a runbook'), placeHolder: vscode.l10n.t('Pick the runbook to run (each changing cell still asks)') },
      );
      if (!picked) return undefined;
      uri = picked.file;
    }
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(notebook);
    if (notebook.notebookType !== RUNBOOK_NOTEBOOK_TYPE) return undefined;
    await vscode.commands.executeCommand('notebook.execute');
    return { ok: true };
  };

  const codeLens: vscode.CodeLensProvider = {
    provideCodeLenses(document) {
      const top = new vscode.Range(0, 0, 0, 0);
      return [
        new vscode.CodeLens(top, { title: vscode.l10n.t('Validate'), command: 'rollgate.plan.validate', arguments: [document.uri] }),
        new vscode.CodeLens(top, { title: vscode.l10n.t('Dry run'), command: 'rollgate.plan.dryRun', arguments: [document.uri] }),
        new vscode.CodeLens(top, { title: vscode.l10n.t('Start rollout'), command: 'rollgate.rollout.start', arguments: [document.uri] }),
        new vscode.CodeLens(top, { title: vscode.l10n.t('Export to Argo Rollouts'), command: 'rollgate.exportArgoRollouts', arguments: [document.uri] }),
      ];
    },
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand('rollgate.plan.validate', validate),
    vscode.commands.registerCommand('rollgate.plan.dryRun', dryRun),
    vscode.commands.registerCommand('rollgate.ledger.verify', ledgerVerify),
    vscode.commands.registerCommand('rollgate.ledger.show', ledgerShow),
    vscode.commands.registerCommand('rollgate.runbook.run', runRunbook),
    vscode.languages.registerCodeLensProvider({ language: 'rollout-plan' }, codeLens),
  );
}
