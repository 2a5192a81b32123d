// Cell parsers never throw on any text, and every diagnostic span lies inside the cell body.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseCheckCell } from '../../../src/core/cells/check';
import { parseHttpCell } from '../../../src/core/cells/http';
import { parseExpectation } from '../../../src/core/cells/promql';
import { parseRolloutCell } from '../../../src/core/cells/rollout';
import { RunbookSession, isMutating } from '../../../src/core/cells/session';
import { nodeHttpSender } from '../../../src/core/cells/httpSender';
import { resolveTemplate } from '../../../src/core/cells/variables';

const RUNS = Number(process.env.ROLLGATE_PROPERTY_RUNS ?? 2000);

/** Text built from the pieces cell bodies are made of, so the parsers' branches are reached. */
const cellText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'GET ',
        'POST ',
        'http://127.0.0.1:1/x',
        '{{',
        '}}',
        '{{secret:',
        'a.b',
        '\n',
        '\r\n',
        ': ',
        'Authorization',
        '?q=1',
        '&',
        '#',
        '//',
        '"',
        '\\"',
        ' ',
        'rollback',
        'to',
        'reason',
        'set-traffic',
        'mirror',
        '101',
        '50%',
        'promote',
        'status',
        'pause',
        ',',
        'all',
        '< 0.02',
        '>=',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

function spansInside(text: string, diagnostics: Array<{ start: number; end: number }>): void {
  for (const diagnostic of diagnostics) {
    expect(diagnostic.start).toBeGreaterThanOrEqual(0);
    expect(diagnostic.end).toBeGreaterThanOrEqual(diagnostic.start);
    expect(diagnostic.end).toBeLessThanOrEqual(text.length);
  }
}

describe('cell parsers on arbitrary text', () => {
  it('never throw and keep spans inside the text', () => {
    fc.assert(
      fc.property(cellText, (text) => {
        for (const parse of [parseHttpCell, parseRolloutCell, parseCheckCell, parseExpectation]) {
          const parsed = parse(text);
          spansInside(text, parsed.diagnostics);
          expect(parsed.value !== undefined || parsed.diagnostics.length > 0).toBe(true);
        }
        spansInside(text, resolveTemplate(text, { a: { b: 1 } }).unresolved);
        expect(typeof isMutating({ language: 'http', attributes: {}, value: text })).toBe('boolean');
      }),
      { numRuns: RUNS },
    );
  });

  it('preparing any text as any cell kind reports, never throws', async () => {
    const session = new RunbookSession({ ports: { http: nodeHttpSender }, secrets: { get: async () => undefined }, actor: 'property' });
    await fc.assert(
      fc.asyncProperty(cellText, fc.constantFrom('http', 'promql', 'rollout', 'check', 'sql'), async (text, language) => {
        const result = await session.prepare({ language, attributes: {}, value: text });
        expect(result.prepared !== undefined || result.diagnostics.length > 0).toBe(true);
        spansInside(text, result.diagnostics);
      }),
      { numRuns: Math.max(200, RUNS / 4) },
    );
  });
});
