import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../../src/core/plan/validate';
import { readMarkers } from './markers';

const fixtureRoot = join(__dirname, '../../fixtures/plans');
const list = (folder: string) =>
  readdirSync(join(fixtureRoot, folder))
    .filter((name) => name.endsWith('.rollout.yaml'))
    .sort();

/** Diagnostics as `code@start-end`, so a mismatch shows both the code and the span. */
const key = (code: string, span: { start: number; end: number }) => `${code}@${span.start}-${span.end}`;

describe('valid fixtures', () => {
  it.each(list('valid'))('%s has no findings and yields a plan', (name) => {
    const { text, spans } = readMarkers(readFileSync(join(fixtureRoot, 'valid', name), 'utf8'));
    expect(spans).toEqual([]);
    const result = validatePlan(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.plan?.apiVersion).toBe('rollgate/v1');
  });
});

describe('invalid fixtures: each finding at exactly the marked span', () => {
  it.each(list('invalid'))('%s', (name) => {
    const { text, spans, expectations } = readMarkers(readFileSync(join(fixtureRoot, 'invalid', name), 'utf8'));
    expect(spans.length, 'one # expect line per marked span').toBe(expectations.length);
    expect(spans.length).toBeGreaterThan(0);
    const expected = spans.flatMap((span, index) => expectations[index]!.map((code) => key(code, span))).sort();
    const actual = validatePlan(text)
      .diagnostics.map((diagnostic) => key(diagnostic.code, diagnostic))
      .sort();
    expect(actual, `marked: ${spans.map((span) => JSON.stringify(text.slice(span.start, span.end))).join(', ')}`).toEqual(expected);
  });
});

describe('fixture coverage', () => {
  it('every schema and semantic rule code has a marker fixture', async () => {
    const { planRuleDescriptions } = await import('../../../src/core/plan/rules');
    const covered = new Set(list('invalid').flatMap((name) => readMarkers(readFileSync(join(fixtureRoot, 'invalid', name), 'utf8')).expectations.flat()));
    // Covered by inline tests in validate.test.ts instead: whole-file conditions and a bug guard.
    const elsewhere = new Set(['plan/empty', 'plan/not-a-mapping', 'plan/internal-error', 'yaml/warning', 'schema/invalid']);
    // Findings of `--preflight` depend on a live Prometheus: test/unit/promql/preflight.dev.test.ts.
    for (const code of Object.keys(planRuleDescriptions)) if (code.startsWith('preflight/')) elsewhere.add(code);
    const missing = Object.keys(planRuleDescriptions).filter((code) => !covered.has(code) && !elsewhere.has(code));
    expect(missing).toEqual([]);
  });
});
