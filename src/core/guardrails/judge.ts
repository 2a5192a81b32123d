/** A stage's `judge:` thresholds, in points out of 100. */
export interface JudgeThresholds {
  pass: number;
  marginal: number;
}

/** One guardrail's latest result, as the judge sees it. */
export interface JudgedGuardrail {
  guardrail: string;
  outcome: 'pass' | 'fail' | 'inconclusive' | 'skipped';
  /** `critical: true` in the plan: its breach fails the stage whatever the score. */
  critical: boolean;
  /** A critical guardrail that reached its failureLimit. */
  breached?: boolean;
  /** dryRun guardrails are shown but never judged. */
  dryRun: boolean;
}

/**
 * - `pass`: score ≥ pass;
 * - `marginal`: marginal ≤ score < pass (a person decides at the end of the bake);
 * - `fail`: score < marginal, or a critical guardrail breached;
 * - `inconclusive`: no guardrail gave a pass or fail to score.
 */
export type JudgeVerdict = 'pass' | 'marginal' | 'fail' | 'inconclusive';

export interface JudgeResult {
  verdict: JudgeVerdict;
  /** 100 × passed / counted, when anything was counted. */
  score?: number;
  passed: number;
  counted: number;
  /** Guardrails left out: dryRun, not measured, or inconclusive. */
  excluded: string[];
  failed: string[];
  criticalBreaches: string[];
  thresholds: JudgeThresholds;
  /** One sentence for people. */
  reason: string;
}

/**
 * Combines a stage's guardrails into one score, the way Kayenta's canary judge does: the share
 * of judged guardrails that pass, in points out of 100, against the stage's `pass` and
 * `marginal` thresholds; a critical guardrail's breach fails the stage on its own. Guardrails
 * without a pass or fail (dryRun, not measured, no data with `onNoData: inconclusive`) are left
 * out of the share.
 */
export function judgeStage(guardrails: readonly JudgedGuardrail[], thresholds: JudgeThresholds): JudgeResult {
  const excluded: string[] = [];
  const failed: string[] = [];
  let passed = 0;
  let counted = 0;
  for (const entry of guardrails) {
    if (entry.dryRun || entry.outcome === 'skipped' || entry.outcome === 'inconclusive') {
      excluded.push(entry.guardrail);
      continue;
    }
    counted += 1;
    if (entry.outcome === 'pass') passed += 1;
    else failed.push(entry.guardrail);
  }
  const criticalBreaches = guardrails.filter((entry) => entry.critical && entry.breached && !entry.dryRun).map((entry) => entry.guardrail);
  const base = { passed, counted, excluded, failed, criticalBreaches, thresholds };
  const score = counted > 0 ? (100 * passed) / counted : undefined;
  const scoreText = score === undefined ? '' : `score ${formatScore(score)} (${passed} of ${counted} guardrails pass)`;
  if (criticalBreaches.length > 0) {
    return {
      ...base,
      verdict: 'fail',
      ...(score !== undefined ? { score } : {}),
      reason: `critical guardrail ${criticalBreaches.join(', ')} breached${scoreText ? `; ${scoreText}` : ''}`,
    };
  }
  if (score === undefined) return { ...base, verdict: 'inconclusive', reason: 'no guardrail gave a pass or fail to score' };
  if (score >= thresholds.pass) return { ...base, score, verdict: 'pass', reason: `${scoreText} ≥ pass ${thresholds.pass}` };
  if (score >= thresholds.marginal) return { ...base, score, verdict: 'marginal', reason: `${scoreText}: marginal (≥ ${thresholds.marginal}, < pass ${thresholds.pass})` };
  return { ...base, score, verdict: 'fail', reason: `${scoreText} < marginal ${thresholds.marginal}` };
}

function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(1);
}
