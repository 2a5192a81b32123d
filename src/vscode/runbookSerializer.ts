import * as vscode from 'vscode';
import { MAX_RUNBOOK_BYTES } from '../core/files/limits';
import { parseRunbook, serializeRunbook, type RunbookCell, type RunbookCellSource, type RunbookMetadata } from '../core/runbook/index';

/** The notebook type contributed in package.json for `*.runbook.md` (and nothing else). */
export const RUNBOOK_NOTEBOOK_TYPE = 'rollgate-runbook';

/**
 * What a runbook cell carries in `NotebookCellData.metadata`. `source` holds the cell's original
 * bytes, so a save of an unchanged cell writes them back verbatim; it must not be declared
 * transient, since VS Code leaves transient metadata out of what it hands to the serializer.
 */
export interface RunbookCellMetadata {
  /** The JSON attributes after the language word (`name`, `effect`, `expect`, `range`, `step`). */
  attributes?: Record<string, unknown>;
  source?: RunbookCellSource;
}

/** What a runbook carries in `NotebookData.metadata`. */
export interface RunbookNotebookMetadata {
  /** Front matter values and the exact leading bytes (see RunbookMetadata.preamble). */
  runbook?: RunbookMetadata;
}

/** The attributes of a runbook cell (`{}` when it has none), for the controller and commands. */
export function runbookCellAttributes(cell: { metadata?: { [key: string]: unknown } }): Record<string, unknown> {
  const attributes = (cell.metadata as RunbookCellMetadata | undefined)?.attributes;
  return attributes && typeof attributes === 'object' && !Array.isArray(attributes) ? attributes : {};
}

/** The runbook metadata (title, plan, environment, front matter) of an open runbook notebook. */
export function runbookMetadata(notebook: { metadata: { [key: string]: unknown } }): RunbookMetadata {
  return (notebook.metadata as RunbookNotebookMetadata).runbook ?? { frontMatter: {} };
}

// `ignoreBOM` keeps a byte-order mark in the text, so it is written back like any other byte.
const strictDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Turns `*.runbook.md` bytes into notebook cells and back with the core's lossless parser:
 * opening and saving an unchanged runbook writes the same bytes, and an edit rewrites only the
 * edited cell. Outputs are never written to the file.
 */
export class RunbookSerializer implements vscode.NotebookSerializer {
  constructor(private readonly log?: vscode.LogOutputChannel) {}

  deserializeNotebook(content: Uint8Array, _token: vscode.CancellationToken): vscode.NotebookData {
    if (content.byteLength > MAX_RUNBOOK_BYTES) {
      // Refused before parsing (a huge file would exhaust memory), and never opened, so never saved over.
      throw new Error(vscode.l10n.t('This runbook is {0} MB; Rollgate opens runbooks of at most {1} MB. Open it with the text editor instead.', (content.byteLength / 1048576).toFixed(1), MAX_RUNBOOK_BYTES / 1048576));
    }
    let text: string;
    try {
      text = strictDecoder.decode(content);
    } catch {
      // Invalid UTF-8 cannot survive a string round trip; say so instead of failing to open.
      text = lenientDecoder.decode(content);
      this.log?.warn('Runbook is not valid UTF-8: invalid bytes are replaced by U+FFFD when it is saved.');
    }
    const parsed = parseRunbook(text);
    for (const diagnostic of parsed.diagnostics) {
      if (diagnostic.severity !== 'info') this.log?.warn(`Runbook ${diagnostic.code} at offset ${diagnostic.start}: ${diagnostic.message}`);
    }
    const notebook = new vscode.NotebookData(parsed.cells.map(toCellData));
    const metadata: RunbookNotebookMetadata = { runbook: parsed.metadata };
    notebook.metadata = metadata;
    return notebook;
  }

  serializeNotebook(data: vscode.NotebookData, _token: vscode.CancellationToken): Uint8Array {
    const metadata = (data.metadata as RunbookNotebookMetadata | undefined)?.runbook ?? { frontMatter: {} };
    return encoder.encode(serializeRunbook({ metadata, cells: data.cells.map(fromCellData) }));
  }
}

function toCellData(cell: RunbookCell): vscode.NotebookCellData {
  const kind = cell.kind === 'code' ? vscode.NotebookCellKind.Code : vscode.NotebookCellKind.Markup;
  const data = new vscode.NotebookCellData(kind, cell.value, cell.language);
  const metadata: RunbookCellMetadata = { attributes: cell.attributes };
  if (cell.source) metadata.source = cell.source;
  data.metadata = metadata;
  return data;
}

function fromCellData(data: vscode.NotebookCellData): RunbookCell {
  const metadata = data.metadata as RunbookCellMetadata | undefined;
  const isCode = data.kind === vscode.NotebookCellKind.Code;
  const cell: RunbookCell = {
    kind: isCode ? 'code' : 'markdown',
    language: isCode ? data.languageId : 'markdown',
    attributes: isCode ? runbookCellAttributes(data) : {},
    value: data.value,
  };
  if (metadata?.source) cell.source = metadata.source;
  return cell;
}

/**
 * Registers the runbook notebook serializer for the `rollgate-runbook` notebook type.
 * `activate` adds the returned Disposable to `context.subscriptions`.
 */
export function registerRunbookSerializer(log?: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.workspace.registerNotebookSerializer(RUNBOOK_NOTEBOOK_TYPE, new RunbookSerializer(log), {
    transientOutputs: true,
  });
}
