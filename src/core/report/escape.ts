// Escaping for the renderers. Everything a report shows from the ledger is untrusted text: anyone
// who can write to the ledger file (or name a guardrail, a runbook cell or a reason) chooses it.
import { oneLine } from './text';

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content or a quoted attribute value, on one line. */
export function html(text: string, max?: number): string {
  return oneLine(text, max).replace(/[&<>"']/g, (character) => htmlEntities[character]!);
}

/** Text for HTML that may keep its line breaks (inside `<pre>`): escaped, controls made visible. */
export function htmlBlock(text: string, max = 4000): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => html(line, max))
    .join('\n');
}

// Markdown punctuation that could start markup anywhere in a line: emphasis, code, links (and so
// images), raw HTML and entities, tables, strikethrough, and the backslash itself. Block markup
// (`#`, `>`, `-`, `1.`) needs a line start, and the renderers never start a line with ledger text.
const markdownSpecial = /[\\`*_[\]<>|&~]/g;

/** Plain text for Markdown (paragraphs, list items, table cells), on one line. */
export function md(text: string, max?: number): string {
  return oneLine(text, max).replace(markdownSpecial, (character) => `\\${character}`);
}

/**
 * A code span holding `text` literally: fenced with more backticks than any run inside it. In a
 * table cell `|` must still be escaped (GFM splits cells before it parses code spans).
 */
export function mdCode(text: string, options: { inTable?: boolean; max?: number } = {}): string {
  let body = oneLine(text, options.max);
  if (body === '') return '';
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  if (options.inTable) body = body.replace(/\|/g, '\\|');
  const padded = body.startsWith('`') || body.endsWith('`') || (body.startsWith(' ') && body.endsWith(' ')) ? ` ${body} ` : body;
  return `${fence}${padded}${fence}`;
}
