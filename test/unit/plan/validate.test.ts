import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/core/diagnostics';
import { planDigest, validatePlan } from '../../../src/core/plan/validate';
import { generatePlan } from '../../support/generatePlan';
import { readMarkers } from './markers';

// A fast subset by default; ROLLGATE_PROPERTY_RUNS=100000 for a nightly-size run.
const propertyRuns = Number(process.env.ROLLGATE_PROPERTY_RUNS ?? 400);
const minimal = readMarkers(readFileSync(join(__dirname, '../../fixtures/plans/valid/minimal.rollout.yaml'), 'utf8')).text;

function applyFix(text: string, diagnostic: Diagnostic): string {
  const edits = [...(diagnostic.fix?.edits ?? [])].sort((a, b) => b.start - a.start);
  return edits.reduce((result, edit) => result.slice(0, edit.start) + edit.text + result.slice(edit.end), text);
}

function expectSpansInside(text: string, diagnostics: Diagnostic[]): void {
  for (const diagnostic of diagnostics) {
    expect(diagnostic.start).toBeGreaterThanOrEqual(0);
    expect(diagnostic.end).toBeGreaterThanOrEqual(diagnostic.start);
    expect(diagnostic.end).toBeLessThanOrEqual(text.length);
  }
}

describe('validatePlan on a valid plan', () => {
  it('returns the plan with defaults applied', () => {
    const { plan, diagnostics } = validatePlan(minimal);
    expect(diagnostics).toEqual([]);
    expect(plan?.rollback).toEqual({ to: 'baseline', automatic: true });
    expect(plan?.guardrails[0]).toMatchObject({ name: 'error-rate', failureLimit: 1, onNoData: 'inconclusive', dryRun: false, interval: '5s' });
    expect(plan?.guardrails[1]?.interval).toBe('30s');
    expect(plan?.stages.map((stage) => stage.approval)).toEqual(['auto', 'auto', 'auto']);
  });

  it('accepts every example plan', () => {
    for (const name of ['churn-canary', 'churn-prod', 'churn-blue-green', 'churn-offline', 'churn-shadow', 'churn-full', 'churn-flags', 'churn-haproxy']) {
      const text = readFileSync(join(__dirname, `../../../examples/${name}.rollout.yaml`), 'utf8');
      expect(validatePlan(text).diagnostics, name).toEqual([]);
    }
  });

  it('accepts CRLF line endings and reports spans in the same text', () => {
    const crlf = minimal.replace(/\n/g, '\r\n');
    expect(validatePlan(crlf).diagnostics).toEqual([]);
    const broken = crlf.replace('traffic: 10', 'traffic: 150');
    const [diagnostic] = validatePlan(broken).diagnostics;
    expect(broken.slice(diagnostic!.start, diagnostic!.end)).toBe('150');
  });
});

describe('secret names', () => {
  it.each(['deploy-token', 'deploy.token', 'DEPLOY_TOKEN', 'a'])('accepts %s', (name) => {
    expect(validatePlan(minimal.replace('secret: deploy-token', `secret: "${name}"`)).diagnostics).toEqual([]);
  });

  it.each(['deploy token', '-token', 'token/other', 'tök', 'x'.repeat(129)])('refuses %j, at the name, saying which names are allowed', (name) => {
    const text = minimal.replace('secret: deploy-token', `secret: "${name}"`);
    const diagnostics = validatePlan(text).diagnostics;
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.code).toBe('schema/invalid-format');
    expect(text.slice(diagnostics[0]!.start, diagnostics[0]!.end)).toBe(`"${name}"`);
    expect(diagnostics[0]!.message).toContain("letters, digits, '.', '_' and '-'");
  });
});

describe('quick fixes', () => {
  it.each([
    ['an unknown key', 'traffic: 10', 'trafic: 10', 'schema/unknown-key'],
    ['an enum value', 'environment: staging', 'environment: stagin', 'schema/invalid-value'],
    ['a guardrail reference', 'guardrails: [error-rate]', 'guardrails: [eror-rate]', 'plan/unknown-guardrail'],
    ['a placeholder', '{{version}}",code', '{{verson}}",code', 'plan/unknown-placeholder'],
  ])('the fix for %s gives a valid plan', (_what, good, bad, code) => {
    const broken = minimal.replace(good, bad);
    const [diagnostic] = validatePlan(broken).diagnostics;
    expect(diagnostic?.code).toBe(code);
    expect(diagnostic?.message).toMatch(/Did you mean/);
    expect(applyFix(broken, diagnostic!)).toBe(minimal);
  });

  it('offers no fix when nothing is close', () => {
    const [diagnostic] = validatePlan(minimal.replace('traffic: 10', 'zzzzzz: 10')).diagnostics;
    expect(diagnostic?.code).toBe('schema/unknown-key');
    expect(diagnostic?.fix).toBeUndefined();
    expect(diagnostic?.message).toContain('Allowed keys: name, kind, traffic');
  });
});

describe('malformed input never throws', () => {
  const cases: [string, string, string][] = [
    ['an empty file', '', 'plan/empty'],
    ['only blanks and newlines', '  \n\n \t\n', 'plan/empty'],
    ['only a comment', '# nothing here\n', 'plan/not-a-mapping'],
    ['a list at the root', '- a\n- b\n', 'plan/not-a-mapping'],
    ['a scalar at the root', 'just text', 'plan/not-a-mapping'],
    ['binary junk', '\u0000\u0001\u0002\uFFFD\u0007PK\u0003\u0004', 'plan/not-a-mapping'],
    ['two documents', 'apiVersion: rollgate/v1\n---\nkind: RolloutPlan\n', 'yaml/syntax'],
    ['an unclosed flow mapping', '{{{', 'yaml/syntax'],
    ['a self-referencing alias', 'a: &x [*x]\n', 'schema/unknown-key'],
  ];
  it.each(cases)('%s', (_what, text, code) => {
    const { plan, diagnostics } = validatePlan(text);
    expect(plan).toBeUndefined();
    expect(diagnostics.map((diagnostic) => diagnostic.code)).toContain(code);
    expectSpansInside(text, diagnostics);
  });

  it('deeply nested flow collections', () => {
    const text = `a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const { diagnostics } = validatePlan(text);
    expect(diagnostics.length).toBeGreaterThan(0);
    expectSpansInside(text, diagnostics);
  });

  it('a `__proto__` key stays data', () => {
    const { diagnostics } = validatePlan(`${minimal}__proto__: { polluted: true }\n`);
    expect(diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['schema/unknown-key']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('random mutations of a valid plan: no throw, spans inside the text', () => {
    const alphabet = ['\n', ' ', ':', '-', '[', ']', '{', '}', '"', "'", '#', '&', '*', '!', 'a', '1', '\t', '%', '@', '|', '>'];
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 6 }), insert: fc.array(fc.constantFrom(...alphabet), { maxLength: 6 }) }), { minLength: 1, maxLength: 5 }), (mutations) => {
        let text = minimal;
        for (const mutation of mutations) {
          const at = mutation.at % (text.length + 1);
          text = text.slice(0, at) + mutation.insert.join('') + text.slice(at + mutation.remove);
        }
        const { diagnostics } = validatePlan(text);
        expectSpansInside(text, diagnostics);
        expect(diagnostics.every((diagnostic) => diagnostic.code !== 'plan/internal-error')).toBe(true);
      }),
      { numRuns: propertyRuns, seed: 20_251_122 },
    );
  });

  it('arbitrary text: no throw, spans inside the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const { diagnostics } = validatePlan(text);
        expectSpansInside(text, diagnostics);
        expect(diagnostics.every((diagnostic) => diagnostic.code !== 'plan/internal-error')).toBe(true);
      }),
      { numRuns: propertyRuns, seed: 7 },
    );
  });
});

describe('large plans', () => {
  it('a generated 20,000-line plan validates clean', () => {
    const text = generatePlan({ stages: 1600, guardrails: 1600 });
    expect(text.split('\n').length).toBeGreaterThan(19_000);
    const { plan, diagnostics } = validatePlan(text);
    expect(diagnostics).toEqual([]);
    expect(plan?.stages).toHaveLength(1600);
    expect(generatePlan({ stages: 1600, guardrails: 1600 })).toBe(text);
  });

  it('a generated 5,000-line plan with an error reports it at the right place', () => {
    const text = generatePlan({ stages: 400, guardrails: 400 }).replace('name: stage-399', 'name: stage-398');
    const { diagnostics } = validatePlan(text);
    expect(diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['plan/duplicate-stage']);
    expect(text.slice(diagnostics[0]!.start, diagnostics[0]!.end)).toBe('stage-398');
    expect(diagnostics[0]!.start).toBe(text.lastIndexOf('stage-398'));
  });

  it('a 2 MB file of junk lines', () => {
    const line = 'key: value: [unbalanced { "quote\n';
    const text = line.repeat(Math.ceil(2_000_000 / line.length));
    const { diagnostics } = validatePlan(text);
    expect(diagnostics.length).toBeGreaterThan(0);
    expectSpansInside(text, diagnostics);
  });
});

describe('planDigest', () => {
  it('is the sha256 of the exact text', () => {
    expect(planDigest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(planDigest(minimal)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(planDigest(minimal)).not.toBe(planDigest(`${minimal} `));
  });
});
