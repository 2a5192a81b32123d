import { isMap, isScalar, isSeq, parseDocument, type Document, type Scalar } from 'yaml';
import { planSchema } from './schema';
import { isMappingSchema, planSchemaAtPath, type PlanValueLookup } from './schemaFields';

/** One step of a path into a plan: a mapping key or a sequence index. */
export type YamlPathSegment = string | number;

/** What the scalar under a position is to its parent. */
export type ScalarRole = 'key' | 'value' | 'item' | 'root';

/** A scalar found in a parsed plan, with the path of the field it names or holds. */
export interface LocatedScalar {
  scalar: Scalar;
  role: ScalarRole;
  /**
   * Path of the field: for a key, the path including that key; for a value, the path of the
   * pair's key; for a sequence item, the sequence's path plus the item's index.
   */
  path: YamlPathSegment[];
  /** The mapping that holds the pair, for keys and values. */
  parentKeys: string[];
  /** True when the scalar sits in a flow collection (`{ ... }` or `[ ... ]`). */
  inFlow: boolean;
}

/** Where a completion request sits in a plan being typed. */
export interface PlanCursorContext {
  /** `key`: a mapping key is being typed; `value`: a scalar value or sequence item. */
  position: 'key' | 'value';
  /**
   * For `key`: the path of the mapping the key belongs to. For `value`: the path of the field
   * whose value is typed (ending in an index inside a sequence).
   */
  path: YamlPathSegment[];
  /** For `key`: the other keys already present in that mapping. */
  existingKeys: string[];
  /** True when the cursor is in an item of a sequence (the path's last segment or the mapping's). */
  inSequenceItem: boolean;
  /** True inside a flow collection, where an insert must stay on one line. */
  inFlow: boolean;
  /** The part of the token before the cursor, as typed. */
  typedPrefix: string;
  /** The offsets of the token under the cursor in the original text; completion replaces them. */
  replaceStart: number;
  replaceEnd: number;
  /** True when the key being typed is already followed by `:`, so only the name is inserted. */
  keyHasColon: boolean;
  /** True when the cursor directly follows a `:`, so a value must be preceded by a space. */
  needsLeadingSpace: boolean;
  /** Column (zero-based) of the token's first character, for indenting multi-line inserts. */
  column: number;
  /** The document as parsed with a marker spliced in at the cursor (the marker is never a real name). */
  document: Document.Parsed;
}

/** A plain scalar that cannot occur in a real plan; spliced in at the cursor to parse half-typed text. */
const CURSOR_MARKER = 'rollgateCursor7f3a9';

/** True for a value that is (or holds) the spliced cursor marker rather than user text. */
export function containsCursorMarker(value: unknown): boolean {
  return typeof value === 'string' && value.includes(CURSOR_MARKER);
}

const BLOCK_KEY_BEFORE_CURSOR = /^[ \t]*(?:-[ \t]+)*[^\s:#{}[\],'"]*$/;
const WORD_AFTER_CURSOR = /^[^\s:#{}[\],'"]*/;
const NOTHING_BUT_COMMENT = /^[ \t]*(?:#.*)?$/;

/**
 * Reads where `offset` sits in a plan that may be half typed: key or value, the path of the
 * enclosing mapping or field, the keys already present and the token to replace.
 *
 * It splices a marker scalar in at the cursor (and a `:` when a block key is typed without one)
 * so the YAML parser itself decides, by indentation and flow syntax, where the cursor belongs.
 * Never throws; returns undefined when the cursor is in a comment or the marker could not be
 * found in the parsed tree.
 */
export function findCursorContext(text: string, offset: number): PlanCursorContext | undefined {
  const cursor = Math.max(0, Math.min(offset, text.length));
  const lineStart = text.lastIndexOf('\n', cursor - 1) + 1;
  let lineEnd = text.indexOf('\n', cursor);
  if (lineEnd === -1) lineEnd = text.length;
  if (text[lineEnd - 1] === '\r') lineEnd--;
  const before = text.slice(lineStart, cursor);
  const after = text.slice(cursor, Math.max(cursor, lineEnd));
  if (isInComment(before)) return undefined;

  const needsLeadingSpace = before.endsWith(':') && !before.trimStart().startsWith('#');
  const wordAfter = WORD_AFTER_CURSOR.exec(after)?.[0] ?? '';
  const restAfterWord = after.slice(wordAfter.length);
  const typingBlockKey = BLOCK_KEY_BEFORE_CURSOR.test(before) && NOTHING_BUT_COMMENT.test(restAfterWord);

  const inserted = (needsLeadingSpace ? ' ' : '') + CURSOR_MARKER;
  const patched = text.slice(0, cursor) + inserted + wordAfter + (typingBlockKey ? ':' : '') + text.slice(cursor + wordAfter.length);

  let document: Document.Parsed;
  try {
    document = parseDocument(patched, { uniqueKeys: false, prettyErrors: false });
  } catch {
    return undefined;
  }
  const located = findYamlScalar(document.contents, (scalar) => containsCursorMarker(scalar.value), cursor + inserted.length);
  if (!located || !located.scalar.range) return undefined;

  // Map the marker text's offsets back to the original text.
  const toOriginal = (patchedOffset: number) => (patchedOffset <= cursor ? patchedOffset : Math.max(cursor, patchedOffset - inserted.length));
  const quoted = located.scalar.type === 'QUOTE_DOUBLE' || located.scalar.type === 'QUOTE_SINGLE';
  const [scalarStart, scalarEnd] = located.scalar.range;
  const replaceStart = toOriginal(scalarStart + (quoted ? 1 : 0));
  const replaceEnd = toOriginal(scalarEnd - (quoted ? 1 : 0));
  const typedPrefix = text.slice(replaceStart, cursor);
  const column = replaceStart - lineStart;
  const keyHasColon = located.role === 'key' && /^[ \t]*:/.test(text.slice(replaceEnd + (quoted ? 1 : 0)));
  const base = { inFlow: located.inFlow, typedPrefix, replaceStart, replaceEnd, needsLeadingSpace, column, document };

  if (located.role === 'key') {
    const mappingPath = located.path.slice(0, -1);
    const onlyKeyOfSequenceItem = typeof mappingPath[mappingPath.length - 1] === 'number' && located.parentKeys.length === 0;
    // `- err|` in a list of names parses as a one-key mapping because of the spliced `:`;
    // when the schema wants a scalar there, it is really a sequence item being typed.
    if (onlyKeyOfSequenceItem && typingBlockKey && !isMappingSchema(planSchemaAtPath(mappingPath, planSchema, documentLookup(document)))) {
      return { ...base, position: 'value', path: mappingPath, existingKeys: [], inSequenceItem: true, keyHasColon: false };
    }
    return {
      ...base,
      position: 'key',
      path: mappingPath,
      existingKeys: located.parentKeys,
      inSequenceItem: typeof mappingPath[mappingPath.length - 1] === 'number',
      keyHasColon,
    };
  }
  // A bare scalar where the schema wants a mapping (`- |` in `stages:`, an empty document) is
  // the first key of a mapping still to be written.
  if ((located.role === 'item' || located.role === 'root') && isMappingSchema(planSchemaAtPath(located.path, planSchema, documentLookup(document)))) {
    return { ...base, position: 'key', path: located.path, existingKeys: [], inSequenceItem: located.role === 'item', keyHasColon: false };
  }
  return {
    ...base,
    position: 'value',
    path: located.path,
    existingKeys: [],
    inSequenceItem: located.role === 'item',
    keyHasColon: false,
  };
}

function isInComment(lineBeforeCursor: string): boolean {
  // A `#` starts a comment at the line start or after whitespace, outside quotes.
  let quote: string | undefined;
  for (let i = 0; i < lineBeforeCursor.length; i++) {
    const ch = lineBeforeCursor[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(lineBeforeCursor[i - 1]!))) {
      return true;
    }
  }
  return false;
}

/**
 * Finds the scalar under `offset` in an already parsed plan (for hover). The end of a scalar
 * counts as inside it, so a cursor just after a word still finds the word.
 */
export function findScalarAt(document: Document.Parsed, offset: number): LocatedScalar | undefined {
  return findYamlScalar(
    document.contents,
    (scalar) => {
      const range = scalar.range;
      return range !== undefined && range !== null && range[0] <= offset && offset <= range[1];
    },
    offset,
  );
}

/**
 * Depth-first search of a YAML tree for the first scalar satisfying `matches`. With `near`, only
 * collections whose source range contains that offset are searched, which keeps a lookup on a
 * large plan from walking all of it.
 */
export function findYamlScalar(root: unknown, matches: (scalar: Scalar) => boolean, near?: number): LocatedScalar | undefined {
  const visit = (node: unknown, path: YamlPathSegment[], role: ScalarRole, parentKeys: string[], inFlow: boolean): LocatedScalar | undefined => {
    if (near !== undefined && (isMap(node) || isSeq(node)) && node.range && (near < node.range[0] || near > node.range[2])) return undefined;
    if (isScalar(node)) {
      return matches(node) ? { scalar: node, role, path, parentKeys, inFlow } : undefined;
    }
    if (isMap(node)) {
      const flow = inFlow || Boolean(node.flow);
      const keys = node.items.map((pair) => keyName(pair.key)).filter((key): key is string => key !== undefined);
      for (const pair of node.items) {
        const key = keyName(pair.key);
        if (key === undefined) continue;
        const others = keys.filter((other) => other !== key);
        if (isScalar(pair.key) && matches(pair.key)) {
          return { scalar: pair.key, role: 'key', path: [...path, key], parentKeys: others, inFlow: flow };
        }
        const found = visit(pair.value, [...path, key], 'value', others, flow);
        if (found) return found;
      }
      return undefined;
    }
    if (isSeq(node)) {
      const flow = inFlow || Boolean(node.flow);
      for (let index = 0; index < node.items.length; index++) {
        const found = visit(node.items[index], [...path, index], 'item', [], flow);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(root, [], 'root', [], false);
}

function keyName(key: unknown): string | undefined {
  if (isScalar(key) && key.value !== null && key.value !== undefined) return String(key.value);
  return undefined;
}

export { describeSchemaField, discriminatorChoices, isMappingSchema, planSchemaAtPath, schemaObjectFields, type FieldSchemaInfo } from './schemaFields';

/** Reads a parsed (maybe half-typed) plan's values by path, for the schema walkers. */
export function documentLookup(document: Document): PlanValueLookup {
  return (path) => document.getIn(path as Array<string | number>);
}
