import { stringify } from 'yaml';
import { isClosingFence } from './parse';
import { firstLineEnding, splitKeepingLineEndings, trailingLineEnding } from './lines';
import type { LineEnding, RunbookCell, RunbookCellSource, RunbookData, RunbookMetadata } from './types';

/**
 * Writes a runbook back to text. Cells whose kind, language, value and attributes are unchanged
 * since `parseRunbook` are written as their original bytes (with their original separators), so
 * an unchanged runbook comes back byte-identical and an edit touches only the edited cell's
 * bytes. Edited code cells keep their fence characters, indentation and info string; new cells
 * get a blank line around them and the file's line ending. Outputs are never part of the data.
 */
export function serializeRunbook(data: RunbookData): string {
  // Plain-JavaScript callers may leave metadata out; treat that as "no front matter".
  const metadata: RunbookMetadata = data.metadata ?? { frontMatter: {} };
  const lineEnding: LineEnding = metadata.lineEnding ?? '\n';
  const cells = data.cells;
  const parts: string[] = [preambleText(metadata, lineEnding, cells.length > 0)];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    const source = cell.source;
    const isLast = i === cells.length - 1;
    let text = source && isUnchanged(cell, source) ? source.text : emitCell(cell, source, lineEnding, isLast);
    let separator = source?.separator ?? '';
    if (!isLast) {
      const fence = source?.fence;
      if (fence && fence.closeLine === '' && text === source.text) {
        // An unclosed fence swallowed the rest of the file; now that a cell follows, close it.
        text = endWithLineEnding(text, lineEnding) + fence.indent + fence.markup + lineEnding;
      }
      const next = cells[i + 1]!.source;
      const isOriginalNeighbour = source !== undefined && next !== undefined && next.start === source.end + source.separator.length;
      if (!isOriginalNeighbour) {
        // A new neighbour: make sure the two cells cannot run into each other.
        text = endWithLineEnding(text, lineEnding);
        separator = separator === '' ? lineEnding : endWithLineEnding(separator, lineEnding);
      }
    }
    parts.push(text);
    if (separator !== '') parts.push(separator);
  }
  return parts.join('');
}

function isUnchanged(cell: RunbookCell, source: RunbookCellSource): boolean {
  if (cell.kind !== source.kind || cell.language !== source.language) return false;
  // Editors normalise a cell's line endings; that alone is not an edit worth rewriting bytes for.
  if (cell.value !== source.value && normaliseLineEndings(cell.value) !== normaliseLineEndings(source.value)) return false;
  return cell.kind === 'markdown' || JSON.stringify(cell.attributes ?? {}) === source.attributesJson;
}

function emitCell(cell: RunbookCell, source: RunbookCellSource | undefined, lineEnding: LineEnding, isLast: boolean): string {
  if (cell.kind === 'markdown') {
    const markdownSource = source?.kind === 'markdown' ? source : undefined;
    const finalLineEnding = markdownSource ? markdownSource.finalLineEnding : lineEnding;
    // An edited cell is written with one line ending, the one it had (or the file's).
    const cellLineEnding = (markdownSource && firstLineEnding(markdownSource.text)) || lineEnding;
    const value = withLineEnding(cell.value, cellLineEnding);
    return value + (finalLineEnding === '' && !isLast ? lineEnding : finalLineEnding);
  }
  return emitCodeCell(cell, source?.kind === 'code' ? source : undefined, lineEnding, isLast);
}

function emitCodeCell(cell: RunbookCell, source: RunbookCellSource | undefined, fileLineEnding: LineEnding, isLast: boolean): string {
  const fence = source?.fence;
  const indent = fence?.indent ?? '';
  const lineEnding = fence?.openLineEnding || fileLineEnding;
  const originalMarkup = fence?.markup ?? '```';
  // One line ending for the whole edited cell: mixing in the editor's "\n" after a "\r" line
  // ending would fuse them into one "\r\n" and silently drop a line.
  const value = withLineEnding(cell.value, lineEnding);
  const markup = markupThatFits(value, originalMarkup);

  const attributesUnchanged = source !== undefined && JSON.stringify(cell.attributes ?? {}) === source.attributesJson;
  const infoTail = attributesUnchanged && fence ? fence.infoTail : attributesText(cell.attributes ?? {}, markup);
  const openLine = indent + markup + cell.language + infoTail + lineEnding;

  const body = value === '' ? '' : indentLines(value, indent) + lineEnding;

  let closeLine: string;
  if (fence && fence.closeLine === '' && isLast) closeLine = '';
  else if (fence && fence.closeLine !== '' && markup === originalMarkup) closeLine = fence.closeLine;
  else closeLine = indent + markup + (fence ? trailingLineEnding(fence.closeLine) || (isLast ? '' : lineEnding) : lineEnding);
  return openLine + body + closeLine;
}

/** A fence run long enough that no line of `value` closes it early. */
function markupThatFits(value: string, markup: string): string {
  const marker = markup[0] === '~' ? '~' : '`';
  if (value.indexOf(marker.repeat(3)) === -1) return markup;
  let longest = 0;
  for (const line of splitKeepingLineEndings(value)) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith(marker.repeat(3)) && isClosingFence(trimmed, marker.repeat(3))) {
      let run = 0;
      while (trimmed[run] === marker) run++;
      longest = Math.max(longest, run);
    }
  }
  return longest >= markup.length ? marker.repeat(longest + 1) : markup;
}

/** ` {"name":"status"}` after the language word; backticks escaped so a backtick fence stays valid. */
function attributesText(attributes: Record<string, unknown>, markup: string): string {
  if (Object.keys(attributes).length === 0) return '';
  const json = JSON.stringify(attributes);
  return ' ' + (markup[0] === '`' ? json.replace(/`/g, '\\u0060') : json);
}

function indentLines(value: string, indent: string): string {
  if (indent === '') return value;
  return splitKeepingLineEndings(value)
    .map((line) => (trailingLineEnding(line).length === line.length ? line : indent + line))
    .join('');
}

function preambleText(metadata: RunbookMetadata, lineEnding: LineEnding, hasCells: boolean): string {
  let preamble = metadata.preamble;
  if (preamble === undefined) {
    const values: Record<string, unknown> = { ...metadata.frontMatter };
    if (metadata.title !== undefined) values.title = metadata.title;
    if (metadata.plan !== undefined) values.plan = metadata.plan;
    if (metadata.environment !== undefined) values.environment = metadata.environment;
    if (Object.keys(values).length === 0) return '';
    const yaml = stringify(values).replace(/\n/g, lineEnding);
    preamble = `---${lineEnding}${yaml}---${lineEnding}${lineEnding}`;
  }
  // A preamble that ended the file without a line ending now has cells after it.
  const withoutMark = preamble.charCodeAt(0) === 0xfeff ? preamble.slice(1) : preamble;
  if (hasCells && withoutMark !== '' && trailingLineEnding(preamble) === '') preamble += lineEnding;
  return preamble;
}

function endWithLineEnding(text: string, lineEnding: LineEnding): string {
  return text === '' || trailingLineEnding(text) !== '' ? text : text + lineEnding;
}

function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

function withLineEnding(text: string, lineEnding: LineEnding): string {
  return lineEnding === '\n' ? normaliseLineEndings(text) : text.replace(/\r\n|\r|\n/g, lineEnding);
}
