// Incremental validation for the editor. Parsing the YAML is nearly all of a large plan's
// validation time (a 5,000-line plan: ~110 ms of ~115 ms), and a keystroke changes one small
// piece of it. So the text is cut where YAML itself lets a block-style plan be cut (top-level
// keys; the items of a long top-level list), each piece is parsed alone and cached by its text,
// and the pieces are joined into one document whose node offsets are those of the whole text.
// The rest of validation runs on that document unchanged. Whenever the cut could change the
// meaning (document markers, directives, flow or complex keys at the top, any piece that does not
// parse cleanly) the whole text is parsed as usual, so findings are always those of a full parse.
import { Document, isMap, isPair, isScalar, isSeq, Pair, parseDocument, YAMLMap, YAMLSeq, type Node, type YAMLError } from 'yaml';

import { PromqlCache } from './queries';
import { PLAN_PARSE_OPTIONS, validateGuarded, type PlanValidation } from './validate';

export interface PlanValidatorOptions {
  /** Texts shorter than this are parsed whole: fast anyway, and one path is simpler. Default 32 KiB. */
  minIncrementalLength?: number;
  /** A top-level list whose text is longer than this is cut into its items. Default 4 KiB. */
  minListSplitLength?: number;
}

/** A piece of the text parsed alone, its node offsets currently shifted to `offset`. */
interface ParsedPiece {
  text: string;
  offset: number;
  /** For a top-level key: its pair. For a list item: the item. For a list's key line: the key. */
  node: Pair | Node;
  warnings: YAMLError[];
}

/**
 * Validates successive versions of one plan (an open editor), reusing the parse of every piece of
 * text the edit did not touch. `validate(text)` returns exactly what `validatePlan(text)` returns.
 */
export class PlanValidator {
  private cache = new Map<string, ParsedPiece[]>();
  /** Guardrail queries by text: a keystroke re-parses only the query it changed. */
  readonly queries = new PromqlCache();
  private readonly minIncrementalLength: number;
  private readonly minListSplitLength: number;
  /** How the last `validate` parsed: for tests and the trace log. */
  lastParse: 'full' | 'incremental' = 'full';

  constructor(options: PlanValidatorOptions = {}) {
    this.minIncrementalLength = options.minIncrementalLength ?? 32 * 1024;
    this.minListSplitLength = options.minListSplitLength ?? 4 * 1024;
  }

  validate(text: string): PlanValidation {
    return validateGuarded(
      text,
      (whole) => {
        const document = whole.length >= this.minIncrementalLength ? this.compose(whole) : undefined;
        this.lastParse = document ? 'incremental' : 'full';
        // The cache is kept: text that must be parsed whole (a YAML error while typing, say) is
        // usually followed by text whose untouched pieces are the cached ones again.
        return document ?? parseDocument(whole, PLAN_PARSE_OPTIONS);
      },
      this.queries,
    );
  }

  /** The joined document, or undefined when the text must be parsed whole. */
  private compose(text: string): Document | undefined {
    const sections = topLevelSections(text);
    if (!sections) return undefined;
    const next = new Map<string, ParsedPiece[]>();
    // A cached piece serves one place per text (identical pieces each have their own nodes); it
    // stays in the cache until this composition succeeds, so a fallback loses nothing.
    const used = new Set<ParsedPiece>();
    const take = (start: number, end: number, kind: PieceKind): ParsedPiece | undefined => {
      const pieceText = text.slice(start, end);
      const key = `${kind}\0${pieceText}`;
      let piece = this.cache.get(key)?.find((candidate) => !used.has(candidate));
      if (piece) {
        used.add(piece);
        shiftPiece(piece, start);
      } else {
        piece = parsePiece(pieceText, start, kind);
      }
      if (!piece) return undefined;
      const list = next.get(key);
      if (list) list.push(piece);
      else next.set(key, [piece]);
      return piece;
    };

    const pairs: Pair[] = [];
    const warnings: YAMLError[] = [];
    for (const section of sections) {
      const items = section.end - section.start >= this.minListSplitLength ? listItems(text, section.start, section.end) : undefined;
      if (!items) {
        const piece = take(section.start, section.end, 'pair');
        if (!piece) return undefined;
        pairs.push(piece.node as Pair);
        warnings.push(...piece.warnings);
        continue;
      }
      const header = take(section.start, items[0]!.start, 'list-key');
      if (!header) return undefined;
      warnings.push(...header.warnings);
      const list = new YAMLSeq();
      for (const item of items) {
        const piece = take(item.start, item.end, 'list-item');
        if (!piece) return undefined;
        list.items.push(piece.node);
        warnings.push(...piece.warnings);
      }
      const first = list.items[0] as Node;
      const last = list.items[list.items.length - 1] as Node;
      list.range = [first.range![0], last.range![1], last.range![2]];
      pairs.push(new Pair(header.node, list));
    }
    this.cache = next;

    const document = new Document(null, PLAN_PARSE_OPTIONS);
    const root = new YAMLMap();
    root.items = pairs;
    const firstKey = pairs[0]!.key as Node;
    const lastValue = (pairs[pairs.length - 1]!.value ?? pairs[pairs.length - 1]!.key) as Node;
    root.range = [firstKey.range![0], lastValue.range![1], lastValue.range![2]];
    document.contents = root;
    document.warnings.push(...warnings);
    return document;
  }
}

type PieceKind = 'pair' | 'list-key' | 'list-item';

interface Span {
  start: number;
  end: number;
}

/**
 * The spans of the top-level keys (each from its key line to the next one), or undefined when the
 * top level is not a plain block mapping that can be cut there.
 */
function topLevelSections(text: string): Span[] | undefined {
  const sections: Span[] = [];
  let lineStart = 0;
  while (lineStart < text.length) {
    const lineEnd = endOfLine(text, lineStart);
    const first = text[lineStart]!;
    if (first === '#' || first === ' ' || first === '\n' || first === '\r') {
      // Comments and indented lines belong to the section above (or before the first key).
    } else if (first === '-' && /^-(\s|$)/.test(text.slice(lineStart, lineStart + 2))) {
      // A list written at the indentation of its key: part of that key's value.
      if (sections.length === 0) return undefined;
    } else if (/^[A-Za-z_"'][^#\n]*:(\s|$)/.test(text.slice(lineStart, Math.min(lineEnd, lineStart + 200)))) {
      if (sections.length > 0) sections[sections.length - 1]!.end = lineStart;
      sections.push({ start: lineStart, end: text.length });
    } else {
      // Document markers, directives, flow collections, tags, anchors, tabs: parse whole.
      return undefined;
    }
    lineStart = lineEnd + 1;
  }
  if (sections.length === 0) return undefined;
  // Leading comments and blank lines go with the first key.
  sections[0]!.start = 0;
  return sections;
}

/**
 * The items of a top-level key whose value is a block list (`key:` then lines `<indent>- ...`),
 * each from its dash line to the next; undefined when the section is anything else.
 */
function listItems(text: string, start: number, end: number): Span[] | undefined {
  const keyLineEnd = endOfLine(text, start);
  if (!/:\s*(#[^\n]*)?$/.test(text.slice(start, keyLineEnd))) return undefined;
  const items: Span[] = [];
  let indent = -1;
  let lineStart = keyLineEnd + 1;
  while (lineStart < end) {
    const lineEnd = endOfLine(text, lineStart);
    const line = text.slice(lineStart, lineEnd);
    const content = line.trimStart();
    if (content !== '' && !content.startsWith('#')) {
      const lineIndent = line.length - content.length;
      const isItem = /^-(\s|$)/.test(content);
      if (indent < 0) {
        if (!isItem) return undefined;
        indent = lineIndent;
      }
      if (lineIndent < indent) return undefined;
      if (lineIndent === indent) {
        if (!isItem) return undefined;
        if (items.length > 0) items[items.length - 1]!.end = lineStart;
        items.push({ start: lineStart, end });
      }
    }
    lineStart = lineEnd + 1;
  }
  return items.length > 1 ? items : undefined;
}

function endOfLine(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  return newline < 0 ? text.length : newline;
}

/** Parses one piece alone; undefined when it does not parse cleanly into what its kind needs. */
function parsePiece(text: string, offset: number, kind: PieceKind): ParsedPiece | undefined {
  const document = parseDocument(text, PLAN_PARSE_OPTIONS);
  if (document.errors.length > 0) return undefined;
  const contents = document.contents;
  let node: Pair | Node | undefined;
  if (kind === 'list-item') {
    if (isSeq(contents) && !contents.flow && contents.items.length === 1 && contents.items[0] !== null) node = contents.items[0] as Node;
  } else if (isMap(contents) && !contents.flow && contents.items.length === 1) {
    const pair = contents.items[0]!;
    if (isScalar(pair.key)) {
      if (kind === 'pair') node = pair;
      else if (pair.value === null || (isScalar(pair.value) && pair.value.value === null && pair.value.range![0] === pair.value.range![1])) node = pair.key;
    }
  }
  if (!node) return undefined;
  const piece: ParsedPiece = { text, offset: 0, node, warnings: document.warnings };
  shiftPiece(piece, offset);
  return piece;
}

/** Moves a piece's node offsets (and its warnings') to where the piece now starts in the text. */
function shiftPiece(piece: ParsedPiece, offset: number): void {
  const delta = offset - piece.offset;
  if (delta === 0) return;
  shiftNode(piece.node, delta);
  for (const warning of piece.warnings) warning.pos = [warning.pos[0] + delta, warning.pos[1] + delta];
  piece.offset = offset;
}

function shiftNode(node: unknown, delta: number): void {
  if (node === null || typeof node !== 'object') return;
  if (isPair(node)) {
    shiftNode(node.key, delta);
    shiftNode(node.value, delta);
    return;
  }
  const range = (node as Node).range;
  if (range) (node as Node).range = [range[0] + delta, range[1] + delta, range[2] + delta];
  if (isMap(node) || isSeq(node)) for (const item of node.items as unknown[]) shiftNode(item, delta);
}
