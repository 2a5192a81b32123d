// Hardening: the plan validator and the runbook parser/serializer on generated and MUTATED
// inputs (random byte and line edits of the valid examples and of generated plans/runbooks).
// For every case: no throw, no hang (each case must finish within a time bound), every span
// inside the text, and for runbooks the byte-exact round trip.
//
// CI runs a fast subset; ROLLGATE_PROPERTY_RUNS=100000 is the nightly size (each property then
// runs that many cases). ROLLGATE_PROPERTY_SEED replays a failure. Counts are printed at the end.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import type { Diagnostic } from '../../../src/core/diagnostics';
import { validatePlan } from '../../../src/core/plan/validate';
import { parseRunbook, serializeRunbook } from '../../../src/core/runbook/index';
import { generatePlan } from '../../support/generatePlan';
import { generateRunbook } from '../runbook/generateRunbook';

const runs = Number(process.env.ROLLGATE_PROPERTY_RUNS ?? 300);
const seed = process.env.ROLLGATE_PROPERTY_SEED === undefined ? undefined : Number(process.env.ROLLGATE_PROPERTY_SEED);
/** One case taking longer than this counts as a hang (inputs are at most a few hundred lines). */
const CASE_BOUND_MS = 2_000;
const timeout = Math.max(60_000, runs * 20);
const executed = new Map<string, number>();

const root = join(__dirname, '../../..');
const examplePlans = readdirSync(join(root, 'examples'))
  .filter((name) => name.endsWith('.rollout.yaml'))
  .map((name) => readFileSync(join(root, 'examples', name), 'utf8'));
const fixturePlans = readdirSync(join(root, 'test/fixtures/plans'))
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => readFileSync(join(root, 'test/fixtures/plans', name), 'utf8'));
const exampleRunbooks = readdirSync(join(root, 'examples'))
  .filter((name) => name.endsWith('.runbook.md'))
  .map((name) => readFileSync(join(root, 'examples', name), 'utf8'));
const smallGeneratedPlans = [generatePlan({ stages: 3, guardrails: 2 }), generatePlan({ stages: 8, guardrails: 12 })];
const smallGeneratedRunbooks = [generateRunbook(4 * 1024), generateRunbook(16 * 1024)];

/** Characters that matter to YAML and Markdown structure, plus a few that stress decoders. */
const structural = fc.constantFrom(':', '-', ' ', '  ', '\t', '\n', '\r\n', '\r', '#', '{', '}', '[', ']', '"', "'", '|', '>', '&', '*', '!', '%', '@', '`', '```', '~~~', '---', '\u0000', '\uFEFF', '\uD800', '😀', 'é');
const fragment = fc.oneof(structural, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }));

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; length: number; text: string }
  | { kind: 'deleteLine'; line: number }
  | { kind: 'duplicateLine'; line: number }
  | { kind: 'swapLines'; line: number; other: number }
  | { kind: 'indent'; line: number; by: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fragment }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }), text: fragment }),
  fc.record({ kind: fc.constant('deleteLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), line: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('indent' as const), line: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyMutation(text: string, change: Mutation): string {
  const lines = text.split('\n');
  const lineAt = (line: number) => line % Math.max(1, lines.length);
  switch (change.kind) {
    case 'insert': {
      const at = change.at % (text.length + 1);
      return text.slice(0, at) + change.text + text.slice(at);
    }
    case 'delete': {
      const at = change.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + change.length);
    }
    case 'replace': {
      const at = change.at % (text.length + 1);
      return text.slice(0, at) + change.text + text.slice(at + change.length);
    }
    case 'deleteLine':
      lines.splice(lineAt(change.line), 1);
      return lines.join('\n');
    case 'duplicateLine': {
      const line = lineAt(change.line);
      lines.splice(line, 0, lines[line] ?? '');
      return lines.join('\n');
    }
    case 'swapLines': {
      const a = lineAt(change.line);
      const b = lineAt(change.other);
      [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      return lines.join('\n');
    }
    case 'indent': {
      const line = lineAt(change.line);
      const current = lines[line] ?? '';
      lines[line] = change.by >= 0 ? ' '.repeat(change.by) + current : current.replace(new RegExp(`^ {0,${-change.by}}`), '');
      return lines.join('\n');
    }
    case 'truncate':
      return text.slice(0, change.at % (text.length + 1));
  }
}

/** A valid source picked from `sources`, then 1 to 6 mutations applied in turn. */
function mutated(sources: string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.nat({ max: sources.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([index, changes]) => changes.reduce(applyMutation, sources[index]!));
}

function check(name: string, arbitrary: fc.Arbitrary<string>, predicate: (text: string) => void): void {
  let count = 0;
  fc.assert(
    fc.property(arbitrary, (text) => {
      count++;
      const started = performance.now();
      predicate(text);
      const elapsed = performance.now() - started;
      if (elapsed > CASE_BOUND_MS) throw new Error(`one case took ${elapsed.toFixed(0)} ms (bound ${CASE_BOUND_MS} ms): a hang or a super-linear path`);
    }),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
  );
  executed.set(name, count);
}

function expectSpansInside(diagnostics: Diagnostic[], text: string): void {
  for (const finding of diagnostics) {
    const where = `${finding.code} [${finding.start}, ${finding.end}) in a text of ${text.length}`;
    expect(Number.isInteger(finding.start) && Number.isInteger(finding.end), where).toBe(true);
    expect(finding.start >= 0 && finding.start <= finding.end && finding.end <= text.length, where).toBe(true);
    expect(typeof finding.message === 'string' && finding.message.length > 0, where).toBe(true);
    for (const edit of finding.fix?.edits ?? []) {
      expect(edit.start >= 0 && edit.start <= edit.end && edit.end <= text.length, `fix of ${where}`).toBe(true);
    }
  }
}

function checkPlan(text: string): void {
  const result = validatePlan(text);
  expectSpansInside(result.diagnostics, text);
  // Deterministic: the same text gives the same findings (no state leaks between validations).
  expect(validatePlan(text).diagnostics).toEqual(result.diagnostics);
}

function checkRunbook(text: string): void {
  const parsed = parseRunbook(text);
  expectSpansInside(parsed.diagnostics, text);
  expect(serializeRunbook(parsed)).toBe(text);
}

afterAll(() => {
  const total = [...executed.values()].reduce((sum, count) => sum + count, 0);
  const lines = [...executed].map(([name, count]) => `  ${count.toString().padStart(7)}  ${name}`);
  console.log(`hardening mutation cases (ROLLGATE_PROPERTY_RUNS=${runs}): ${total} total\n${lines.join('\n')}`);
});

describe('plan validator under mutated input (property)', () => {
  it('the sources are valid before mutation', () => {
    for (const text of [...examplePlans, ...smallGeneratedPlans]) expect(validatePlan(text).diagnostics.filter((finding) => finding.severity === 'error')).toEqual([]);
    expect(examplePlans.length).toBeGreaterThanOrEqual(5);
  });

  it('mutated example plans: never throws or hangs, spans inside the text', { timeout }, () => {
    check('plan: mutated examples', mutated([...examplePlans, ...fixturePlans]), checkPlan);
  });

  it('mutated generated plans: never throws or hangs, spans inside the text', { timeout }, () => {
    check('plan: mutated generated plans', mutated(smallGeneratedPlans), checkPlan);
  });
});

describe('runbook parser and serializer under mutated input (property)', () => {
  it('mutated example runbooks: never throws or hangs, spans inside, byte-exact round trip', { timeout }, () => {
    check('runbook: mutated examples', mutated(exampleRunbooks), checkRunbook);
  });

  it('mutated generated runbooks: never throws or hangs, spans inside, byte-exact round trip', { timeout }, () => {
    check('runbook: mutated generated runbooks', mutated(smallGeneratedRunbooks), checkRunbook);
  });

  it('a cell edited after parsing serializes and parses back to the same cell values', { timeout }, () => {
    // Edits a user makes in the notebook: a code cell's body replaced by other text without a fence.
    const safeBody = fc.string({ maxLength: 60 }).filter((body) => !/[`~]/.test(body) && !body.includes('\r'));
    check(
      'runbook: cell edit round trip',
      fc.tuple(fc.nat({ max: exampleRunbooks.length - 1 }), fc.nat(), safeBody).map(([index, cell, body]) => JSON.stringify({ index, cell, body })),
      (encoded) => {
        const { index, cell, body } = JSON.parse(encoded) as { index: number; cell: number; body: string };
        const parsed = parseRunbook(exampleRunbooks[index]!);
        const codeCells = parsed.cells.map((entry, position) => ({ entry, position })).filter(({ entry }) => entry.kind === 'code');
        if (codeCells.length === 0) throw new Error('an example runbook without code cells');
        const target = codeCells[cell % codeCells.length]!.position;
        const edited = { ...parsed, cells: parsed.cells.map((entry, position) => (position === target ? { ...entry, value: body } : entry)) };
        const again = parseRunbook(serializeRunbook(edited));
        expect(again.cells.map((entry) => entry.value)).toEqual(edited.cells.map((entry) => entry.value));
      },
    );
  });
});
