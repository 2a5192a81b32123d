/** A half-open span of UTF-16 offsets, as the core reports them. */
export interface OffsetSpan {
  start: number;
  end: number;
}

/**
 * Orders a span and clamps it into a text of `length` characters (whole offsets; anything not
 * finite becomes 0). Spans may come from a parser, or be applied to a document that changed
 * since they were computed; an editor must never be asked for an offset the text does not have.
 */
export function clampSpan(start: number, end: number, length: number): OffsetSpan {
  const clamp = (offset: number) => (Number.isFinite(offset) ? Math.max(0, Math.min(Math.trunc(offset), length)) : 0);
  const first = clamp(start);
  const second = clamp(end);
  return first <= second ? { start: first, end: second } : { start: second, end: first };
}

/** A clamped span at least one character wide where the text allows it, so an editor can show it. */
export function visibleSpan(text: string, start: number, end: number): OffsetSpan {
  const span = clampSpan(start, end, text.length);
  if (span.start === span.end) {
    if (span.end < text.length && text[span.end] !== '\n' && text[span.end] !== '\r') span.end++;
    else if (span.start > 0) span.start--;
  }
  return span;
}
