/** Marker characters a fixture puts around an expected span; stripped before validation. */
export const OPEN = '⟦';
export const CLOSE = '⟧';

export interface MarkedFixture {
  /** The text with the markers removed: what the validator sees. */
  text: string;
  /** The marked spans, in order, as offsets into `text`. */
  spans: { start: number; end: number }[];
  /** From `# expect: a, b` lines: the codes expected at each span, in the same order. */
  expectations: string[][];
}

/** Strips `⟦...⟧` markers and reads the `# expect:` lines of a fixture. */
export function readMarkers(source: string): MarkedFixture {
  let text = '';
  const spans: { start: number; end: number }[] = [];
  let open: number | undefined;
  for (const char of source) {
    if (char === OPEN) {
      if (open !== undefined) throw new Error('nested markers');
      open = text.length;
    } else if (char === CLOSE) {
      if (open === undefined) throw new Error('closing marker without an opening one');
      spans.push({ start: open, end: text.length });
      open = undefined;
    } else text += char;
  }
  if (open !== undefined) throw new Error('unclosed marker');
  const expectations = [...text.matchAll(/^# expect: (.+)$/gm)].map((match) => match[1]!.split(',').map((code) => code.trim()));
  return { text, spans, expectations };
}
