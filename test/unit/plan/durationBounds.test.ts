// Red-team finding: durations used as timers had no bounds. `timeout: 600h` validated and then
// every call failed in 1 ms (a timer above 2^31-1 ms fires at once); `interval: 0s` made a 3 s
// bake take hundreds of measurements. The schema now bounds them and says so at the value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { validatePlan } from '../../../src/core/plan/validate';

const sample = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'churn-canary.rollout.yaml'), 'utf8');

function errorsFor(text: string) {
  return validatePlan(text)
    .diagnostics.filter((diagnostic) => diagnostic.severity === 'error')
    .map((diagnostic) => ({ message: diagnostic.message, at: text.slice(diagnostic.start, diagnostic.end) }));
}

describe('durations used as timers', () => {
  it('the sample plan is valid (the premise)', () => {
    expect(errorsFor(sample)).toEqual([]);
  });

  it('refuses an endpoint timeout above 1h, at the value', () => {
    const text = sample.replace('timeout: 10s', 'timeout: 600h');
    expect(text).not.toBe(sample);
    expect(errorsFor(text)).toEqual([expect.objectContaining({ at: '600h', message: expect.stringContaining('at most 1h') })]);
  });

  it('refuses a guardrail interval below 1s', () => {
    const text = sample.replace(/interval: \S+/, 'interval: 0s');
    expect(text).not.toBe(sample);
    expect(errorsFor(text)).toEqual([expect.objectContaining({ at: '0s', message: expect.stringContaining('at least 1s') })]);
  });

  it('refuses a bake above 7 days (168h)', () => {
    const text = sample.replace(/bake: \S+?([,}\s])/, 'bake: 99999h$1');
    expect(text).not.toBe(sample);
    expect(errorsFor(text)).toEqual([expect.objectContaining({ at: '99999h', message: expect.stringContaining('at most 168h') })]);
  });

  it('accepts the bounds themselves', () => {
    const text = sample.replace('timeout: 10s', 'timeout: 1h').replace(/interval: \S+/, 'interval: 1s');
    expect(errorsFor(text)).toEqual([]);
  });
});

describe('cell duration attributes used as timers', () => {
  it('refuse an http timeout or a wait above 24h before anything is sent', async () => {
    const { newSession } = await import('../cells/support');
    const session = newSession({});
    const http = await session.run({ language: 'http', attributes: { timeout: '600h' }, value: 'GET http://127.0.0.1:1/' });
    expect(http.outcome).toBe('failure');
    expect(http.error).toBe('Attribute "timeout" may be at most 24h; got "600h".');
    const check = await session.run({ language: 'promql', attributes: { wait: '600h' }, value: 'up' });
    expect(check.error).toContain('Attribute "wait" may be at most 24h');
  });
});
