// The map from a YAML scalar's value to its source, for every scalar style, against the `yaml`
// library itself: random values are written in each style by yaml's own stringify, read back, and
// every value character must map to source text that spells it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument, Scalar, stringify } from 'yaml';
import { yamlScalarSource, sourceSpan, valueOffsetAt } from '../../../src/core/plan/scalarSource';

const STYLES = ['PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'] as const;

/** Writes `value` as a guardrail query in the given style (yaml may pick another when the style cannot hold it). */
function planWith(value: string, style: (typeof STYLES)[number], nested: boolean, flow: boolean): string {
  const scalar = new Scalar(value);
  scalar.type = style;
  const guardrail = { name: 'g', query: scalar };
  const body = stringify({ guardrails: [guardrail] }, { lineWidth: 30, minContentWidth: 8, flowCollectionPadding: true });
  const text = flow ? stringify({ guardrails: [guardrail] }, { lineWidth: 30, minContentWidth: 8, collectionStyle: 'flow' }) : body;
  return nested ? `root:\n${text.replace(/^(?=.)/gm, '    ')}` : text;
}

function queryNode(text: string, nested: boolean): unknown {
  const document = parseDocument(text);
  return document.getIn(nested ? ['root', 'guardrails', 0, 'query'] : ['guardrails', 0, 'query'], true);
}

/** Source text that may stand for one value character: itself, an escape, a doubled quote or a line break. */
function spells(source: string, char: string): boolean {
  if (source === char) return true;
  if (/^\r?\n$/.test(source) || /^\r$/.test(source)) return char === ' ' || char === '\n';
  if (source === "''") return char === "'";
  return source.startsWith('\\');
}

const valueCharacters = fc.constantFrom(...'abc xyz{}()[]"\'\\\t\n:#-|>,=~!é😀'.split(''), '😀', '\r\n');

describe('yamlScalarSource', () => {
  it('maps every value character of every scalar style back to the source that spells it', () => {
    fc.assert(
      fc.property(
        fc.array(valueCharacters, { maxLength: 60 }).map((parts) => parts.join('')),
        fc.constantFrom(...STYLES),
        fc.boolean(),
        fc.boolean(),
        (value, style, nested, flow) => {
          const text = planWith(value, style, nested, flow);
          const node = queryNode(text, nested) as Scalar;
          // yaml's stringify cannot write every value in every style (a lone space as a folded
          // block reads back empty); what matters is that whatever it parses is mapped.
          fc.pre(node.value === value);
          const source = yamlScalarSource(text, node);
          expect(source, `no map for ${node.type} ${JSON.stringify(text)}`).toBeDefined();
          expect(source!.value).toBe(value);
          let previous = -1;
          for (let index = 0; index < value.length; index++) {
            const start = source!.starts[index]!;
            const end = source!.ends[index]!;
            expect(start).toBeGreaterThanOrEqual(previous);
            previous = start;
            const spelled = text.slice(start, end);
            const char = value[index]!;
            expect(spells(spelled, char), `${JSON.stringify(char)} at ${index} spelled ${JSON.stringify(spelled)} in ${JSON.stringify(text)}`).toBe(true);
            expect(valueOffsetAt(source!, start)).toBeLessThanOrEqual(index);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a block scalar whose first line is spaces and a tab takes its indentation there (the tab is content)', () => {
    // Found by the property above (seed 700152027): only spaces indent in YAML.
    const text = 'guardrails:\n  - name: g\n    query: |-\n      \t\n       a\n';
    const source = yamlScalarSource(text, queryNode(text, false))!;
    expect(source?.value).toBe('\t\n a');
    expect(text.slice(sourceSpan(source, 0, 1).start, sourceSpan(source, 0, 1).end)).toBe('\t');
    expect(text.slice(sourceSpan(source, 2, 4).start, sourceSpan(source, 2, 4).end)).toBe(' a');
  });

  it('marks exact source spans in a double-quoted scalar with escapes', () => {
    const text = 'query: "a\\u0062\\"c\\\\d"\n';
    const source = yamlScalarSource(text, parseDocument(text).get('query', true))!;
    expect(source.value).toBe('ab"c\\d');
    expect(text.slice(sourceSpan(source, 1, 2).start, sourceSpan(source, 1, 2).end)).toBe('\\u0062');
    expect(text.slice(sourceSpan(source, 2, 5).start, sourceSpan(source, 2, 5).end)).toBe('\\"c\\\\');
    // A point after the last character sits before the closing quote.
    expect(sourceSpan(source, 6, 6)).toEqual({ start: text.lastIndexOf('"'), end: text.lastIndexOf('"') });
  });

  it('refuses to map a scalar it reads differently from the yaml library', () => {
    const text = 'query: "abc"\n';
    const node = parseDocument(text).get('query', true) as Scalar;
    node.value = 'something else';
    expect(yamlScalarSource(text, node)).toBeUndefined();
    expect(yamlScalarSource(text, null)).toBeUndefined();
  });
});
