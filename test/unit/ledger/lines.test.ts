import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readLinesBackward, readLinesForward } from '../../../src/core/ledger/lines';
import { temporaryFolder } from './helpers';

let folder: { path: string; cleanup: () => void };
beforeAll(() => {
  folder = temporaryFolder();
});
afterAll(() => folder.cleanup());

async function collect(lines: AsyncIterable<{ text: string; terminated: boolean; start: number; end: number }>) {
  const result = [];
  for await (const line of lines) result.push(line);
  return result;
}

/** What splitting the whole text at newlines says the lines are. */
function expected(text: string) {
  if (text === '') return [];
  const parts = text.split('\n');
  const terminatedLast = parts[parts.length - 1] === '';
  if (terminatedLast) parts.pop();
  let start = 0;
  return parts.map((part, index) => {
    const line = { text: part, start, end: start + Buffer.byteLength(part), terminated: terminatedLast || index < parts.length - 1 };
    start += Buffer.byteLength(part) + 1;
    return line;
  });
}

describe('line readers', () => {
  it('agree with splitting the whole text, forwards and backwards, across chunk boundaries (property)', async () => {
    const file = join(folder.path, 'lines.txt');
    const piece = fc.oneof(fc.constant('\n'), fc.string({ maxLength: 20 }), fc.constant('é'.repeat(40_000)), fc.constant('x'.repeat(65_535)));
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), async (pieces) => {
        const text = pieces.join('');
        writeFileSync(file, text);
        const want = expected(text);
        const forward = (await collect(readLinesForward(file))).map(({ text: t, start, end, terminated }) => ({ text: t, start, end, terminated }));
        const backward = (await collect(readLinesBackward(file))).map(({ text: t, start, end, terminated }) => ({ text: t, start, end, terminated }));
        expect(forward).toEqual(want);
        expect(backward).toEqual([...want].reverse());
      }),
      { numRuns: 150 },
    );
  });
});
