import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunbook, serializeRunbook, type RunbookCell } from '../../../src/core/runbook/index';
import { cellValue, markdownDocument, markdownNoise } from './markdownCorpus';

/**
 * Property tests of the lossless contract. CI runs a fast subset; set
 * ROLLGATE_PROPERTY_RUNS=100000 for the nightly size (each property then runs that many cases).
 */
const runs = Number(process.env.ROLLGATE_PROPERTY_RUNS ?? 2000);
const seed = process.env.ROLLGATE_PROPERTY_SEED === undefined ? undefined : Number(process.env.ROLLGATE_PROPERTY_SEED);
const executed = new Map<string, number>();
const timeout = Math.max(30_000, runs * 5);

function check<T>(name: string, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void): void {
  let count = 0;
  fc.assert(
    fc.property(arbitrary, (value) => {
      count++;
      predicate(value);
    }),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
  );
  executed.set(name, count);
}

afterAll(() => {
  const total = [...executed.values()].reduce((sum, count) => sum + count, 0);
  const lines = [...executed].map(([name, count]) => `  ${count.toString().padStart(7)}  ${name}`);
  console.log(`runbook property cases (ROLLGATE_PROPERTY_RUNS=${runs}): ${total} total\n${lines.join('\n')}`);
});

const OPENS_FRONT_MATTER = /^\uFEFF?---[ \t]*(\r\n|\r|\n)/;
const normalise = (text: string): string => text.replace(/\r\n?/g, '\n');

function withValue(cells: RunbookCell[], index: number, value: string): RunbookCell[] {
  return cells.map((cell, i) => (i === index ? { ...cell, value } : cell));
}

describe('runbook round trip (property)', () => {
  it('serialize(parse(text)) === text for generated runbooks', { timeout }, () => {
    check('round trip, structured corpus', markdownDocument, (text) => {
      expect(serializeRunbook(parseRunbook(text))).toBe(text);
    });
  });

  it('serialize(parse(text)) === text for raw Markdown noise', { timeout }, () => {
    check('round trip, noise', markdownNoise, (text) => {
      expect(serializeRunbook(parseRunbook(text))).toBe(text);
    });
  });

  it('serialize(parse(text)) === text for mutated real runbooks', { timeout }, () => {
    const samples = ['churn-canary.runbook.md', 'churn-rollout-drill.runbook.md'].map((name) => readFileSync(join(__dirname, '../../../examples', name), 'utf8'));
    // Splice noise into, and cut pieces out of, a real runbook at random places.
    const mutation = fc.tuple(fc.nat(), fc.nat({ max: 40 }), markdownNoise);
    const mutated = fc.tuple(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([sample, mutations]) =>
      mutations.reduce((text, [at, cut, insert]) => {
        const position = text.length === 0 ? 0 : at % (text.length + 1);
        return text.slice(0, position) + insert + text.slice(position + cut);
      }, sample),
    );
    check('round trip, mutated examples', mutated, (text) => {
      const parsed = parseRunbook(text);
      expect(serializeRunbook(parsed)).toBe(text);
      for (const diagnostic of parsed.diagnostics) expect(diagnostic.end).toBeLessThanOrEqual(text.length);
    });
  });

  it('cells tile the text exactly and diagnostics lie inside it', { timeout }, () => {
    check('tiling and spans', fc.oneof(markdownDocument, markdownNoise), (text) => {
      const { metadata, cells, diagnostics } = parseRunbook(text);
      let offset = metadata.preamble!.length;
      expect(text.startsWith(metadata.preamble!)).toBe(true);
      for (const cell of cells) {
        const source = cell.source!;
        expect(source.start).toBe(offset);
        expect(text.slice(source.start, source.end)).toBe(source.text);
        expect(source.text.length).toBeGreaterThan(0);
        expect(/^[ \t\r\n]*$/.test(source.separator)).toBe(true);
        offset = source.end + source.separator.length;
      }
      expect(offset).toBe(text.length);
      for (const diagnostic of diagnostics) {
        expect(diagnostic.start).toBeGreaterThanOrEqual(0);
        expect(diagnostic.end).toBeGreaterThanOrEqual(diagnostic.start);
        expect(diagnostic.end).toBeLessThanOrEqual(text.length);
      }
    });
  });

  it("editing one cell changes only that cell's bytes", { timeout }, () => {
    const input = fc.tuple(markdownDocument, fc.nat(), cellValue).filter(([text]) => parseRunbook(text).cells.length > 0);
    check('edit one cell', input, ([text, pick, value]) => {
      const parsed = parseRunbook(text);
      const index = pick % parsed.cells.length;
      const edited = serializeRunbook({ ...parsed, cells: withValue(parsed.cells, index, value) });
      const source = parsed.cells[index]!.source!;
      expect(edited.slice(0, source.start)).toBe(text.slice(0, source.start));
      const suffix = text.slice(source.end);
      expect(edited.slice(edited.length - suffix.length)).toBe(suffix);
      expect(edited.length - suffix.length).toBeGreaterThanOrEqual(source.start);
    });
  });

  it('an edited code cell reads back with the new value and nothing else moves', { timeout }, () => {
    const input = fc
      .tuple(markdownDocument, fc.nat(), cellValue, fc.option(fc.dictionary(fc.constantFrom('name', 'effect', 'expect'), fc.constantFrom('x', 'mutate', '< 1', 'a`b'))))
      .filter(([text]) => parseRunbook(text).cells.some((cell) => cell.kind === 'code'))
      // A file whose first line is `---` with no closing line has no front matter, but a `---`
      // typed into a cell later closes it (as on code hosts); that case is in parseRunbook.test.ts.
      .filter(([text]) => !(OPENS_FRONT_MATTER.test(text) && !OPENS_FRONT_MATTER.test(parseRunbook(text).metadata.preamble!)));
    check('edit code cell, read back', input, ([text, pick, value, attributes]) => {
      const parsed = parseRunbook(text);
      const codeIndexes = parsed.cells.flatMap((cell, i) => (cell.kind === 'code' ? [i] : []));
      const index = codeIndexes[pick % codeIndexes.length]!;
      const cells = withValue(parsed.cells, index, value);
      if (attributes) cells[index] = { ...cells[index]!, attributes };
      const reparsed = parseRunbook(serializeRunbook({ ...parsed, cells }));
      expect(reparsed.cells.length).toBe(parsed.cells.length);
      expect(reparsed.cells[index]!.kind).toBe('code');
      // An edited cell is written with its own line ending throughout.
      expect(normalise(reparsed.cells[index]!.value)).toBe(normalise(value));
      if (attributes) expect(reparsed.cells[index]!.attributes).toEqual(attributes);
      reparsed.cells.forEach((cell, i) => {
        if (i !== index) expect(cell.source!.text).toBe(parsed.cells[i]!.source!.text);
      });
    });
  });

  it('values whose line endings an editor normalised still save byte-identical', { timeout }, () => {
    check('line-ending-normalised values', markdownDocument, (text) => {
      const parsed = parseRunbook(text);
      const cells = parsed.cells.map((cell) => ({ ...cell, value: cell.value.replace(/\r\n?/g, '\n') }));
      expect(serializeRunbook({ ...parsed, cells })).toBe(text);
    });
  });
});
