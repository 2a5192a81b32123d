import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';

/**
 * Looks at values during {@link toPlainValue}'s walk (the credential scanner is one). Declared
 * here so the tree walk depends on no particular check.
 */
export interface ValueScanner {
  /** Every text scalar. */
  checkString(node: Node, value: string): void;
  /**
   * Every mapping pair, before its value is converted; true when the value was reported (it is
   * then kept as the literal, not walked). `inSecretReference`: the pair is the only key of a mapping.
   */
  checkPair(key: string, value: unknown, inSecretReference: boolean): boolean;
}

/** A path into the plan, as zod reports it: object keys and array indices. */
export type PlanPath = readonly PropertyKey[];

/** A half-open span of UTF-16 offsets. */
export interface Span {
  start: number;
  end: number;
}

/** What a path points at in the YAML tree: the value node, and the pair that holds it (for its key). */
export interface LocatedNode {
  node: Node | null;
  pair?: Pair;
}

/** The key of a map pair as the plain-object key it becomes. */
export function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  if (key === null || key === undefined) return '';
  return String(key);
}

/**
 * Converts the YAML tree to plain data in one pass. Lighter than `Document.toJS()` (no tag
 * resolution hooks, no reviver) and safe with aliases: an anchored node is converted once and
 * shared, and an alias that points into its own ancestor becomes null instead of recursing.
 * When a scanner is given, the same pass looks for inline credentials; when `duplicateKeys` is
 * given, it collects every pair whose key repeats an earlier key of the same mapping (cheaper
 * than the parser's own `uniqueKeys` check, which compares every pair with every other).
 */
export function toPlainValue(document: Document, scanner?: ValueScanner, duplicateKeys?: Pair[]): unknown {
  const converted = new Map<Node, unknown>();
  const inProgress = new Set<Node>();

  const convert = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (isScalar(node)) {
      const value = node.value;
      if (scanner && typeof value === 'string') scanner.checkString(node, value);
      return value;
    }
    if (isAlias(node)) {
      const target = node.resolve(document);
      if (!target || inProgress.has(target)) return null;
      // The target was converted (and scanned) where it is defined.
      if (isScalar(target)) return target.value;
      return convert(target);
    }
    if (isMap(node) || isSeq(node)) {
      // Only anchored nodes can be reached twice; cache those alone to keep the common path lean.
      const anchored = node.anchor !== undefined;
      if (anchored) {
        if (converted.has(node)) return converted.get(node);
        inProgress.add(node);
      }
      let result: unknown;
      if (isSeq(node)) {
        const items = node.items;
        const list = new Array<unknown>(items.length);
        for (let index = 0; index < items.length; index++) list[index] = convert(items[index]);
        result = list;
      } else {
        const object: Record<string, unknown> = {};
        const items = node.items;
        const onlyKey = items.length === 1;
        for (let index = 0; index < items.length; index++) {
          const pair = items[index]!;
          const key = keyText(pair.key);
          if (duplicateKeys && Object.prototype.hasOwnProperty.call(object, key)) duplicateKeys.push(pair);
          let value: unknown;
          if (scanner && scanner.checkPair(key, pair.value, onlyKey)) {
            value = isScalar(pair.value) ? pair.value.value : null;
          } else value = convert(pair.value);
          // A `__proto__` key must stay data, never become the object's prototype.
          if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
          else object[key] = value;
        }
        result = object;
      }
      if (anchored) {
        inProgress.delete(node);
        converted.set(node, result);
      }
      return result;
    }
    return null;
  };
  return convert(document.contents);
}

function resolveAlias(document: Document, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(document) ?? null) : node;
}

/** The pair for `key` in a map node; the last one wins, as in the converted value. */
export function findPair(document: Document, mapNode: unknown, key: string): Pair | undefined {
  const map = resolveAlias(document, mapNode);
  if (!isMap(map)) return undefined;
  for (let index = map.items.length - 1; index >= 0; index--) {
    const pair = map.items[index]!;
    if (keyText(pair.key) === key) return pair;
  }
  return undefined;
}

/** Follows a path through the YAML tree; undefined when some step does not exist. */
export function locate(document: Document, path: PlanPath): LocatedNode | undefined {
  let current: LocatedNode = { node: document.contents as Node | null };
  for (const segment of path) {
    const node = resolveAlias(document, current.node);
    if (typeof segment === 'number') {
      if (!isSeq(node)) return undefined;
      const item = node.items[segment];
      if (item === undefined) return undefined;
      current = { node: item as Node | null };
    } else {
      const pair = findPair(document, node, String(segment));
      if (!pair) return undefined;
      current = { node: pair.value as Node | null, pair };
    }
  }
  return current;
}

/** The span of a node's own text (for a collection, up to its last item), trailing blanks trimmed. */
export function nodeSpan(text: string, node: unknown): Span | undefined {
  if (!node || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as Node).range;
  if (!range) return undefined;
  let end = range[1];
  while (end > range[0] && /\s/.test(text[end - 1]!)) end--;
  return { start: range[0], end };
}

/** The span of the key of the pair that holds a located node. */
export function keySpan(text: string, pair: Pair | undefined): Span | undefined {
  if (!pair) return undefined;
  if (isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key)) return nodeSpan(text, pair.key);
  return undefined;
}

/** From `start` to the end of its line (without the line break). */
export function restOfLine(text: string, start: number): Span {
  let end = start;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end: Math.max(end, Math.min(start + 1, text.length)) };
}

export { isMap, isPair, isScalar, isSeq };

/**
 * Turns plan paths into spans of the source text. Built only when there is something to report,
 * and every lookup walks just the path it is asked about, so a clean plan pays nothing for it.
 */
export class PlanLocator {
  constructor(
    private readonly text: string,
    private readonly document: Document,
  ) {}

  /** The value at `path`; an empty or missing value falls back to its key, then to the nearest ancestor. */
  value(path: PlanPath): Span {
    const located = locate(this.document, path);
    if (located) {
      const span = nodeSpan(this.text, located.node);
      if (span && span.end > span.start) return span;
      const key = keySpan(this.text, located.pair);
      if (key) return key;
      if (span) return span;
    }
    return this.nearestAncestor(path);
  }

  /** The YAML node at `path` (an alias resolved to what it names), or undefined when there is none. */
  node(path: PlanPath): unknown {
    const located = locate(this.document, path);
    return located ? resolveAlias(this.document, located.node) : undefined;
  }

  /** The key of the pair at `path` (an array item has none: its first line instead). */
  key(path: PlanPath): Span {
    if (path.length === 0) return this.root();
    const located = locate(this.document, path);
    if (located) {
      const key = keySpan(this.text, located.pair);
      if (key) return key;
      const span = nodeSpan(this.text, located.node);
      if (span) return restOfLine(this.text, span.start);
    }
    return this.nearestAncestor(path);
  }

  /** Where to report something about the object at `path` as a whole, e.g. a key missing from it. */
  owner(path: PlanPath): Span {
    return path.length === 0 ? this.root() : this.key(path);
  }

  /** The plan as a whole: its `apiVersion` line, else its first line of content. */
  root(): Span {
    const contents = this.document.contents;
    const apiVersion = findPair(this.document, contents, 'apiVersion');
    if (apiVersion) {
      const key = keySpan(this.text, apiVersion);
      const value = nodeSpan(this.text, apiVersion.value);
      if (key) return { start: key.start, end: value && value.end > key.end ? value.end : key.end };
    }
    const span = nodeSpan(this.text, contents);
    if (span) return restOfLine(this.text, span.start);
    return { start: 0, end: Math.min(this.text.length, restOfLine(this.text, 0).end) };
  }

  private nearestAncestor(path: PlanPath): Span {
    for (let length = path.length - 1; length > 0; length--) {
      const prefix = path.slice(0, length);
      if (locate(this.document, prefix)) return this.key(prefix);
    }
    return this.root();
  }
}
