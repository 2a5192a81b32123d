// A character-level walk over PromQL text that follows what Prometheus's own lexer tracks (open
// parentheses, braces and brackets, strings, comments). It is not a parser: the grammar is
// @prometheus-io/lezer-promql's. It answers two questions the grammar cannot: is an offset inside a
// string (where a `{{placeholder}}` cannot change the parse), and what Prometheus's lexer would
// say about a character it refuses, in Prometheus's words.

/** The lexical state at an offset: which brackets are open (innermost last) and where. */
export interface LexicalState {
  parens: number[];
  brace?: number;
  bracket?: number;
  /** Offset of the opening quote when inside a string. */
  string?: number;
  /** Offset of the `#` when inside a comment. */
  comment?: number;
}

export interface LexicalError {
  message: string;
  /** Where the lexer was when it gave up (Prometheus's reported position). */
  at: number;
  start: number;
  end: number;
}

const isSpace = (code: number): boolean => code === 32 || code === 9 || code === 10 || code === 13;
const isAlpha = (code: number): boolean => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/** Go's `%q` of one character, as Prometheus quotes a rune in its lexer errors: `'$'`. */
export function quoteRune(char: string): string {
  if (char === "'") return "'\\''";
  if (char === '\\') return "'\\\\'";
  if (char === '\n') return "'\\n'";
  if (char === '\t') return "'\\t'";
  return `'${char}'`;
}

/**
 * Walks `text` up to `until` (default: the end) and returns the state there, plus the first
 * character Prometheus's lexer would refuse before `until`, if any.
 */
export function scanLexical(text: string, until = text.length): { state: LexicalState; error?: LexicalError } {
  const state: LexicalState = { parens: [] };
  let quote = 0;
  const fail = (message: string, start: number, end = start + 1): { state: LexicalState; error: LexicalError } => ({ state, error: { message, at: start, start, end } });
  for (let index = 0; index < until; index++) {
    const code = text.charCodeAt(index);
    if (quote !== 0) {
      if (code === 92 && quote !== 96) index++;
      else if (code === quote) {
        quote = 0;
        state.string = undefined;
      } else if (code === 10 && quote !== 96) {
        quote = 0;
        state.string = undefined;
      }
      continue;
    }
    if (code === 35) {
      // A comment runs to the end of the line, inside braces too.
      const start = index;
      while (index + 1 < until && text.charCodeAt(index + 1) !== 10) index++;
      if (index + 1 >= until) state.comment = start;
      continue;
    }
    if (isSpace(code)) continue;
    if (code === 34 || code === 39 || code === 96) {
      quote = code;
      state.string = index;
      continue;
    }
    const char = text[index]!;
    const next = text.charCodeAt(index + 1);
    if (state.brace !== undefined) {
      if (isAlpha(code) || isDigit(code) || code === 44 || code === 61) {
        if (code === 61 && next === 126) index++;
        continue;
      }
      if (code === 33) {
        if (next === 61 || next === 126) {
          index++;
          continue;
        }
        return fail(`unexpected character after '!' inside braces: ${quoteRune(text[index + 1] ?? '')}`, index, index + 2);
      }
      if (code === 125) {
        state.brace = undefined;
        continue;
      }
      if (code === 123) return fail("unexpected left brace '{'", index);
      return fail(`unexpected character inside braces: ${quoteRune(char)}`, index);
    }
    switch (char) {
      case '(':
        state.parens.push(index);
        continue;
      case ')':
        if (state.parens.length === 0) return fail("unexpected right parenthesis ')'", index);
        state.parens.pop();
        continue;
      case '{':
        state.brace = index;
        continue;
      case '}':
        return fail("unexpected character: '}'", index);
      case '[':
        if (state.bracket !== undefined) return fail("unexpected left bracket '['", index);
        state.bracket = index;
        continue;
      case ']':
        if (state.bracket === undefined) return fail("unexpected right bracket ']'", index);
        state.bracket = undefined;
        continue;
      case '=':
        if (next === 126) return fail(`unexpected character after '=': '~'`, index, index + 2);
        if (next === 61) index++;
        continue;
      case '!':
        if (next !== 61) return fail(`unexpected character after '!': ${quoteRune(text[index + 1] ?? '')}`, index, index + 2);
        index++;
        continue;
      case '.':
        if (isDigit(next)) continue;
        return fail(`unexpected character: '.'`, index);
      default:
        if (isDigit(code) && state.bracket !== undefined) {
          const number = /^\d+(?:ms|[smhdwy])?/.exec(text.slice(index, index + 40))![0];
          const after = text.charCodeAt(index + number.length);
          if (!/\d$/.test(number) || !isAlpha(after)) {
            index += number.length - 1;
            continue;
          }
          return fail(`bad number or duration syntax: ${JSON.stringify(number)}`, index, index + number.length + 1);
        }
        if (isAlpha(code) || isDigit(code) || code === 58 || ',*/%+-^<>@'.includes(char)) continue;
        return fail(`unexpected character: ${quoteRune(char)}`, index);
    }
  }
  return { state };
}

/** Offsets of the strings (quotes included) in `text`: placeholders inside them cannot change the parse. */
export function stringSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let quote = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (quote !== 0) {
      if (code === 92 && quote !== 96) index++;
      else if (code === quote || (code === 10 && quote !== 96)) {
        spans.push([start, index + 1]);
        quote = 0;
      }
    } else if (code === 35) {
      while (index + 1 < text.length && text.charCodeAt(index + 1) !== 10) index++;
    } else if (code === 34 || code === 39 || code === 96) {
      quote = code;
      start = index;
    }
  }
  if (quote !== 0) spans.push([start, text.length]);
  return spans;
}
