import * as vscode from 'vscode';
import type { Diagnostic as CoreDiagnostic } from '../core/diagnostics';
import { parseRunbook, type RunbookCell } from '../core/runbook/index';
import { cellFileOffset, linkedPlan, runbookPromqlDiagnostics, type AnalysisCache, type LinkedPlan } from '../core/runbook/promqlFindings';
import { KeyedDebouncer } from './debounce';
import { DIAGNOSTIC_SOURCE, isPlanDocument } from './planLanguage';
import { isRunbookTextDocument } from './runbookDiagnostics';
import { RUNBOOK_NOTEBOOK_TYPE, runbookCellAttributes, runbookMetadata } from './runbookSerializer';

const DEFAULT_DEBOUNCE_MS = 150;

const severities: Record<CoreDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function toDiagnostic(range: vscode.Range, finding: CoreDiagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(range, finding.message, severities[finding.severity]);
  diagnostic.code = finding.code;
  diagnostic.source = DIAGNOSTIC_SOURCE;
  return diagnostic;
}

/** The plan a runbook links with `plan:` in its front matter, as a URI next to the runbook. */
export function linkedPlanUri(runbookUri: vscode.Uri, planPath: string | undefined): vscode.Uri | undefined {
  return planPath ? vscode.Uri.joinPath(runbookUri, '..', planPath) : undefined;
}

/** The text of a plan: the open document (unsaved edits count), else the file; undefined when unreadable. */
export async function readPlanText(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  if (open) return open.getText();
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/**
 * Publishes the PromQL findings of open runbooks: a `promql` cell's query, parsed with Prometheus's
 * grammar, and the linked plan's guardrail queries each `check` cell runs. In a notebook they are
 * shown in the cells themselves; in a runbook open as text, at the cell's lines. Re-checked after
 * `rollgate.validation.debounceMs` of quiet, and when a plan changes.
 */
export function registerRunbookPromqlDiagnostics(log: vscode.LogOutputChannel): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection(`${DIAGNOSTIC_SOURCE}-promql`);
  const debouncer = new KeyedDebouncer();
  const cache: AnalysisCache = new Map();
  /** Cell document URIs published per notebook, to clear them when cells go away. */
  const publishedCells = new Map<string, string[]>();

  const planFor = async (runbookUri: vscode.Uri, planPath: string | undefined): Promise<LinkedPlan | undefined> => {
    const uri = linkedPlanUri(runbookUri, planPath);
    if (!uri || !planPath) return undefined;
    const text = await readPlanText(uri);
    return text === undefined ? undefined : linkedPlan(planPath, text);
  };

  const checkNotebook = async (notebook: vscode.NotebookDocument): Promise<void> => {
    const key = notebook.uri.toString();
    const cells = notebook.getCells();
    const plan = await planFor(notebook.uri, runbookMetadata(notebook).plan);
    if (notebook.isClosed) return;
    const runbookCells = cells.map((cell): RunbookCell => ({
      kind: cell.kind === vscode.NotebookCellKind.Code ? 'code' : 'markdown',
      language: cell.document.languageId,
      attributes: runbookCellAttributes(cell),
      value: cell.document.getText(),
    }));
    const byCell = new Map<number, vscode.Diagnostic[]>();
    for (const finding of runbookPromqlDiagnostics(runbookCells, plan, cache)) {
      const document = cells[finding.cell]?.document;
      if (!document) continue;
      const range = new vscode.Range(document.positionAt(finding.start), document.positionAt(Math.max(finding.end, finding.start)));
      byCell.set(finding.cell, [...(byCell.get(finding.cell) ?? []), toDiagnostic(range, finding)]);
    }
    for (const uri of publishedCells.get(key) ?? []) collection.delete(vscode.Uri.parse(uri));
    const published: string[] = [];
    for (const [index, diagnostics] of byCell) {
      const uri = cells[index]!.document.uri;
      collection.set(uri, diagnostics);
      published.push(uri.toString());
    }
    publishedCells.set(key, published);
  };

  const checkText = async (document: vscode.TextDocument): Promise<void> => {
    const version = document.version;
    const text = document.getText();
    const shown = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const parsed = parseRunbook(shown);
    const plan = await planFor(document.uri, parsed.metadata.plan);
    if (document.isClosed || document.version !== version) return;
    const diagnostics = runbookPromqlDiagnostics(parsed.cells, plan, cache).flatMap((finding) => {
      const cell = parsed.cells[finding.cell]!;
      const start = cellFileOffset(cell, finding.start);
      const end = cellFileOffset(cell, finding.end);
      if (start === undefined || end === undefined) return [];
      const shift = shown === text ? 0 : 1;
      return [toDiagnostic(new vscode.Range(document.positionAt(start + shift), document.positionAt(end + shift)), finding)];
    });
    collection.set(document.uri, diagnostics);
  };

  const run = (what: string, work: () => Promise<void>): void => {
    const started = performance.now();
    work().then(
      () => log.trace(`checked PromQL of ${what} in ${(performance.now() - started).toFixed(1)} ms`),
      (error) => log.error(`checking PromQL of ${what} failed`, error),
    );
  };
  const isRunbookNotebook = (notebook: vscode.NotebookDocument) => notebook.notebookType === RUNBOOK_NOTEBOOK_TYPE && !notebook.isClosed;
  const notebookNow = (notebook: vscode.NotebookDocument) => {
    if (isRunbookNotebook(notebook)) run(notebook.uri.fsPath, () => checkNotebook(notebook));
  };
  const textNow = (document: vscode.TextDocument) => {
    if (isRunbookTextDocument(document) && !document.isClosed) run(document.uri.fsPath, () => checkText(document));
  };
  const debounceMs = (uri: vscode.Uri): number => {
    const configured = vscode.workspace.getConfiguration('rollgate.validation', uri).get<number>('debounceMs', DEFAULT_DEBOUNCE_MS);
    return typeof configured === 'number' && Number.isFinite(configured) ? configured : DEFAULT_DEBOUNCE_MS;
  };
  const recheckAll = () => {
    for (const notebook of vscode.workspace.notebookDocuments) notebookNow(notebook);
    for (const document of vscode.workspace.textDocuments) textNow(document);
  };

  const subscriptions = [
    vscode.workspace.onDidOpenNotebookDocument(notebookNow),
    vscode.workspace.onDidSaveNotebookDocument(notebookNow),
    vscode.workspace.onDidChangeNotebookDocument((event) => {
      const notebook = event.notebook;
      if (!isRunbookNotebook(notebook)) return;
      const changed = event.contentChanges.length > 0 || event.cellChanges.some((change) => change.document !== undefined || change.metadata !== undefined) || event.metadata !== undefined;
      if (changed) debouncer.schedule(notebook.uri.toString(), debounceMs(notebook.uri), () => notebookNow(notebook));
    }),
    vscode.workspace.onDidCloseNotebookDocument((notebook) => {
      const key = notebook.uri.toString();
      debouncer.cancel(key);
      for (const uri of publishedCells.get(key) ?? []) collection.delete(vscode.Uri.parse(uri));
      publishedCells.delete(key);
    }),
    vscode.workspace.onDidOpenTextDocument(textNow),
    vscode.workspace.onDidSaveTextDocument((document) => {
      textNow(document);
      if (isPlanDocument(document)) recheckAll();
    }),
    vscode.workspace.onDidChangeTextDocument((event) => {
      const document = event.document;
      if (event.contentChanges.length === 0) return;
      if (isRunbookTextDocument(document)) debouncer.schedule(document.uri.toString(), debounceMs(document.uri), () => textNow(document));
      // A guardrail query edited in a plan changes what a linked check cell will run.
      else if (isPlanDocument(document)) debouncer.schedule('plans', 4 * debounceMs(document.uri), recheckAll);
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (!isRunbookTextDocument(document)) return;
      debouncer.cancel(document.uri.toString());
      collection.delete(document.uri);
    }),
  ];
  recheckAll();

  return new vscode.Disposable(() => {
    debouncer.dispose();
    for (const subscription of subscriptions) subscription.dispose();
    collection.dispose();
  });
}
