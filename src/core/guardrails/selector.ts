/** One PromQL label matcher: `name op "value"`, the value as written (quotes included). */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

const NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const OPERATOR = /!=|=~|!~|=/y;
const SPACE = /\s*/y;

/**
 * Parses a label-matcher list in braces, `{version="42", code=~"5.."}`, as a PromQL vector
 * selector writes it (strings in double, single or back quotes; a trailing comma allowed).
 * Returns the matchers, or `{ problem, at }` with the character offset where it went wrong.
 * Placeholders such as `{{version}}` are fine inside the quoted values.
 */
export function parseLabelMatchers(text: string): { matchers: LabelMatcher[] } | { problem: string; at: number } {
  let position = 0;
  const skipSpace = () => {
    SPACE.lastIndex = position;
    SPACE.exec(text);
    position = SPACE.lastIndex;
  };
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = position;
    const found = pattern.exec(text);
    if (!found) return undefined;
    position = pattern.lastIndex;
    return found[0];
  };
  skipSpace();
  if (text[position] !== '{') return { problem: "a selector starts with '{', e.g. '{version=\"{{version}}\"}'", at: position };
  position++;
  const matchers: LabelMatcher[] = [];
  for (;;) {
    skipSpace();
    if (text[position] === '}') break;
    const name = match(NAME);
    if (!name) return { problem: 'expected a label name', at: position };
    skipSpace();
    const op = match(OPERATOR) as LabelMatcher['op'] | undefined;
    if (!op) return { problem: `expected =, !=, =~ or !~ after label ${name}`, at: position };
    skipSpace();
    const start = position;
    const quote = text[position];
    if (quote !== '"' && quote !== "'" && quote !== '`') return { problem: `expected a quoted value for label ${name}`, at: position };
    position++;
    while (position < text.length && text[position] !== quote) position += text[position] === '\\' && quote !== '`' ? 2 : 1;
    if (position >= text.length) return { problem: `the value of label ${name} has no closing ${quote}`, at: start };
    position++;
    matchers.push({ name, op, value: text.slice(start, position) });
    skipSpace();
    if (text[position] === ',') {
      position++;
      continue;
    }
    if (text[position] !== '}') return { problem: "expected ',' or '}'", at: position };
  }
  position++;
  skipSpace();
  if (position < text.length) return { problem: 'unexpected text after the closing }', at: position };
  return { matchers };
}

/** `name{matchers}` for a selector that parsed, written back in one canonical form. */
export function vectorSelector(metric: string, matchers: readonly LabelMatcher[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.map((matcher) => `${matcher.name}${matcher.op}${matcher.value}`).join(',')}}`;
}
