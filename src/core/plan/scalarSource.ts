// Where each character of a YAML scalar's value comes from in the file. A query written as a
// double-quoted string with escapes, a folded plain scalar or a `|`/`>` block reads differently
// from its source; a finding inside the query (an unexpected token at its 40th character) must
// still mark the exact characters in the file. The `yaml` library gives the value and the node's
// range but not this map, so the scalar is re-read here by the YAML rules, and the result is
// checked against the library's value: a scalar read differently is never mapped.
import { isScalar, type Scalar } from 'yaml';
import type { Span } from './yamlTree';

/** For each UTF-16 unit of the value, the source offsets it was read from. */
export interface ScalarSource {
  value: string;
  starts: number[];
  ends: number[];
  /** Offset of the first content character in the file (after a quote or a block header). */
  contentStart: number;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};
const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

class Builder {
  value = '';
  starts: number[] = [];
  ends: number[] = [];
  push(chars: string, start: number, end: number): void {
    for (let index = 0; index < chars.length; index++) {
      this.value += chars[index];
      this.starts.push(start);
      this.ends.push(end);
    }
  }
  pop(): void {
    this.value = this.value.slice(0, -1);
    this.starts.pop();
    this.ends.pop();
  }
}

/**
 * Maps the value of a string scalar to its source, or undefined when the node is not a string
 * scalar with a range, or the re-read value differs from the parser's (the caller then marks the
 * whole node).
 */
export function yamlScalarSource(text: string, node: unknown): ScalarSource | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const [start, end] = node.range;
  let result: (Builder & { contentStart: number }) | undefined;
  switch (node.type) {
    case 'PLAIN':
      result = readFlow(text, start, end, 'plain');
      break;
    case 'QUOTE_SINGLE':
      result = readFlow(text, start + 1, end - 1, 'single');
      break;
    case 'QUOTE_DOUBLE':
      result = readFlow(text, start + 1, end - 1, 'double');
      break;
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      result = readBlock(text, start, end, node.type === 'BLOCK_FOLDED');
      break;
    default:
      return undefined;
  }
  if (!result || result.value !== (node as Scalar<string>).value) return undefined;
  return { value: result.value, starts: result.starts, ends: result.ends, contentStart: result.contentStart };
}

/** The source span of value offsets [start, end); an empty span sits before the value's character at `start`. */
export function sourceSpan(source: ScalarSource, start: number, end: number): Span {
  const length = source.value.length;
  const from = Math.max(0, Math.min(start, length));
  const to = Math.max(from, Math.min(end, length));
  if (to > from) return { start: source.starts[from]!, end: source.ends[to - 1]! };
  if (from < length) return { start: source.starts[from]!, end: source.starts[from]! };
  const at = length > 0 ? source.ends[length - 1]! : source.contentStart;
  return { start: at, end: at };
}

/**
 * The value offset for a position in the file (a cursor): the first value character that starts at
 * or after it; the value's length when the position is past its last character.
 */
export function valueOffsetAt(source: ScalarSource, offset: number): number {
  let low = 0;
  let high = source.value.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (source.starts[middle]! < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

function lineBreakLength(text: string, at: number): number {
  if (text[at] === '\r' && text[at + 1] === '\n') return 2;
  return text[at] === '\n' || text[at] === '\r' ? 1 : 0;
}

/** Plain, single- and double-quoted scalars: escapes, and line folding per YAML 1.2 §7.3. */
function readFlow(text: string, from: number, to: number, style: 'plain' | 'single' | 'double'): Builder & { contentStart: number } {
  const out = Object.assign(new Builder(), { contentStart: from });
  // Characters from escapes (and the line's first characters) are never trimmed at a line break.
  let keepUpTo = 0;
  let index = from;
  while (index < to) {
    const char = text[index]!;
    const breakLength = lineBreakLength(text, index);
    if (breakLength > 0) {
      while (out.value.length > keepUpTo && (out.value.endsWith(' ') || out.value.endsWith('\t'))) out.pop();
      const breaks: Array<[number, number]> = [];
      let at = index;
      for (;;) {
        const length = lineBreakLength(text, at);
        if (length === 0) break;
        breaks.push([at, at + length]);
        at += length;
        while (at < to && (text[at] === ' ' || text[at] === '\t')) at++;
      }
      if (breaks.length === 1) out.push(' ', breaks[0]![0], breaks[0]![1]);
      else for (const [breakStart, breakEnd] of breaks.slice(1)) out.push('\n', breakStart, breakEnd);
      keepUpTo = out.value.length;
      index = at;
      continue;
    }
    if (style === 'single' && char === "'" && text[index + 1] === "'") {
      out.push("'", index, index + 2);
      index += 2;
      keepUpTo = out.value.length;
      continue;
    }
    if (style === 'double' && char === '\\') {
      const next = text[index + 1] ?? '';
      const escapedBreak = lineBreakLength(text, index + 1);
      if (escapedBreak > 0) {
        // An escaped line break joins the lines without a space.
        let at = index + 1 + escapedBreak;
        while (at < to && (text[at] === ' ' || text[at] === '\t')) at++;
        index = at;
        keepUpTo = out.value.length;
        continue;
      }
      const digits = HEX_ESCAPES[next];
      if (digits !== undefined) {
        const code = Number.parseInt(text.slice(index + 2, index + 2 + digits), 16);
        out.push(String.fromCodePoint(Number.isFinite(code) ? code : 0xfffd), index, index + 2 + digits);
        index += 2 + digits;
      } else {
        out.push(ESCAPES[next] ?? next, index, index + 2);
        index += 2;
      }
      keepUpTo = out.value.length;
      continue;
    }
    out.push(char, index, index + 1);
    index++;
  }
  return out;
}

/** The indentation of the mapping that holds the key on the header's line (`- key: |` counts the dash). */
function parentIndent(text: string, headerAt: number): number {
  const lineStart = text.lastIndexOf('\n', headerAt - 1) + 1;
  const line = text.slice(lineStart, headerAt);
  const match = /^(?:[ \t]*-[ \t]+)*[ \t]*/.exec(line);
  return match ? match[0].length : 0;
}

/** `|` and `>` scalars: indentation, folding of `>` and chomping, per YAML 1.2 §8.1. */
function readBlock(text: string, from: number, to: number, folded: boolean): (Builder & { contentStart: number }) | undefined {
  const headerEnd = text.indexOf('\n', from);
  if (headerEnd < 0 || headerEnd >= to) return Object.assign(new Builder(), { contentStart: to });
  const header = /^[|>]([1-9]?)([+-]?)([1-9]?)/.exec(text.slice(from, headerEnd));
  if (!header) return undefined;
  const explicit = Number(header[1] || header[3] || 0);
  const chomping = header[2] as '' | '+' | '-';
  const lines: Array<{ start: number; end: number; breakEnd: number }> = [];
  for (let at = headerEnd + 1; at < to;) {
    let end = text.indexOf('\n', at);
    if (end < 0 || end > to) end = to;
    const contentEnd = end > at && text[end - 1] === '\r' ? end - 1 : end;
    lines.push({ start: at, end: contentEnd, breakEnd: Math.min(end + 1, to) });
    at = end + 1;
  }
  let indent = explicit > 0 ? parentIndent(text, from) + explicit : -1;
  if (indent < 0) {
    // The first line with anything but spaces sets the indentation; a tab is content there, as
    // in YAML (only spaces indent), so a line of spaces and a tab is not blank.
    const first = lines.find((line) => /[^ ]/.test(text.slice(line.start, line.end)));
    const spaces = (line: { start: number; end: number }) => /^ */.exec(text.slice(line.start, line.end))![0].length;
    // Only blank lines: they are all empty, however many spaces they hold.
    indent = first ? spaces(first) : Math.max(0, ...lines.map(spaces));
  }
  const out = Object.assign(new Builder(), { contentStart: lines[0]?.start ?? to });
  const content = lines.map((line) => {
    const spaces = /^ */.exec(text.slice(line.start, Math.min(line.end, line.start + indent)))![0].length;
    const start = line.start + Math.min(spaces, indent);
    const empty = start >= line.end;
    return { ...line, start, empty: empty && spaces <= indent, moreIndented: !empty && (text[start] === ' ' || text[start] === '\t') };
  });
  let last = content.length - 1;
  while (last >= 0 && content[last]!.empty) last--;
  for (let index = 0; index <= last; index++) {
    const line = content[index]!;
    for (let at = line.start; at < line.end; at++) out.push(text[at]!, at, at + 1);
    if (index === last) break;
    const breakAt = line.end;
    const breakEnd = line.breakEnd;
    if (folded && !line.empty && !line.moreIndented) {
      let next = index + 1;
      while (next <= last && content[next]!.empty) next++;
      const nextLine = content[next];
      if (nextLine && !nextLine.moreIndented) {
        // Folded: one break becomes a space; before empty lines it disappears (they keep theirs).
        if (next === index + 1) out.push(' ', breakAt, breakEnd);
        continue;
      }
    }
    out.push('\n', breakAt, breakEnd);
  }
  if (last >= 0 && chomping !== '-') {
    const trailing = chomping === '+' ? content.slice(last) : [content[last]!];
    for (const line of trailing) if (line.breakEnd > line.end) out.push('\n', line.end, line.breakEnd);
  } else if (last < 0 && chomping === '+') {
    for (const line of content) if (line.breakEnd > line.end) out.push('\n', line.end, line.breakEnd);
  }
  return out;
}
