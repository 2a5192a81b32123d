import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { validatePlan } from '../../../src/core/plan/validate';

const sample = readFileSync('examples/churn-canary.rollout.yaml', 'utf8');

describe('a semantic error is not hidden by an unrelated schema error', () => {
  it('reports unknown guardrails in stages even when one stage has an unknown key', () => {
    const text = sample
      .replace('    guardrails: [error-rate, p99-latency]\n  - name: canary-10', '    guardrails: [error-rat, p99-latency]\n  - name: canary-10')
      .replace('  - name: canary-10\n    kind: canary\n    traffic: 10\n', '  - name: canary-10\n    kind: canary\n    trafic: 5\n    traffic: 10\n')
      .replace(
        '  - name: canary-50\n    kind: canary\n    traffic: 50\n    bake: 30s\n    guardrails: [error-rate, p99-latency]',
        '  - name: canary-50\n    kind: canary\n    traffic: 50\n    bake: 30s\n    guardrails: [error-rates, p99-latenc]',
      );
    expect(text).not.toBe(sample);
    const { plan, diagnostics } = validatePlan(text);
    expect(plan).toBeUndefined();
    const messages = diagnostics.map((diagnostic) => diagnostic.message);
    expect(messages.some((message) => message.includes('trafic'))).toBe(true);
    const unknownGuardrails = messages.filter((message) => /error-rat\b|error-rates|p99-latenc\b/.test(message));
    expect(unknownGuardrails, messages.join('\n')).toHaveLength(3);
  });

  it('still accepts no section whose fault is a wrong value, not an unknown key', () => {
    const text = sample.replace('    guardrails: [error-rate, p99-latency]\n  - name: canary-10', '    guardrails: [error-rat, p99-latency]\n  - name: canary-10').replace('traffic: 10\n', 'traffic: ten\n');
    const messages = validatePlan(text).diagnostics.map((diagnostic) => diagnostic.message);
    // The stages section is not accepted (a wrong value may change what the rules read), so no reference check runs on it.
    expect(messages.some((message) => message.includes('error-rat'))).toBe(false);
  });
});
