import { userInfo } from 'node:os';
import { dirname } from 'node:path';

import * as vscode from 'vscode';

import { locateConfinedFile } from '../core/files/confined';
import {
  describeTarget,
  nodeHttpSender,
  ledgerRecorder,
  renderOutputText,
  renderSeriesSvg,
  renderTableMarkdown,
  renderTableText,
  RunbookSession,
  type CellOutput,
  type CellRunResult,
  type ConfirmationRequest,
  type Confirmer,
  type HttpSender,
} from '../core/cells/index';
import { Ledger } from '../core/ledger/index';
import { editorRecordFor, workspaceRecord } from './recordLocation';
import type { Plan } from '../core/plan/schema';
import { validatePlan } from '../core/plan/validate';
import { RUNBOOK_NOTEBOOK_TYPE, runbookCellAttributes, runbookMetadata } from './runbookSerializer';
import { editorSecretResolver, missingSecretHint } from './secrets';
import { registerRunbookStatus } from './runbookStatus';
import { errorDetail, errorMessage } from '../core/errors';

/** Stable id: `notebook.selectKernel` and users' settings refer to it. */
export const RUNBOOK_CONTROLLER_ID = 'rollgate-runbook-controller';

export interface RunbookControllerOptions {
  secrets: vscode.SecretStorage;
  log: vscode.LogOutputChannel;
  /** Seam for tests and benchmarks; the platform `fetch` by default. */
  http?: HttpSender;
}

interface NotebookSession {
  /** Front matter and plan text it was built from; a change rebuilds the session. */
  key: string;
  session: RunbookSession;
}

const RUN = () => vscode.l10n.t('Run');

/**
 * The Rollgate notebook controller for `*.runbook.md`: runs http, promql, rollout and check cells
 * through the core's {@link RunbookSession}, asks before anything that changes something, records
 * every run in the workspace ledger, and runs nothing in an untrusted workspace.
 */
export function registerRunbookController(options: RunbookControllerOptions): vscode.Disposable {
  const controller = vscode.notebooks.createNotebookController(RUNBOOK_CONTROLLER_ID, RUNBOOK_NOTEBOOK_TYPE, vscode.l10n.t('Rollgate'));
  controller.supportedLanguages = ['http', 'promql', 'rollout', 'check'];
  controller.supportsExecutionOrder = true;
  controller.description = vscode.l10n.t("Runs runbook cells against the linked plan's endpoints");
  const sessions = new Map<string, NotebookSession>();
  const ledgers = new Map<string, Ledger>();
  let executionOrder = 0;
  const actor = `vscode:${safeUserName()}`;
  const secretResolver = editorSecretResolver(options.secrets);

  const ledgerFor = (notebook: vscode.NotebookDocument): Ledger | undefined => {
    // The same rule as the CLI's `rollgate run` and the side panel's (recordLocation.ts).
    const record = notebook.uri.scheme === 'file' ? editorRecordFor(notebook.uri) : workspaceRecord();
    if (!record) return undefined;
    const path = record.ledgerPath;
    let ledger = ledgers.get(path);
    if (!ledger) ledgers.set(path, (ledger = new Ledger({ path })));
    return ledger;
  };

  /** Where the runbook may read files (its plan, `< ./file` bodies): its folder, inside its workspace folder. */
  const filesFor = (notebook: vscode.NotebookDocument): { base: string; root: string } | undefined => {
    if (notebook.uri.scheme !== 'file') return undefined;
    const base = dirname(notebook.uri.fsPath);
    return { base, root: vscode.workspace.getWorkspaceFolder(notebook.uri)?.uri.fsPath ?? base };
  };

  /** Builds (or reuses) the notebook's session; returns an error message when the plan cannot be used. */
  const sessionFor = async (notebook: vscode.NotebookDocument): Promise<RunbookSession | string> => {
    const metadata = runbookMetadata(notebook);
    let plan: Plan | undefined;
    let planText = '';
    const files = filesFor(notebook);
    if (metadata.plan) {
      try {
        // Only a regular file inside the workspace: never /etc/passwd, a FIFO or a device.
        if (!files) throw new Error(vscode.l10n.t('a linked plan needs the runbook saved in a folder'));
        const planUri = vscode.Uri.file(locateConfinedFile(metadata.plan, { ...files, what: vscode.l10n.t('The linked plan') }));
        // The open document, so unsaved edits to the plan count, as they do for diagnostics.
        planText = (await vscode.workspace.openTextDocument(planUri)).getText();
      } catch (error) {
        return vscode.l10n.t('The runbook links plan "{0}", which cannot be opened: {1}', metadata.plan, errorMessage(error));
      }
      const validation = validatePlan(planText);
      const errors = validation.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
      if (!validation.plan || errors.length > 0) {
        return vscode.l10n.t('The linked plan "{0}" has {1} error(s); fix them (see the Problems panel) and run again. First: {2}', metadata.plan, errors.length, errors[0]?.message ?? '');
      }
      plan = validation.plan;
    }
    const key = JSON.stringify([metadata.frontMatter, planText]);
    const existing = sessions.get(notebook.uri.toString());
    if (existing?.key === key) return existing.session;
    const ledger = ledgerFor(notebook);
    const session = new RunbookSession({
      frontMatter: metadata.frontMatter,
      ...(plan ? { plan } : {}),
      runbook: vscode.workspace.asRelativePath(notebook.uri),
      ...(files ? { files } : {}),
      ports: { http: options.http ?? nodeHttpSender },
      secrets: secretResolver,
      missingSecretHint,
      ...(ledger ? { ledger: ledgerRecorder(ledger) } : {}),
      actor,
    });
    // Named outputs of cells already run stay usable after the front matter or plan is edited.
    if (existing) Object.assign(session.outputs, existing.session.outputs);
    sessions.set(notebook.uri.toString(), { key, session });
    return session;
  };

  /** Reveals and selects the cell that asks (during Run All it may be far down), then asks naming it. */
  const confirmerFor = (cell: vscode.NotebookCell): Confirmer => ({
    async confirm(request: ConfirmationRequest) {
      const editor = vscode.window.visibleNotebookEditors.find((candidate) => candidate.notebook === cell.notebook);
      if (editor) {
        const range = new vscode.NotebookRange(cell.index, cell.index + 1);
        editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
        editor.selections = [range];
      }
      const title = request.cellName ? vscode.l10n.t('Run cell {0} "{1}"? It changes something.', cell.index + 1, request.cellName) : vscode.l10n.t('Run cell {0}? It changes something.', cell.index + 1);
      const answer = await vscode.window.showWarningMessage(title, { modal: true, detail: describeTarget(request) }, RUN());
      if (answer !== RUN()) return false;
      if (!request.typeToConfirm) return true;
      const expected = request.typeToConfirm;
      const typed = await vscode.window.showInputBox({
        title: vscode.l10n.t('Production change'),
        prompt: vscode.l10n.t('Type the service name "{0}" to confirm: {1}', expected, request.target),
        ignoreFocusOut: true,
        validateInput: (value) => (value === expected ? undefined : vscode.l10n.t('Type "{0}" exactly, or press Escape to cancel.', expected)),
      });
      return typed === expected;
    },
  });

  const runCell = async (cell: vscode.NotebookCell, notebook: vscode.NotebookDocument): Promise<boolean> => {
    const execution = controller.createNotebookCellExecution(cell);
    execution.executionOrder = ++executionOrder;
    execution.start(Date.now());
    await execution.clearOutput();
    if (!vscode.workspace.isTrusted) {
      await execution.replaceOutput([untrustedOutput()]);
      execution.end(false, Date.now());
      return false;
    }
    const abort = new AbortController();
    const cancellation = execution.token.onCancellationRequested(() => abort.abort());
    try {
      const session = await sessionFor(notebook);
      if (typeof session === 'string') {
        await execution.replaceOutput([errorOutput(session)]);
        execution.end(false, Date.now());
        return false;
      }
      const result = await session.run(
        { language: cell.document.languageId, attributes: runbookCellAttributes(cell), value: cell.document.getText() },
        { index: cell.index, signal: abort.signal, confirmer: confirmerFor(cell) },
      );
      await execution.replaceOutput(toNotebookOutputs(result));
      logResult(options.log, result, notebook, cell);
      execution.end(result.ok, Date.now());
      return result.ok;
    } catch (error) {
      // The session never throws on user content; reaching here is a bug: show it, do not crash.
      options.log.error(`Runbook cell ${cell.index + 1} crashed: ${errorDetail(error)}`);
      await execution.replaceOutput([errorOutput(errorMessage(error))]);
      execution.end(false, Date.now());
      return false;
    } finally {
      cancellation.dispose();
    }
  };

  controller.executeHandler = async (cells, notebook) => {
    for (const cell of cells) {
      if (cell.kind !== vscode.NotebookCellKind.Code) continue;
      // Run All stops at the first failure: later cells usually depend on earlier ones.
      if (!(await runCell(cell, notebook))) break;
    }
  };

  /** The target a mutating cell would change, resolved without sending (for its badge). */
  const resolveTarget = async (notebook: vscode.NotebookDocument, cell: vscode.NotebookCell) => {
    const session = await sessionFor(notebook);
    if (typeof session === 'string') return undefined;
    const spec = { language: cell.document.languageId, attributes: runbookCellAttributes(cell), value: cell.document.getText() };
    const { prepared } = await session.prepare(spec);
    return prepared ? session.confirmationFor(prepared, spec) : undefined;
  };

  return vscode.Disposable.from(
    controller,
    registerRunbookStatus(resolveTarget),
    vscode.workspace.onDidCloseNotebookDocument((notebook) => sessions.delete(notebook.uri.toString())),
  );
}

function untrustedOutput(): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([
    vscode.NotebookCellOutputItem.error({
      name: vscode.l10n.t('Workspace not trusted'),
      message: vscode.l10n.t(
        'Rollgate runs no runbook cell in an untrusted workspace: cells send requests with your secrets and can change live traffic. Trust this folder (command "Workspaces: Manage Workspace Trust") and run the cell again.',
      ),
    }),
  ]);
}

function errorOutput(message: string): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name: vscode.l10n.t('Rollgate'), message })]);
}

/** Maps the core's output model onto notebook output items, richest representation first. */
export function toNotebookOutputs(result: CellRunResult): vscode.NotebookCellOutput[] {
  const outputs = result.outputs.map(toNotebookOutput);
  if (!result.ok && result.error) {
    const located = result.diagnostics.length > 0 ? result.diagnostics.map((diagnostic) => diagnostic.message).join('\n') : result.error;
    outputs.push(errorOutput(result.outcome === 'declined' || result.outcome === 'cancelled' ? result.error : located));
  }
  return outputs;
}

function toNotebookOutput(output: CellOutput): vscode.NotebookCellOutput {
  switch (output.kind) {
    case 'text':
      return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(output.text)]);
    case 'markdown':
      return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(output.text, 'text/markdown')]);
    case 'json': {
      // NotebookCellOutputItem.json indents with tabs, which the output view draws eight columns wide.
      const items = [vscode.NotebookCellOutputItem.text(JSON.stringify(output.value, null, 2) ?? 'null', 'application/json'), vscode.NotebookCellOutputItem.text(renderOutputText(output))];
      // Folded under its title (a response's headers, a rollout action's full answer), two-space JSON inside.
      if (output.collapsed) items.unshift(vscode.NotebookCellOutputItem.text(collapsedJsonHtml(output.title ?? 'JSON', output.value), 'text/html'));
      return new vscode.NotebookCellOutput(items);
    }
    case 'table':
      return new vscode.NotebookCellOutput([
        vscode.NotebookCellOutputItem.text(renderTableMarkdown(output.columns, output.rows), 'text/markdown'),
        vscode.NotebookCellOutputItem.text(renderTableText(output.columns, output.rows)),
      ]);
    case 'chart': {
      const svg = renderSeriesSvg(output.series, output.title ? { title: output.title } : {});
      return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(svg, 'image/svg+xml'), vscode.NotebookCellOutputItem.text(svg, 'text/html')]);
    }
  }
}

/** `<details>` holding the value as two-space JSON; everything escaped, no script, no style. */
export function collapsedJsonHtml(title: string, value: unknown): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  return `<details><summary>${escape(title)}</summary><pre>${escape(JSON.stringify(value, null, 2) ?? 'undefined')}</pre></details>`;
}

function logResult(log: vscode.LogOutputChannel, result: CellRunResult, notebook: vscode.NotebookDocument, cell: vscode.NotebookCell): void {
  const where = `${vscode.workspace.asRelativePath(notebook.uri)} cell ${cell.index + 1}${result.name ? ` (${result.name})` : ''}`;
  const request = result.request ? ` ${result.request.method} ${result.request.url}` : '';
  const line = `${where}: ${result.outcome}${request}${result.status !== undefined ? ` -> ${result.status}` : ''} in ${Math.round(result.durationMs)} ms`;
  if (result.ok) log.info(line);
  else log.warn(`${line}: ${result.error ?? ''}`);
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
