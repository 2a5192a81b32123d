// Pure helpers behind `ranges.ts`: no `vscode` import, so vitest can test them.

/** A half-open span of UTF-16 offsets, as the core reports them. */
export interface OffsetSpan {
  start: number;
  end: number;
}

/**
 * Orders a span and clamps it into a text of `length` characters. Core results may be
 * applied to a document that changed since (a quick fix computed on an older version), and
 * `positionAt` must never be asked for an offset the document does not have.
 */
export function clampSpan(start: number, end: number, length: number): OffsetSpan {
  const clamp = (offset: number) => (Number.isFinite(offset) ? Math.max(0, Math.min(Math.trunc(offset), length)) : 0);
  const first = clamp(start);
  const second = clamp(end);
  return first <= second ? { start: first, end: second } : { start: second, end: first };
}

/**
 * Maps a core span to a start and end position with the given `positionAt` (the document's,
 * or `LineIndex.positionAt` in tests; both count UTF-16 code units).
 */
export function spanToPositions<P>(positionAt: (offset: number) => P, textLength: number, start: number, end: number): { start: P; end: P } {
  const span = clampSpan(start, end, textLength);
  return { start: positionAt(span.start), end: positionAt(span.end) };
}
