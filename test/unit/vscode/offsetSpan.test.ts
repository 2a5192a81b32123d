import { describe, expect, it } from 'vitest';
import { LineIndex } from '../../../src/core/text/lineIndex';
import { clampSpan, spanToPositions } from '../../../src/vscode/offsetSpan';

describe('clampSpan', () => {
  it('keeps a span inside the text as it is', () => {
    expect(clampSpan(3, 7, 10)).toEqual({ start: 3, end: 7 });
  });

  it('clamps offsets past either end and orders reversed spans', () => {
    expect(clampSpan(-5, 50, 10)).toEqual({ start: 0, end: 10 });
    expect(clampSpan(8, 2, 10)).toEqual({ start: 2, end: 8 });
    expect(clampSpan(12, 15, 10)).toEqual({ start: 10, end: 10 });
  });

  it('turns non-finite and fractional offsets into usable ones', () => {
    expect(clampSpan(Number.NaN, Number.POSITIVE_INFINITY, 4)).toEqual({ start: 0, end: 0 });
    expect(clampSpan(1.7, 2.2, 4)).toEqual({ start: 1, end: 2 });
  });
});

describe('spanToPositions', () => {
  const text = 'apiVersion: rollgate/v1\r\nmetadata:\n  name: é-😀-x\n';
  const index = new LineIndex(text);
  const positions = (start: number, end: number) => spanToPositions((offset) => index.positionAt(offset), text.length, start, end);

  it('maps a span on a later line after CRLF and LF line ends', () => {
    const start = text.indexOf('name');
    expect(positions(start, start + 4)).toEqual({ start: { line: 2, character: 2 }, end: { line: 2, character: 6 } });
  });

  it('counts UTF-16 code units, as document.positionAt does', () => {
    const start = text.indexOf('x');
    // `é` is one code unit, the emoji two: `  name: é-😀-` is 13 units before `x`.
    expect(positions(start, start + 1)).toEqual({ start: { line: 2, character: 13 }, end: { line: 2, character: 14 } });
  });

  it('keeps a span past the end of a shorter (newer) text inside it', () => {
    expect(positions(text.length - 1, text.length + 40)).toEqual({ start: { line: 2, character: 14 }, end: { line: 3, character: 0 } });
  });
});
