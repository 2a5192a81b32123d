// Turns where @prometheus-io/lezer-promql stopped into the message Prometheus itself gives for the
// same text (promql/parser: lex.go, generated_parser.y), so a finding in the editor reads like the
// answer the Prometheus HTTP API would send. Offsets are into the parsed query.
import type { SyntaxNode } from '@lezer/common';
import { PROMQL_AGGREGATIONS, PROMQL_FUNCTIONS } from './functions';
import { scanLexical } from './lexical';

/** A finding about one query; offsets are into the query text. */
export interface PromqlFinding {
  /** What kind of finding: the consumer turns it into a code such as `plan/promql-syntax`. */
  rule: PromqlRule;
  severity: 'error' | 'warning';
  message: string;
  start: number;
  end: number;
}

/**
 * `syntax`: Prometheus cannot parse it; `invalid`: it parses, but Prometheus's type checks refuse it;
 * `experimental`: Prometheus refuses it unless a feature flag is on; the rest are Rollgate's
 * guardrail checks (see `checkGuardrailQuery`).
 */
export type PromqlRule = 'syntax' | 'invalid' | 'experimental' | 'result-type' | 'many-series' | 'short-window';

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'start', 'end', 'step', 'range', 'smoothed', 'anchored', 'fill', 'fill_left', 'fill_right']);
const OPERATOR_WORDS = new Set(['and', 'or', 'unless', 'atan2']);
const OPERATORS = ['==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '^', '<', '>'];

const error = (message: string, start: number, end: number): PromqlFinding => ({ rule: 'syntax', severity: 'error', message, start, end });

interface Token {
  /** Prometheus's description: `identifier "foo"`, `<op:+>`, `"}"`, `end of input`. */
  description: string;
  start: number;
  end: number;
}

/** The token at `offset` (after blanks and comments), described as Prometheus's parser does. */
function tokenAt(text: string, offset: number, insideBraces: boolean): Token {
  let start = offset;
  for (;;) {
    while (start < text.length && /\s/.test(text[start]!)) start++;
    if (text[start] !== '#') break;
    while (start < text.length && text[start] !== '\n') start++;
  }
  if (start >= text.length) return { description: 'end of input', start: text.length, end: text.length };
  const rest = text.slice(start, start + 200);
  const word = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(rest)?.[0];
  if (word) {
    const lower = word.toLowerCase();
    const end = start + word.length;
    if (insideBraces) return { description: `identifier ${JSON.stringify(word)}`, start, end };
    if (lower === 'inf' || lower === 'nan') return { description: `number ${JSON.stringify(word)}`, start, end };
    if (OPERATOR_WORDS.has(lower)) return { description: `<op:${word}>`, start, end };
    if (PROMQL_AGGREGATIONS.has(lower)) return { description: `<aggr:${word}>`, start, end };
    if (KEYWORDS.has(lower)) return { description: `<${word}>`, start, end };
    return { description: `identifier ${JSON.stringify(word)}`, start, end };
  }
  const duration = /^(?:\d+(?:ms|[smhdwy]))+(?![A-Za-z0-9_])/.exec(rest)?.[0];
  if (duration) return { description: `duration ${JSON.stringify(duration)}`, start, end: start + duration.length };
  const number = /^(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(rest)?.[0];
  if (number) return { description: `number ${JSON.stringify(number)}`, start, end: start + number.length };
  const quote = rest[0]!;
  if (quote === '"' || quote === "'" || quote === '`') {
    const close = rest.indexOf(quote, 1);
    const value = close < 0 ? rest : rest.slice(0, close + 1);
    // Go's %.10q: at most ten characters, quoted, then an ellipsis.
    const shown = value.length > 10 ? `${JSON.stringify(value.slice(0, 10))}...` : JSON.stringify(value);
    return { description: `string ${shown}`, start, end: start + value.length };
  }
  const operator = OPERATORS.find((candidate) => rest.startsWith(candidate));
  if (operator && !insideBraces) return { description: `<op:${operator}>`, start, end: start + operator.length };
  const matchOperator = ['=~', '!~', '!=', '='].find((candidate) => rest.startsWith(candidate)) ?? rest[0]!;
  return { description: JSON.stringify(matchOperator), start, end: start + matchOperator.length };
}

/** The node just before `offset` among `node`'s ancestors' children, skipping error nodes. */
function previousSibling(node: SyntaxNode): SyntaxNode | null {
  let previous = node.prevSibling;
  while (previous?.type.isError) previous = previous.prevSibling;
  return previous;
}

/**
 * Prometheus's message for the place where the grammar stopped (`node` is lezer's error node): an
 * unknown function, an unclosed bracket, an unexpected token with what was expected there.
 */
export function syntaxErrorAt(text: string, node: SyntaxNode): PromqlFinding {
  const { state } = scanLexical(text, node.from);
  const insideBraces = state.brace !== undefined;
  const token = tokenAt(text, node.from, insideBraces);
  const previous = previousSibling(node);
  const parent = node.parent;

  // `foo(` where foo is not a function: the grammar read `foo` as a metric name.
  if (!insideBraces && text[token.start] === '(' && previous?.name === 'Identifier' && parent?.name === 'VectorSelector') {
    const name = text.slice(previous.from, previous.to);
    if (!PROMQL_FUNCTIONS.has(name) && !PROMQL_AGGREGATIONS.has(name)) return error(`unknown function with name ${JSON.stringify(name)}`, previous.from, previous.to);
  }

  if (token.description === 'end of input') {
    if (state.brace !== undefined) return error('unexpected end of input inside braces', state.brace, state.brace + 1);
    const paren = state.parens[state.parens.length - 1];
    if (paren !== undefined) return error('unclosed left parenthesis', paren, paren + 1);
    if (state.bracket !== undefined) return error('unclosed left bracket', state.bracket, state.bracket + 1);
  }

  let context = '';
  if (parent?.name === 'UnquotedLabelMatcher' || parent?.name === 'QuotedLabelMatcher' || (insideBraces && previous?.name === 'LabelName')) {
    context = previous?.name === 'MatchOp' ? ' in label matching, expected string' : ' in label matching, expected label matching operator';
  } else if (parent?.name === 'LabelMatchers' && previous?.name === 'LabelName') {
    context = ' in label matching, expected label matching operator';
  } else if (previous?.name === 'By' || previous?.name === 'Without') {
    context = ' in grouping opts, expected "("';
  } else if (previous?.name === 'Offset') {
    context = ' in offset, expected duration';
  }

  const message = `unexpected ${token.description}${context}`;
  if (token.start < token.end) return error(message, token.start, token.end);
  // At the end of the query: mark the last thing written, where the user continues typing.
  let end = token.start;
  while (end > 0 && /\s/.test(text[end - 1]!)) end--;
  let start = end;
  while (start > 0 && !/\s/.test(text[start - 1]!)) start--;
  return error(message, start, Math.max(end, start + (end > start ? 0 : Math.min(1, text.length))));
}

const SIMPLE_ESCAPES = new Set(['a', 'b', 'f', 'n', 'r', 't', 'v', '\\']);

/** Go's `%#U` of a character, as in `unknown escape sequence U+0064 'd'`. */
function describeRune(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} '${char}'`;
}

/** An unterminated string or an escape Prometheus does not know (`"\d"` must be written `"\\d"`). */
export function stringLiteralError(text: string, start: number, end: number): PromqlFinding | undefined {
  const quote = text[start]!;
  if (end - start < 2 || text[end - 1] !== quote) {
    return error(quote === '`' ? 'unterminated raw string' : 'unterminated quoted string', start, end);
  }
  if (quote === '`') return undefined;
  const backslash = text.indexOf('\\', start + 1);
  if (backslash < 0 || backslash >= end - 1) return undefined;
  for (let index = backslash; index < end - 1; index++) {
    if (text[index] !== '\\') continue;
    const next = text[index + 1]!;
    if (SIMPLE_ESCAPES.has(next) || next === quote) {
      index++;
      continue;
    }
    const digits = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : /[0-7]/.test(next) ? 3 : 0;
    if (digits === 0) return error(`unknown escape sequence ${describeRune(next)}`, index, index + 2);
    const from = next === 'x' || next === 'u' || next === 'U' ? index + 2 : index + 1;
    const digit = digits === 3 && /[0-7]/.test(next) ? /[0-7]/ : /[0-9a-fA-F]/;
    for (let at = from; at < from + digits; at++) {
      // The closing quote is read as one more character, as Prometheus's lexer reads it.
      if (at >= text.length) return error('escape sequence not terminated', index, at);
      if (!digit.test(text[at]!)) return error(`illegal character ${describeRune(text[at]!)} in escape sequence`, index, at + 1);
    }
    const code = Number.parseInt(text.slice(from, from + digits), digits === 3 && /[0-7]/.test(next) ? 8 : 16);
    if (code > (digits <= 3 ? 255 : 0x10ffff) || (code >= 0xd800 && code < 0xe000)) return error('escape sequence is an invalid Unicode code point', index, from + digits);
    index = from + digits - 1;
  }
  return undefined;
}
