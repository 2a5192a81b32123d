// Pure helpers behind `ranges.ts`: no `vscode` import, so vitest can test them.
import { clampSpan } from '../core/text/spans';

export { clampSpan, type OffsetSpan } from '../core/text/spans';

/**
 * Maps a core span to a start and end position with the given `positionAt` (the document's,
 * or `LineIndex.positionAt` in tests; both count UTF-16 code units).
 */
export function spanToPositions<P>(positionAt: (offset: number) => P, textLength: number, start: number, end: number): { start: P; end: P } {
  const span = clampSpan(start, end, textLength);
  return { start: positionAt(span.start), end: positionAt(span.end) };
}
