import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { cellEffect, cellEffectBadge } from '../../../src/core/cells/effect';
import { parseRunbook } from '../../../src/core/runbook/parse';

describe('what a cell will do, before it runs', () => {
  it('marks exactly the mutating cells of the sample runbook', () => {
    const { cells } = parseRunbook(readFileSync('examples/churn-canary.runbook.md', 'utf8'));
    const code = cells.filter((cell) => cell.language !== 'markdown');
    const marked = code.map((cell) => [cell.language, (cell.attributes.name as string | undefined) ?? '', cellEffect({ language: cell.language, attributes: cell.attributes, value: cell.value })]);
    expect(marked).toEqual([
      ['http', 'status', undefined],
      ['rollout', 'rollout_status', undefined],
      ['promql', 'canary_errors', undefined],
      ['promql', 'canary_traffic', undefined],
      ['check', 'gates', undefined],
      ['rollout', '', 'rolls back (changes traffic)'],
      ['http', 'after', undefined],
    ]);
  });

  it('names traffic changes, other actions and mutating requests', () => {
    const cell = (language: string, value: string, attributes: Record<string, unknown> = {}) => cellEffect({ language, attributes, value });
    expect(cell('rollout', 'set-traffic 10 reason "canary"')).toBe('changes traffic');
    expect(cell('rollout', 'pause reason "look"')).toBe('pauses the rollout');
    expect(cell('rollout', 'status')).toBeUndefined();
    expect(cell('http', 'POST http://127.0.0.1:1/v1/services/s/traffic\n\n{}')).toBe('sends POST (changes something)');
    expect(cell('http', 'GET http://127.0.0.1:1/x', { effect: 'mutate' })).toBe('sends GET (changes something)');
    // Unparsable counts as mutating: when in doubt, say so.
    expect(cell('rollout', 'frobnicate')).toBe('changes something');
  });

  it('adds the resolved target and environment, kept short', () => {
    expect(cellEffectBadge('changes traffic', { target: 'set churn-scorer traffic: 41 90%, 42 10%', environment: 'staging' })).toBe('changes traffic: set churn-scorer traffic: 41 90%, 42 10% [staging]');
    expect(cellEffectBadge('changes traffic', undefined)).toBe('changes traffic');
    expect(cellEffectBadge('x', { target: 'y'.repeat(300) })).toHaveLength(120);
  });
});
