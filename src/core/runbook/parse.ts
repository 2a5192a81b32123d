import { MAX_RUNBOOK_BYTES, oversize, tooLargeMessage } from '../files/limits';
import MarkdownIt from 'markdown-it';
import type { Diagnostic } from '../diagnostics';
import { parseAttributes } from './attributes';
import { readFrontMatter } from './frontMatter';
import { firstLineEnding, isBlankLine, lineStartOffsets, trailingLineEnding } from './lines';
import { RUNNABLE_LANGUAGES, type RunbookCell, type RunbookData, type RunbookMetadata } from './types';
import { errorMessage } from '../errors';

/** What `parseRunbook` returns: the runbook plus findings about it. */
export interface ParsedRunbook extends RunbookData {
  diagnostics: Diagnostic[];
}

type BlockToken = ReturnType<MarkdownIt['parse']>[number];

const RUNNABLE = new Set<string>(RUNNABLE_LANGUAGES);
const LANGUAGE_WORD = /^[ \t]*([^\s{]*)/;

let blockParser: MarkdownIt | undefined;

/**
 * markdown-it with only the block stage: cells need block structure and line maps, never inline
 * tokens, so skipping the inline stage keeps opening a large runbook cheaper than a full parse.
 * `html: true` so fences inside HTML blocks stay HTML, as on code hosts.
 */
function markdownBlockParser(): MarkdownIt {
  if (!blockParser) {
    blockParser = new MarkdownIt({ html: true });
    blockParser.core.ruler.enableOnly(['normalize', 'block']);
  }
  return blockParser;
}

/**
 * Parses a runbook (`*.runbook.md`) into notebook cells without losing a byte:
 * `serializeRunbook(parseRunbook(text)) === text` for every string.
 *
 * Top-level fenced code blocks whose language word is `http`, `promql`, `rollout` or `check`
 * become code cells; everything else, including runnable fences nested in lists or block
 * quotes, stays in Markdown cells, split before each top-level heading. Front matter becomes
 * metadata. Never throws: bad attributes or front matter are reported as diagnostics with
 * offsets into `text`.
 */
export function parseRunbook(text: string): ParsedRunbook {
  const bytes = oversize(text, MAX_RUNBOOK_BYTES);
  if (bytes !== undefined) {
    // Not parsed: one Markdown cell holding the whole text keeps it byte for byte.
    const finalLineEnding = trailingLineEnding(text);
    const value = text.slice(0, text.length - finalLineEnding.length);
    const source = { start: 0, end: text.length, text, separator: '', kind: 'markdown' as const, language: 'markdown', value, attributesJson: '{}', finalLineEnding };
    const cell: RunbookCell = { kind: 'markdown', language: 'markdown', attributes: {}, value, source };
    return {
      metadata: { frontMatter: {}, preamble: '' },
      cells: [cell],
      diagnostics: [{ severity: 'error', code: 'runbook/too-large', message: tooLargeMessage('runbook', bytes), start: 0, end: Math.min(text.length, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')) }],
    };
  }
  const diagnostics: Diagnostic[] = [];
  const hasByteOrderMark = text.charCodeAt(0) === 0xfeff;
  const frontMatter = readFrontMatter(text, hasByteOrderMark ? 1 : 0);
  const bodyStart = frontMatter ? frontMatter.end : hasByteOrderMark ? 1 : 0;
  if (frontMatter) {
    diagnostics.push(...frontMatter.diagnostics);
    for (const key of ['title', 'plan', 'environment']) {
      const value = frontMatter.values[key];
      if (value !== undefined && typeof value !== 'string') {
        diagnostics.push({
          severity: 'warning',
          code: 'runbook/front-matter-type',
          message: `Front matter "${key}" must be text, e.g. ${key}: ${key === 'plan' ? './churn-canary.rollout.yaml' : key === 'environment' ? 'staging' : 'Rollback drill'}; it is ignored.`,
          start: frontMatter.contentStart,
          end: frontMatter.contentEnd,
        });
      }
    }
  }

  const body = bodyStart === 0 ? text : text.slice(bodyStart);
  const cells = bodyToCells(body, bodyStart, diagnostics);

  const firstCellStart = cells[0]?.source?.start ?? text.length;
  linkSeparators(text, cells);
  const metadata = metadataFrom(frontMatter?.values ?? {}, text.slice(0, firstCellStart), text);
  return { metadata, cells, diagnostics };
}

function metadataFrom(values: Record<string, unknown>, preamble: string, text: string): RunbookMetadata {
  const metadata: RunbookMetadata = { frontMatter: values, preamble };
  if (typeof values.title === 'string') metadata.title = values.title;
  if (typeof values.plan === 'string') metadata.plan = values.plan;
  if (typeof values.environment === 'string') metadata.environment = values.environment;
  const lineEnding = firstLineEnding(text);
  if (lineEnding) metadata.lineEnding = lineEnding;
  return metadata;
}

/** Each cell's separator is the (blank) text up to the next cell or the end of the file. */
function linkSeparators(text: string, cells: RunbookCell[]): void {
  for (let i = 0; i < cells.length; i++) {
    const source = cells[i]!.source!;
    const nextStart = cells[i + 1]?.source?.start ?? text.length;
    source.separator = nextStart === source.end ? '' : text.slice(source.end, nextStart);
  }
}

function bodyToCells(body: string, bodyStart: number, diagnostics: Diagnostic[]): RunbookCell[] {
  const starts = lineStartOffsets(body);
  const lineCount = starts.length - 1;
  let tokens: BlockToken[];
  try {
    tokens = markdownBlockParser().parse(body, {});
  } catch (error) {
    // markdown-it is not expected to throw; if it ever does, keep the text as one Markdown cell.
    diagnostics.push({
      severity: 'warning',
      code: 'runbook/markdown-unparsed',
      message: `The Markdown could not be split into cells (${errorMessage(error)}); it is kept as one cell.`,
      start: bodyStart,
      end: bodyStart + body.length,
    });
    tokens = [];
  }

  const cells: RunbookCell[] = [];
  const names = new Map<string, number>();
  const blank = (line: number): boolean => isBlankLine(body, starts[line]!, starts[line + 1]!);

  const pushMarkdown = (fromLine: number, toLine: number): void => {
    while (fromLine < toLine && blank(fromLine)) fromLine++;
    while (toLine > fromLine && blank(toLine - 1)) toLine--;
    if (fromLine === toLine) return;
    const cellText = body.slice(starts[fromLine], starts[toLine]);
    const finalLineEnding = trailingLineEnding(cellText);
    const value = cellText.slice(0, cellText.length - finalLineEnding.length);
    cells.push({
      kind: 'markdown',
      language: 'markdown',
      attributes: {},
      value,
      source: {
        start: bodyStart + starts[fromLine]!,
        end: bodyStart + starts[toLine]!,
        text: cellText,
        separator: '',
        kind: 'markdown',
        language: 'markdown',
        value,
        attributesJson: '{}',
        finalLineEnding,
      },
    });
  };

  const pushCode = (token: BlockToken, language: string, fromLine: number, toLine: number): void => {
    const openStart = starts[fromLine]!;
    const openLine = body.slice(openStart, starts[fromLine + 1]);
    const openLineEnding = trailingLineEnding(openLine);
    const openContent = openLine.slice(0, openLine.length - openLineEnding.length);
    let indentLength = 0;
    while (openContent.charCodeAt(indentLength) === 32) indentLength++;
    const markup = token.markup;
    const afterMarkup = openContent.slice(indentLength + markup.length);
    const languageMatch = LANGUAGE_WORD.exec(afterMarkup)!;
    const infoTail = afterMarkup.slice(languageMatch[0].length);
    const infoTailOffset = bodyStart + openStart + indentLength + markup.length + languageMatch[0].length;
    const parsedAttributes = parseAttributes(infoTail, infoTailOffset, language);
    for (const diagnostic of parsedAttributes.diagnostics) diagnostics.push(diagnostic);

    const lastLine = body.slice(starts[toLine - 1], starts[toLine]);
    const closed = toLine - 1 > fromLine && isClosingFence(lastLine, markup);
    const bodyEndLine = closed ? toLine - 1 : toLine;
    const fenceBody = body.slice(starts[fromLine + 1], starts[bodyEndLine]);
    const bodyLineEnding = trailingLineEnding(fenceBody);
    let value = fenceBody.slice(0, fenceBody.length - bodyLineEnding.length);
    if (indentLength > 0) value = removeIndent(value, indentLength);
    const cellText = body.slice(openStart, starts[toLine]);

    const name = parsedAttributes.attributes.name;
    if (typeof name === 'string') {
      const seen = names.get(name);
      if (seen !== undefined) {
        diagnostics.push({
          severity: 'warning',
          code: 'runbook/duplicate-cell-name',
          message: `Another cell is already named "${name}"; {{${name}...}} refers to the latest run of either. Rename one of them.`,
          start: infoTailOffset,
          end: infoTailOffset + infoTail.length,
        });
      }
      names.set(name, cells.length);
    }

    cells.push({
      kind: 'code',
      language,
      attributes: parsedAttributes.attributes,
      value,
      source: {
        start: bodyStart + openStart,
        end: bodyStart + starts[toLine]!,
        text: cellText,
        separator: '',
        kind: 'code',
        language,
        value,
        attributesJson: JSON.stringify(parsedAttributes.attributes),
        finalLineEnding: trailingLineEnding(cellText),
        fence: {
          indent: ' '.repeat(indentLength),
          markup,
          infoTail,
          openLineEnding,
          closeLine: closed ? lastLine : '',
        },
      },
    });
  };

  // One pass over the block tokens: runnable top-level fences cut code cells out of the text;
  // top-level headings start a new Markdown cell; all other lines stay where they are.
  let markdownFrom = 0;
  for (const token of tokens) {
    if (token.type === 'fence') {
      const language = runnableLanguage(token.info);
      if (language === undefined || !token.map) continue;
      const [fromLine, toLine] = token.map;
      if (token.level !== 0) {
        diagnostics.push({
          severity: 'info',
          code: 'runbook/nested-fence-not-runnable',
          message: `This ${language} block is inside a list or quote, so it stays Markdown and cannot run. Move it to the top level to make it a cell.`,
          start: bodyStart + starts[fromLine]!,
          end: bodyStart + starts[fromLine + 1]!,
        });
        continue;
      }
      pushMarkdown(markdownFrom, fromLine);
      pushCode(token, language, fromLine, toLine);
      markdownFrom = toLine;
    } else if (token.type === 'heading_open' && token.level === 0 && token.map) {
      const headingLine = token.map[0];
      if (headingLine > markdownFrom) {
        pushMarkdown(markdownFrom, headingLine);
        markdownFrom = headingLine;
      }
    }
  }
  pushMarkdown(markdownFrom, lineCount);
  return cells;
}

/** A fenced block that does not run: its language (`''` when it has none) and where it starts. */
export interface SkippedFence {
  language: string;
  start: number;
}

/**
 * The fenced blocks of a runbook that are not cells: other languages, no language, and runnable
 * languages nested in a list or quote. `rollgate run` names them when nothing ran.
 */
export function skippedFences(text: string): SkippedFence[] {
  let tokens: BlockToken[];
  try {
    tokens = markdownBlockParser().parse(text, {});
  } catch {
    return [];
  }
  const starts = lineStartOffsets(text);
  const skipped: SkippedFence[] = [];
  for (const token of tokens) {
    if (token.type !== 'fence' || !token.map) continue;
    const runnable = runnableLanguage(token.info);
    if (runnable !== undefined && token.level === 0) continue;
    skipped.push({ language: LANGUAGE_WORD.exec(token.info)![1]!, start: starts[token.map[0]] ?? 0 });
  }
  return skipped;
}

function runnableLanguage(info: string): string | undefined {
  if (info.length === 0) return undefined;
  const word = LANGUAGE_WORD.exec(info)![1]!;
  return RUNNABLE.has(word) ? word : undefined;
}

/** The closing-fence rule of CommonMark: up to 3 spaces, the fence character at least as often, then only blanks. */
export function isClosingFence(line: string, markup: string): boolean {
  const marker = markup.charCodeAt(0);
  let position = 0;
  while (position < 3 && line.charCodeAt(position) === 32) position++;
  const runStart = position;
  while (line.charCodeAt(position) === marker) position++;
  if (position - runStart < markup.length) return false;
  for (; position < line.length; position++) {
    const ch = line.charCodeAt(position);
    if (ch !== 32 && ch !== 9 && ch !== 10 && ch !== 13) return false;
  }
  return true;
}

/** Removes up to `width` leading spaces from every line, as CommonMark does for an indented fence. */
function removeIndent(value: string, width: number): string {
  return value.replace(/(^|\r\n|\r|\n) {1,3}/g, (match, lineBreak: string) => lineBreak + ' '.repeat(Math.max(0, match.length - lineBreak.length - width)));
}
