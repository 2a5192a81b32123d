import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { durationWords, hoverPlan } from '../../../src/core/plan/hover';

const sample = readFileSync('examples/churn-canary.rollout.yaml', 'utf8');

describe('durations hover as durations', () => {
  it('names a stage bake a duration and says how long it is', () => {
    const offset = sample.indexOf('bake: 30s') + 'bake: '.length + 1;
    const hover = hoverPlan(sample, offset);
    expect(hover?.markdown).toContain('**bake** · `duration`');
    expect(hover?.markdown).toContain('`30s` = 30 seconds');
  });

  it('labels the key as a duration too, and guardrail intervals', () => {
    const key = hoverPlan(sample, sample.indexOf('bake: 1m') + 1);
    expect(key?.markdown).toContain('`duration`');
    expect(key?.markdown).not.toContain('= ');
    const name = hoverPlan(sample, sample.indexOf('name: canary-10') + 'name: '.length + 1);
    expect(name?.markdown).not.toContain('`duration`');
  });

  it('spells durations out', () => {
    expect(durationWords('1h30m')).toBe('1 hour 30 minutes');
    expect(durationWords('250ms')).toBe('250 milliseconds');
    expect(durationWords('0s')).toBe('0 seconds');
    expect(durationWords('soon')).toBeUndefined();
  });
});
