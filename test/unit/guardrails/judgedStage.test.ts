import { describe, expect, it } from 'vitest';
import { decideJudgedRound, recordedAnswerProblem, recordedRange, recordedScalar, recordedVector, type JudgedStageGuardrail } from '../../../src/core/guardrails/index';
import type { GuardrailMeasurement } from '../../../src/core/guardrails/measurement';
import { guardrailSchema } from '../../../src/core/plan/schema';

const thresholds = { pass: 80, marginal: 60 };
function entry(name: string, outcome: GuardrailMeasurement['outcome'] | undefined, extra: { critical?: boolean; dryRun?: boolean; verdict?: JudgedStageGuardrail['verdict'] } = {}): JudgedStageGuardrail {
  const guardrail = guardrailSchema.parse({ name, query: 'q', max: 1, critical: extra.critical ?? false, dryRun: extra.dryRun ?? false });
  const last = outcome ? ({ guardrail: name, outcome, reason: `${name} was ${outcome}` } as GuardrailMeasurement) : undefined;
  return { guardrail, ...(last ? { last } : {}), ...(extra.verdict ? { verdict: extra.verdict } : {}) };
}

describe('decideJudgedRound', () => {
  it('fails at once on a critical breach, and pauses on a critical inconclusive', () => {
    const breach = decideJudgedRound([entry('a', 'pass'), entry('k', 'fail', { critical: true, verdict: 'breach' })], thresholds, false);
    expect(breach.decision).toEqual({ action: 'breach', reason: 'critical k k was fail' });
    const unsure = decideJudgedRound([entry('a', 'pass'), entry('k', 'inconclusive', { critical: true, verdict: 'inconclusive' })], thresholds, false);
    expect(unsure.decision.action).toBe('pause');
  });

  it('fails mid-bake below marginal only once every guardrail has been measured', () => {
    expect(decideJudgedRound([entry('a', 'fail'), entry('b', undefined)], thresholds, false).decision).toEqual({ action: 'continue' });
    expect(decideJudgedRound([entry('a', 'fail'), entry('b', 'skipped')], thresholds, false).decision).toEqual({ action: 'continue' });
    const failed = decideJudgedRound([entry('a', 'fail'), entry('b', 'pass')], thresholds, false);
    expect(failed.decision).toEqual({ action: 'breach', reason: 'judged: score 50 (1 of 2 guardrails pass) < marginal 60' });
    // Marginal mid-bake: keep baking.
    expect(decideJudgedRound([entry('a', 'fail'), entry('b', 'pass'), entry('c', 'pass')], thresholds, false).decision.action).toBe('continue');
  });

  it('at the end of the bake: passes, pauses on marginal or nothing to score, fails below marginal', () => {
    const five = ['a', 'b', 'c', 'd'].map((name) => entry(name, 'pass'));
    expect(decideJudgedRound([...five, entry('e', 'fail')], thresholds, true)).toMatchObject({ decision: { action: 'pass' }, judge: { score: 80 } });
    const marginal = decideJudgedRound([entry('a', 'fail'), entry('b', 'pass'), entry('c', 'pass')], thresholds, true);
    expect(marginal.decision).toMatchObject({ action: 'pause', reason: expect.stringContaining('judged marginal') });
    expect(decideJudgedRound([entry('a', 'inconclusive')], thresholds, true).decision.action).toBe('pause');
    expect(decideJudgedRound([entry('a', 'fail'), entry('b', 'fail'), entry('c', 'pass')], thresholds, true).decision.action).toBe('breach');
    // dryRun guardrails neither count nor hold the judgement back.
    expect(decideJudgedRound([entry('a', 'pass'), entry('d', 'fail', { dryRun: true })], thresholds, true).decision.action).toBe('pass');
  });

  it('a dry run that measured nothing does not judge (and does not pause); one real inconclusive still pauses', () => {
    const unmeasured = decideJudgedRound([entry('a', 'skipped'), entry('b', 'skipped')], thresholds, true);
    expect(unmeasured).toMatchObject({ decision: { action: 'pass' }, judge: { reason: 'not judged: no guardrail was measured (dry run)' } });
    expect(decideJudgedRound([entry('a', 'skipped'), entry('b', 'inconclusive')], thresholds, true).decision.action).toBe('pause');
  });
});

describe('recorded answers for dry runs', () => {
  it('validates and replays numbers, buckets, series and samples', () => {
    for (const good of [0.1, null, { buckets: { '0.5': 3, '+Inf': 5 } }, { series: [{ labels: { le: '1', label: '1' }, value: 2 }] }, { samples: [1, null, 2] }]) {
      expect(recordedAnswerProblem(good), JSON.stringify(good)).toBeUndefined();
    }
    expect(recordedAnswerProblem({ buckets: { '0.5': 'x' } })).toContain('cumulative count');
    expect(recordedAnswerProblem({ samples: [1], buckets: {} })).toContain('exactly one');
    expect(recordedAnswerProblem([1, 2])).toContain('expected a number');
    expect(recordedScalar(0.2)).toEqual({ value: 0.2 });
    expect(recordedScalar(undefined)).toEqual({ skipped: true });
    expect(recordedVector({ buckets: { '0.5': 3, '+Inf': 5 } })).toEqual({
      samples: [
        { labels: { le: '0.5' }, value: 3 },
        { labels: { le: '+Inf' }, value: 5 },
      ],
    });
    expect(recordedRange({ samples: [1, null] }, 100, 15).series![0]!.points).toEqual([
      { time: 100, value: 1 },
      { time: 115, value: Number.NaN },
    ]);
    expect(recordedRange(0.3, 0, 1).error).toContain('reads samples');
  });
});
