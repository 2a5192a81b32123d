import { parseDocument, isMap } from 'yaml';
import type { Diagnostic } from '../diagnostics';
import { errorMessage } from '../errors';

/** A front-matter block found at the top of a runbook. */
export interface FrontMatterBlock {
  /** Offset just past the closing `---`/`...` line (including its line ending). */
  end: number;
  /** Where the YAML between the fence lines starts and ends. */
  contentStart: number;
  contentEnd: number;
  /** Parsed keys; empty when the YAML is invalid or not a mapping. */
  values: Record<string, unknown>;
  diagnostics: Diagnostic[];
}

const OPENING_LINE = /^---[ \t]*(\r\n|\r|\n)/;
const CLOSING_LINE = /^(?:---|\.\.\.)[ \t]*(?:\r\n|\r|\n|(?![\s\S]))/gm;

/**
 * Finds and parses YAML front matter starting at `offset` (after an optional byte-order mark).
 * Front matter is recognised only when the first line is `---` and a later line is `---` or
 * `...`; otherwise the text is plain Markdown and `undefined` is returned.
 */
export function readFrontMatter(text: string, offset: number): FrontMatterBlock | undefined {
  const opening = OPENING_LINE.exec(text.slice(offset, offset + 8));
  if (!opening) return undefined;
  const contentStart = offset + opening[0].length;
  // Lone "\r" line endings are not seen by the `m` flag; treat them as line breaks too.
  CLOSING_LINE.lastIndex = contentStart;
  let closing: RegExpExecArray | null;
  let closingStart = -1;
  let closingEnd = -1;
  while ((closing = CLOSING_LINE.exec(text)) !== null) {
    const at = closing.index;
    const previous = text.charCodeAt(at - 1);
    if (at === contentStart || previous === 10 || previous === 13) {
      closingStart = at;
      closingEnd = at + closing[0].length;
      break;
    }
  }
  if (closingStart === -1) return undefined;

  const yamlText = text.slice(contentStart, closingStart);
  const diagnostics: Diagnostic[] = [];
  let values: Record<string, unknown> = {};
  try {
    const document = parseDocument(yamlText, { prettyErrors: false, logLevel: 'error' });
    for (const error of document.errors) {
      const [start, end] = error.pos;
      diagnostics.push({
        severity: 'error',
        code: 'runbook/front-matter-invalid',
        message: `Front matter is not valid YAML: ${error.message.split('\n')[0]}`,
        // yaml may point one past its input at an unexpected end; keep the span inside the block.
        start: contentStart + Math.min(start, yamlText.length),
        end: contentStart + Math.min(Math.max(end, start), yamlText.length),
      });
    }
    if (document.errors.length === 0) {
      const contents = document.contents;
      if (contents === null || contents === undefined) {
        values = {};
      } else if (isMap(contents)) {
        const json = document.toJS({ maxAliasCount: 100 }) as unknown;
        if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
          values = json as Record<string, unknown>;
        }
      } else {
        diagnostics.push({
          severity: 'error',
          code: 'runbook/front-matter-not-mapping',
          message: 'Front matter must be a YAML mapping such as "title: ...", "plan: ...", "environment: ...".',
          start: contentStart,
          end: closingStart,
        });
      }
    }
  } catch (error) {
    // yaml reports problems as document errors; this guards its rarer exceptions (alias bombs).
    diagnostics.push({
      severity: 'error',
      code: 'runbook/front-matter-invalid',
      message: `Front matter could not be read: ${errorMessage(error)}`,
      start: contentStart,
      end: closingStart,
    });
  }
  return { end: closingEnd, contentStart, contentEnd: closingStart, values, diagnostics };
}
