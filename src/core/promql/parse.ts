import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { scanLexical, stringSpans } from './lexical';
import { syntaxErrorAt, stringLiteralError, type PromqlFinding } from './syntaxErrors';

/** A Rollgate `{{placeholder}}` in a query, and what stood in for it while parsing. */
export interface PlaceholderSpan {
  start: number;
  end: number;
  /** The name between the braces, trimmed. */
  name: string;
  /**
   * `string`: inside a PromQL string, where it cannot change the parse; `identifier`: part of a
   * metric or label name; `value`: a whole token whose kind is unknown (a number, a duration, a
   * selector...), so checks that depend on its type skip it.
   */
  role: 'string' | 'identifier' | 'value';
}

export interface PromqlParse {
  /** The query as written. */
  text: string;
  /** The query as parsed: each placeholder replaced by a filler of the same length, so offsets agree. */
  parsed: string;
  tree: Tree;
  placeholders: PlaceholderSpan[];
  /** The first syntax error, in Prometheus's words, with offsets into `text`. */
  syntaxError?: PromqlFinding;
}

const PLACEHOLDER = /\{\{[^{}]*\}\}/g;
const IDENTIFIER_CHAR = /[A-Za-z0-9_:]/;

/**
 * Parses PromQL with Prometheus's own grammar (@prometheus-io/lezer-promql). `{{placeholders}}`
 * are replaced by same-length fillers first, chosen by where they stand, so they never cause a
 * finding of their own; a syntax error that touches a placeholder is not reported (the value it
 * stands for decides). Never throws.
 */
export function parsePromql(text: string): PromqlParse {
  if (!text.includes('{{')) return finish(text, text, []);
  const placeholders = findPlaceholders(text);
  // Inside strings a placeholder cannot change the parse: the text is parsed as written.
  if (placeholders.every((placeholder) => placeholder.role === 'string')) return finish(text, text, placeholders);
  const first = finish(text, fill(text, placeholders, 'number'), placeholders);
  if (!first.syntaxError || !placeholders.some((placeholder) => placeholder.role === 'value')) return first;
  // A standalone placeholder may stand for a name rather than a number (`{{metric}}{job="x"}`,
  // `by ({{label}})`): try that too and keep whichever reads better.
  const second = finish(text, fill(text, placeholders, 'identifier'), placeholders);
  if (!second.syntaxError) return { ...second, placeholders: placeholders.map((placeholder) => ({ ...placeholder })) };
  return first;
}

function findPlaceholders(text: string): PlaceholderSpan[] {
  const strings = stringSpans(text);
  const inString = (offset: number): boolean => strings.some(([start, end]) => offset > start && offset < end);
  const found: PlaceholderSpan[] = [];
  PLACEHOLDER.lastIndex = 0;
  for (let match = PLACEHOLDER.exec(text); match; match = PLACEHOLDER.exec(text)) {
    const start = match.index;
    const end = start + match[0].length;
    const name = match[0].slice(2, -2).trim();
    let role: PlaceholderSpan['role'];
    if (inString(start)) role = 'string';
    else if (IDENTIFIER_CHAR.test(text[start - 1] ?? '') || IDENTIFIER_CHAR.test(text[end] ?? '') || /^\s*\{(?!\{)/.test(text.slice(end, end + 20))) role = 'identifier';
    else role = 'value';
    found.push({ start, end, name, role });
  }
  return found;
}

function fill(text: string, placeholders: PlaceholderSpan[], valueAs: 'number' | 'identifier'): string {
  let result = '';
  let at = 0;
  for (const placeholder of placeholders) {
    const length = placeholder.end - placeholder.start;
    const filler = placeholder.role === 'string' ? 'x' : placeholder.role === 'identifier' || valueAs === 'identifier' ? '_' : '1';
    result += text.slice(at, placeholder.start) + filler.repeat(length);
    at = placeholder.end;
  }
  return result + text.slice(at);
}

// Strict parsing throws instead of recovering: a clean query (nearly all of them) needs no walk
// over its tree to learn that it has no error nodes.
const strictParser = parser.configure({ strict: true });

function finish(text: string, parsed: string, placeholders: PlaceholderSpan[]): PromqlParse {
  if (/\S/.test(parsed)) {
    try {
      return { text, parsed, tree: strictParser.parse(parsed), placeholders };
    } catch {
      // A syntax error: parse again with error recovery to find where and why.
    }
  }
  const tree = parser.parse(parsed);
  const result: PromqlParse = { text, parsed, tree, placeholders };
  const error = firstSyntaxError(parsed, tree);
  if (error && !touchesPlaceholder(error, placeholders, parsed)) result.syntaxError = error;
  return result;
}

/** True when a finding overlaps a placeholder or only blanks separate them. */
export function touchesPlaceholder(finding: { start: number; end: number }, placeholders: readonly PlaceholderSpan[], text: string): boolean {
  for (const placeholder of placeholders) {
    if (placeholder.role === 'string' && !(finding.start >= placeholder.start && finding.start < placeholder.end)) continue;
    const before = finding.end <= placeholder.start && /^\s*$/.test(text.slice(finding.end, placeholder.start));
    const after = finding.start >= placeholder.end && /^\s*$/.test(text.slice(placeholder.end, finding.start));
    const overlaps = finding.start < placeholder.end && finding.end > placeholder.start;
    if (overlaps || before || after) return true;
  }
  return false;
}

/**
 * The first syntax error in text order: a character Prometheus's lexer refuses, a string it
 * cannot read, or where the grammar stopped. Only the first is reported, as Prometheus does: what
 * follows a syntax error is mostly an echo of it. (A bad string in a query that parses is found by
 * the type checker's walk instead.)
 */
function firstSyntaxError(text: string, tree: Tree): PromqlFinding | undefined {
  let grammarError: SyntaxNode | undefined;
  let stringError: PromqlFinding | undefined;
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      grammarError = cursor.node;
      break;
    }
    if (cursor.name === 'StringLiteral' && !stringError) stringError = stringLiteralError(text, cursor.from, cursor.to);
  } while (cursor.next());
  if (!/[^\s]/.test(text.replace(/#[^\n]*/g, ''))) {
    return { rule: 'syntax', severity: 'error', message: 'no expression found in input', start: 0, end: text.length };
  }
  if (!grammarError && !stringError) return undefined;
  // Each candidate with the offset where it was found: the earliest is what Prometheus reports.
  const limit = Math.min(grammarError?.from ?? text.length, stringError?.start ?? text.length) + 1;
  const lexical = scanLexical(text, Math.min(text.length, limit)).error;
  const candidates: Array<[number, PromqlFinding]> = [];
  if (lexical) candidates.push([lexical.at, { rule: 'syntax', severity: 'error', message: lexical.message, start: lexical.start, end: lexical.end }]);
  if (stringError) candidates.push([stringError.start, stringError]);
  if (grammarError) candidates.push([grammarError.from, parserLimit(text, grammarError.from) ?? syntaxErrorAt(text, grammarError)]);
  candidates.sort((a, b) => a[0] - b[0]);
  return candidates[0]![1];
}

/**
 * lezer gives up on a left-associative chain of a few hundred operators (@lezer/lr forces the
 * parse out of it after 300 reductions), so `a + b + ...` with ~450 terms "fails" although
 * Prometheus reads it. Such a query gets a warning that it was not checked, never a false error.
 */
function parserLimit(text: string, at: number): PromqlFinding | undefined {
  const operators = text.slice(0, at).match(/(?:[-+*/%^]|[=!<>]=|[<>]|\b(?:and|or|unless|atan2)\b)/g)?.length ?? 0;
  if (operators < 300) return undefined;
  return {
    rule: 'syntax',
    severity: 'warning',
    message: `Rollgate could not check this query past this point: the PromQL grammar it uses (lezer) stops following a chain of ${operators} operators. Prometheus may accept it; run it to see.`,
    start: at,
    end: Math.min(text.length, at + 1),
  };
}
