// The editor's incremental validator must say exactly what a full validation says, for every
// text, whatever text it saw before. Property: successive random edits of valid plans, each
// validated by one long-lived PlanValidator and by validatePlan, compared in full.
// ROLLGATE_PROPERTY_RUNS raises the case count (nightly size), as in the hardening suites.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { PlanValidator } from '../../../src/core/plan/incremental';
import { validatePlan } from '../../../src/core/plan/validate';
import { generatePlan } from '../../support/generatePlan';

const runs = Number(process.env.ROLLGATE_PROPERTY_RUNS ?? 200);
const seed = process.env.ROLLGATE_PROPERTY_SEED === undefined ? undefined : Number(process.env.ROLLGATE_PROPERTY_SEED);
const root = join(__dirname, '../../..');
const sources = [
  ...readdirSync(join(root, 'examples'))
    .filter((name) => name.endsWith('.rollout.yaml'))
    .map((name) => readFileSync(join(root, 'examples', name), 'utf8')),
  generatePlan({ stages: 6, guardrails: 5 }),
  generatePlan({ stages: 12, guardrails: 12 }).replace(/\n/g, '\r\n'),
];
const paths = { full: 0, incremental: 0 };

/** Small edits where YAML structure lives: line starts, keys, dashes, indentation, anchors. */
const edit = fc.record({
  at: fc.nat(),
  remove: fc.integer({ min: 0, max: 12 }),
  insert: fc.oneof(
    fc.constantFrom('', 'x', ' ', '  ', '\n', '\n  ', '- ', ':', ': ', '#', '"', "'", '&a ', '*a', '{', '[', '---\n', '\t', '\r\n', 'stages:\n', '  - name: extra\n    kind: canary\n'),
    fc.string({ maxLength: 8 }),
  ),
});

function expectSame(validator: PlanValidator, text: string): void {
  const incremental = validator.validate(text);
  paths[validator.lastParse]++;
  const full = validatePlan(text);
  expect(incremental.diagnostics).toEqual(full.diagnostics);
  expect(incremental.plan).toEqual(full.plan);
}

afterAll(() => {
  console.log(`incremental validator: ${paths.incremental} incremental and ${paths.full} full parses compared with validatePlan`);
});

describe('PlanValidator (incremental) gives what validatePlan gives', () => {
  it('over successive random edits of valid plans (property)', { timeout: Math.max(60_000, runs * 100) }, () => {
    fc.assert(
      fc.property(fc.nat({ max: sources.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 8 }), (index, edits) => {
        // Tiny thresholds so that every plan, however small, takes the incremental path when it can.
        const validator = new PlanValidator({ minIncrementalLength: 0, minListSplitLength: 0 });
        let text = sources[index]!;
        expectSame(validator, text);
        for (const change of edits) {
          const at = change.at % (text.length + 1);
          text = text.slice(0, at) + change.insert + text.slice(at + change.remove);
          expectSame(validator, text);
        }
      }),
      { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
    );
    // Without this the property could pass by always falling back to the full parse. Many random
    // edits break the YAML, and broken YAML is parsed whole, so a quarter is a fair floor.
    expect(paths.incremental).toBeGreaterThan((paths.incremental + paths.full) / 4);
  });

  it('typing inside one stage of a 5,000-line plan re-parses incrementally and matches', () => {
    const validator = new PlanValidator();
    let text = generatePlan({ stages: 400, guardrails: 400 });
    expectSame(validator, text);
    expect(validator.lastParse).toBe('incremental');
    const at = text.indexOf('traffic:', text.length >> 1);
    for (const typed of ['1', '0', 'x', '\b', '\b']) {
      text = typed === '\b' ? text.slice(0, at + 9) + text.slice(at + 10) : text.slice(0, at + 9) + typed + text.slice(at + 9);
      expectSame(validator, text);
      expect(validator.lastParse).toBe('incremental');
    }
    expect(validator.validate(text).diagnostics.length).toBeGreaterThan(0);
  });

  it('falls back to a full parse where cutting could change the meaning', () => {
    const validator = new PlanValidator({ minIncrementalLength: 0, minListSplitLength: 0 });
    const plan = sources[0]!;
    const cases = [`%YAML 1.2\n---\n${plan}`, `${plan}\n---\nkind: Other\n`, `{ apiVersion: rollgate/v1 }\n`, `apiVersion: rollgate/v1\nkind: [RolloutPlan\n`];
    for (const text of cases) {
      expectSame(validator, text);
      expect(validator.lastParse, text.slice(-40)).toBe('full');
    }
  });

  it('resolves an anchor under one key used under another as the full parse does', () => {
    const validator = new PlanValidator({ minIncrementalLength: 0, minListSplitLength: 0 });
    const plan = sources[0]!;
    const aliased = plan.replace('metadata:', 'metadata: &meta').replace(/\nrollback:[^]*$/, '\nrollback:\n  to: baseline\nextra: *meta\n');
    expect(aliased).toContain('extra: *meta');
    expectSame(validator, aliased);
    expect(validator.validate(aliased).diagnostics.some((finding) => finding.message.includes('extra'))).toBe(true);
    expectSame(validator, aliased.replace('extra: *meta', 'extra: *nothing'));
  });

  it("handles two identical list items, comments between items and a list at its key's indentation", () => {
    const validator = new PlanValidator({ minIncrementalLength: 0, minListSplitLength: 0 });
    const stageAt = sources[0]!.indexOf('\nstages:');
    expect(stageAt).toBeGreaterThan(0);
    const twice = sources[0]!.replace(/(\nguardrails:\n)(  - [^]*?)(\n  - |\nstages:)/, '$1$2\n# a comment at column 0\n$2$3');
    expectSame(validator, twice);
    expect(validator.lastParse).toBe('incremental');
    const flush = sources[0]!.replace(/\nstages:\n[^]*?(?=\n[a-z])/, (block) => block.replace(/\n {2}/g, '\n'));
    expectSame(validator, flush);
    expect(validator.lastParse).toBe('incremental');
  });
});

describe('PlanValidator and PromQL', () => {
  it('re-parses only the guardrail queries an edit changed', () => {
    const text = generatePlan({ stages: 400, guardrails: 400 });
    const validator = new PlanValidator();
    expect(validator.validate(text).diagnostics).toEqual([]);
    expect(validator.queries.parses).toBe(400);
    // A keystroke in a stage: no query is parsed again.
    validator.validate(text.replace('bake: 3m', 'bake: 4m'));
    expect(validator.queries.parses).toBe(400);
    // A keystroke in one query: that query alone; its finding is placed in the file.
    const broken = text.replace('shard="7"}[1m])))', 'shard="7"}[1m]))))');
    const result = validator.validate(broken);
    expect(validator.queries.parses).toBe(401);
    expect(result.diagnostics.map((diagnostic) => [diagnostic.code, broken.slice(diagnostic.start, diagnostic.end)])).toEqual([['plan/promql-syntax', ')']]);
  });
});
