import * as vscode from 'vscode';
import type { Diagnostic as CoreDiagnostic } from '../core/diagnostics';
import { parseRunbook, serializeRunbook, type RunbookCell, type RunbookCellSource } from '../core/runbook/index';
import { LineIndex } from '../core/text/lineIndex';
import { KeyedDebouncer } from './debounce';
import { DIAGNOSTIC_SOURCE } from './planLanguage';
import { RUNBOOK_NOTEBOOK_TYPE, runbookCellAttributes, runbookMetadata } from './runbookSerializer';

const DEFAULT_DEBOUNCE_MS = 150;
const RUNBOOK_SUFFIX = '.runbook.md';
// Each notebook cell is a text document whose path is the runbook's; only its scheme differs.
const CELL_SCHEME = 'vscode-notebook-cell';

const severities: Record<CoreDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** A `*.runbook.md` file open as text (e.g. "Reopen Editor With… › Text Editor"), not a cell of one. */
export function isRunbookTextDocument(document: vscode.TextDocument): boolean {
  return document.uri.scheme !== CELL_SCHEME && document.uri.path.endsWith(RUNBOOK_SUFFIX);
}

function isRunbookNotebook(notebook: vscode.NotebookDocument): boolean {
  return notebook.notebookType === RUNBOOK_NOTEBOOK_TYPE;
}

/**
 * The file text a runbook notebook would save now: the same lossless serialization as the
 * serializer, so findings line up with the file (and with the disk while nothing is unsaved).
 */
export function runbookNotebookText(notebook: vscode.NotebookDocument): string {
  const cells = notebook.getCells().map((cell): RunbookCell => {
    const isCode = cell.kind === vscode.NotebookCellKind.Code;
    const source = (cell.metadata as { source?: RunbookCellSource }).source;
    return {
      kind: isCode ? 'code' : 'markdown',
      language: isCode ? cell.document.languageId : 'markdown',
      attributes: isCode ? runbookCellAttributes(cell) : {},
      value: cell.document.getText(),
      ...(source ? { source } : {}),
    };
  });
  return serializeRunbook({ metadata: runbookMetadata(notebook), cells });
}

/** Core findings as editor diagnostics, positioned in `text`. */
export function runbookEditorDiagnostics(text: string): vscode.Diagnostic[] {
  // An editor drops a leading byte-order mark from the text it shows, so positions must not count it.
  const shown = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const findings = parseRunbook(shown).diagnostics;
  if (findings.length === 0) return [];
  const lines = new LineIndex(shown);
  return findings.map((finding) => {
    const start = lines.positionAt(Math.min(finding.start, finding.end));
    const end = lines.positionAt(Math.max(finding.start, finding.end));
    const diagnostic = new vscode.Diagnostic(new vscode.Range(start.line, start.character, end.line, end.character), finding.message, severities[finding.severity]);
    diagnostic.code = finding.code;
    diagnostic.source = DIAGNOSTIC_SOURCE;
    return diagnostic;
  });
}

/**
 * Publishes the runbook parser's findings (bad attribute JSON, unknown or misplaced attributes,
 * nested runnable fences, front matter) for every open `*.runbook.md`, whether it is open as a
 * notebook or as text, on the file's URI so they show in the Problems panel. At once on open and
 * save, after `rollgate.validation.debounceMs` of quiet while editing; cleared when the file is
 * no longer open in either form.
 */
export function registerRunbookDiagnostics(log: vscode.LogOutputChannel): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection(`${DIAGNOSTIC_SOURCE}-runbook`);
  const debouncer = new KeyedDebouncer();

  const publish = (uri: vscode.Uri, readText: () => string): void => {
    try {
      const started = performance.now();
      const diagnostics = runbookEditorDiagnostics(readText());
      collection.set(uri, diagnostics);
      log.trace(`checked runbook ${uri.fsPath}: ${diagnostics.length} finding(s) in ${(performance.now() - started).toFixed(1)} ms`);
    } catch (error) {
      // The parser never throws on content; anything here is a bug: log it, keep the editor usable.
      log.error(`checking runbook ${uri.toString()} failed`, error);
      collection.delete(uri);
    }
  };

  const checkText = (document: vscode.TextDocument): void => {
    if (!isRunbookTextDocument(document) || document.isClosed) return;
    debouncer.cancel(document.uri.toString());
    publish(document.uri, () => document.getText());
  };

  const checkNotebook = (notebook: vscode.NotebookDocument): void => {
    if (!isRunbookNotebook(notebook) || notebook.isClosed) return;
    debouncer.cancel(notebook.uri.toString());
    publish(notebook.uri, () => runbookNotebookText(notebook));
  };

  const debounceMs = (uri: vscode.Uri): number => {
    const configured = vscode.workspace.getConfiguration('rollgate.validation', uri).get<number>('debounceMs', DEFAULT_DEBOUNCE_MS);
    return typeof configured === 'number' && Number.isFinite(configured) ? configured : DEFAULT_DEBOUNCE_MS;
  };

  /** Clears a file's findings unless it is still open in the other form. */
  const forgetIfClosed = (uri: vscode.Uri): void => {
    const key = uri.toString();
    debouncer.cancel(key);
    const stillText = vscode.workspace.textDocuments.some((document) => !document.isClosed && isRunbookTextDocument(document) && document.uri.toString() === key);
    const stillNotebook = vscode.workspace.notebookDocuments.some((notebook) => !notebook.isClosed && isRunbookNotebook(notebook) && notebook.uri.toString() === key);
    if (!stillText && !stillNotebook) collection.delete(uri);
  };

  const subscriptions = [
    vscode.workspace.onDidOpenTextDocument(checkText),
    vscode.workspace.onDidSaveTextDocument(checkText),
    vscode.workspace.onDidChangeTextDocument((event) => {
      const document = event.document;
      if (!isRunbookTextDocument(document) || event.contentChanges.length === 0) return;
      debouncer.schedule(document.uri.toString(), debounceMs(document.uri), () => checkText(document));
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (isRunbookTextDocument(document)) forgetIfClosed(document.uri);
    }),
    vscode.workspace.onDidOpenNotebookDocument(checkNotebook),
    vscode.workspace.onDidSaveNotebookDocument(checkNotebook),
    vscode.workspace.onDidChangeNotebookDocument((event) => {
      const notebook = event.notebook;
      if (!isRunbookNotebook(notebook)) return;
      // Outputs and execution state change on every run; only text, cells and metadata matter here.
      const textChanged = event.contentChanges.length > 0 || event.cellChanges.some((change) => change.document !== undefined || change.metadata !== undefined);
      if (!textChanged && event.metadata === undefined) return;
      debouncer.schedule(notebook.uri.toString(), debounceMs(notebook.uri), () => checkNotebook(notebook));
    }),
    vscode.workspace.onDidCloseNotebookDocument((notebook) => {
      if (isRunbookNotebook(notebook)) forgetIfClosed(notebook.uri);
    }),
  ];
  for (const document of vscode.workspace.textDocuments) checkText(document);
  for (const notebook of vscode.workspace.notebookDocuments) checkNotebook(notebook);

  return new vscode.Disposable(() => {
    debouncer.dispose();
    for (const subscription of subscriptions) subscription.dispose();
    collection.dispose();
  });
}
