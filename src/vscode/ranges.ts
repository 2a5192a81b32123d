import * as vscode from 'vscode';
import { spanToPositions } from './offsetSpan';

/** The one place core offsets become editor ranges (offsets are clamped into the document). */
export function toRange(document: vscode.TextDocument, start: number, end: number): vscode.Range {
  const positions = spanToPositions((offset) => document.positionAt(offset), document.getText().length, start, end);
  return new vscode.Range(positions.start, positions.end);
}
