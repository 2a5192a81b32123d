// The side panel's run timeline and "Export report", and opening what a ledger entry came from
// (the runbook at its cell, the plan at its stage). The report itself is the core's
// (`src/core/report`, the same as `rollgate report`); this file reads files and opens editors.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import { Ledger, type LedgerEntry } from '../core/ledger/index';
import { entrySourceOf } from '../core/panel/source';
import { toPanelTimeline } from '../core/panel/timeline';
import type { PanelTimeline, ReportExportFormat } from '../core/panel/protocol';
import { planDigest, validatePlan } from '../core/plan/validate';
import { PlanLocator } from '../core/plan/yamlTree';
import { buildReport, collectFromLedger, renderReport, ReportSelectionError, type ReportModel } from '../core/report/index';
import { RUNBOOK_NOTEBOOK_TYPE } from './runbookSerializer';

/** Where exported reports go, under the workspace root. */
export const REPORTS_FOLDER = path.join('.rollgate', 'reports');

export class RunReports {
  /** The last report built, kept while the ledger file and the run are the same. */
  private cache: { key: string; model: ReportModel } | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The report of a run, rebuilt only when the ledger changed. */
  private async report(ledgerPath: string, runId: string): Promise<ReportModel> {
    const info = await fs.stat(ledgerPath);
    const key = `${ledgerPath}\0${info.size}\0${info.mtimeMs}\0${runId}`;
    if (this.cache?.key === key) return this.cache.model;
    const model = buildReport(await collectFromLedger({ file: ledgerPath, shownAs: vscode.workspace.asRelativePath(ledgerPath), selector: { kind: 'run', runId } }));
    this.cache = { key, model };
    return model;
  }

  /** The timeline of `runId` for the panel; a problem (no run yet, unreadable ledger) instead of rows. */
  async timeline(ledgerPath: string, runId: string | undefined): Promise<PanelTimeline> {
    const empty = (problem: string): PanelTimeline => ({ verified: true, rows: [], measurementEntries: 0, problem });
    if (!runId) return empty(vscode.l10n.t('No run of this plan yet: start one to see its timeline.'));
    try {
      return toPanelTimeline(await this.report(ledgerPath, runId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof ReportSelectionError) return empty(vscode.l10n.t('Nothing is recorded for this run yet.'));
      this.log.warn(`Rollgate: could not build the run's timeline: ${errorMessage(error)}`);
      return empty(vscode.l10n.t('Cannot read the ledger: {0}', errorMessage(error)));
    }
  }

  /** Writes the run's report (Markdown or HTML) under `.rollgate/reports/` and opens it. */
  async export(ledgerPath: string, runId: string, format: ReportExportFormat, root: vscode.Uri): Promise<vscode.Uri> {
    const model = await this.report(ledgerPath, runId);
    const service = (model.scope.service ?? 'service').replace(/[^A-Za-z0-9._-]/g, '_');
    const file = path.join(root.fsPath, REPORTS_FOLDER, `${service}-${runId.slice(0, 8).replace(/[^A-Za-z0-9-]/g, '_')}.${format}`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temporary, renderReport(model, format), 'utf8');
    await fs.rename(temporary, file);
    const uri = vscode.Uri.file(file);
    if (format === 'md') {
      await vscode.window.showTextDocument(uri, { preview: false });
      await vscode.commands.executeCommand('markdown.showPreviewToSide', uri).then(undefined, () => undefined);
    } else if (vscode.env.uiKind === vscode.UIKind.Web || vscode.env.remoteName !== undefined) {
      // The file is on the machine that runs the workspace, not the one running the browser: a
      // file: address would open nothing there (and in code-server it left the page deaf to clicks).
      this.showHtmlReport(uri, await fs.readFile(file, 'utf8'));
    } else if (!(await vscode.env.openExternal(uri))) {
      await vscode.window.showTextDocument(uri, { preview: false });
    }
    return uri;
  }

  /**
   * Shows an HTML report in an editor tab. The report is self-contained and carries its own
   * Content-Security-Policy (no scripts, inline styles only); the webview runs no scripts either.
   */
  private showHtmlReport(uri: vscode.Uri, html: string): void {
    const panel = vscode.window.createWebviewPanel('rollgate.report', vscode.l10n.t('Report: {0}', path.basename(uri.fsPath)), vscode.ViewColumn.Active, {
      enableScripts: false,
      localResourceRoots: [],
    });
    panel.webview.html = html;
  }

  /**
   * Opens what entry `seq` came from (see {@link entrySourceOf}): the runbook at the cell that ran
   * or made the change, or the plan at the stage of a rollout's entry. The entry is read from the
   * ledger here, newest first up to it; nothing the view sent is trusted beyond the number.
   * `recordRoot` is the folder holding `.rollgate/`, which recorded runbook paths are relative to.
   * Returns a message when there is nothing to open.
   */
  async openSource(ledgerPath: string, seq: number, recordRoot: string, planFiles: readonly vscode.Uri[]): Promise<string | undefined> {
    let entry: LedgerEntry | undefined;
    for await (const candidate of new Ledger({ path: ledgerPath }).read({ newestFirst: true })) {
      if (candidate.seq === seq) {
        entry = candidate;
        break;
      }
      if (candidate.seq < seq) break;
    }
    if (!entry) return vscode.l10n.t('Entry #{0} is not in the ledger.', seq);
    const source = entrySourceOf(entry);
    if (source?.kind === 'cell') return this.openCell(source, recordRoot);
    if (source?.kind === 'plan') return this.openPlanStage(entry, source.stage, planFiles);
    return vscode.l10n.t('Entry #{0} names no runbook cell or plan stage.', seq);
  }

  /** Opens a recorded runbook (relative to the record root or a workspace folder) at its cell. */
  private async openCell(source: { runbook: string; index?: number; name?: string }, recordRoot: string): Promise<string | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    const bases = path.isAbsolute(source.runbook) ? [''] : [recordRoot, ...folders];
    // Only a runbook inside a workspace folder is opened, whatever the ledger says.
    const inWorkspace = (file: string): boolean =>
      folders.some((folder) => {
        const inside = path.relative(folder, file);
        return !inside.startsWith('..') && !path.isAbsolute(inside);
      });
    const file = bases.map((base) => path.resolve(base, source.runbook)).find((candidate) => candidate.endsWith('.runbook.md') && inWorkspace(candidate) && existsSync(candidate));
    if (!file) return vscode.l10n.t('{0} is not a runbook of this workspace.', source.runbook);
    let notebook: vscode.NotebookDocument;
    try {
      notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    } catch (error) {
      return vscode.l10n.t('Cannot open {0}: {1}', source.runbook, errorMessage(error));
    }
    if (notebook.notebookType !== RUNBOOK_NOTEBOOK_TYPE) return vscode.l10n.t('{0} did not open as a runbook.', source.runbook);
    const cells = notebook.getCells();
    // The recorded index first; a cell moved since is found by its name.
    const byIndex = source.index !== undefined && source.index < cells.length && (source.name === undefined || cellName(cells[source.index]!) === source.name) ? source.index : -1;
    const index = byIndex >= 0 ? byIndex : cells.findIndex((cell) => source.name !== undefined && cellName(cell) === source.name);
    const range = index >= 0 ? new vscode.NotebookRange(index, index + 1) : undefined;
    const editor = await vscode.window.showNotebookDocument(notebook, range ? { selections: [range] } : {});
    if (!range) return vscode.l10n.t('The runbook no longer has the cell {0}.', source.name ?? `#${(source.index ?? 0) + 1}`);
    editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
    return undefined;
  }

  private async openPlanStage(entry: LedgerEntry, stage: string, planFiles: readonly vscode.Uri[]): Promise<string | undefined> {
    const candidates: { uri: vscode.Uri; text: string }[] = [];
    for (const uri of planFiles) {
      try {
        candidates.push({ uri, text: new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)) });
      } catch {
        // A plan that cannot be read is not the one.
      }
    }
    // The plan the entry followed (same digest); else one of its service that has the stage.
    const exact = candidates.find((candidate) => planDigest(candidate.text) === entry.planDigest);
    const similar = candidates.find((candidate) => {
      const plan = validatePlan(candidate.text).plan;
      return plan !== undefined && plan.metadata.service === entry.service && plan.stages.some((item) => item.name === stage);
    });
    const chosen = exact ?? similar;
    if (!chosen) return vscode.l10n.t('No plan of this workspace matches entry #{0} (plan {1}).', entry.seq, entry.planDigest ?? '?');
    const plan = validatePlan(chosen.text).plan;
    const index = plan?.stages.findIndex((item) => item.name === stage) ?? -1;
    const document = await vscode.workspace.openTextDocument(chosen.uri);
    const span = index >= 0 ? new PlanLocator(chosen.text, parseDocument(chosen.text)).value(['stages', index, 'name']) : undefined;
    const range = span ? new vscode.Range(document.positionAt(span.start), document.positionAt(span.end)) : undefined;
    await vscode.window.showTextDocument(document, range ? { selection: range, preview: false } : { preview: false });
    if (!exact) return vscode.l10n.t('The plan changed since entry #{0} was recorded; showing stage {1} of the current plan.', entry.seq, stage);
    return undefined;
  }
}

function cellName(cell: vscode.NotebookCell): unknown {
  return (cell.metadata as { attributes?: { name?: unknown } }).attributes?.name;
}
