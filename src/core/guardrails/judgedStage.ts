import type { Guardrail } from '../plan/schema';
import { judgeStage, type JudgeResult, type JudgeThresholds } from './judge';
import type { GuardrailMeasurement } from './measurement';
import type { GuardrailVerdict } from './tracker';

/** One guardrail of a judged stage as the engine holds it after a round of measurements. */
export interface JudgedStageGuardrail {
  guardrail: Guardrail;
  /** Its latest measurement, if any. */
  last?: GuardrailMeasurement;
  /** What its tracker made of the latest measurement. */
  verdict?: GuardrailVerdict;
}

/** What a judged stage does after a round: go on, fail (roll back or pause), pause for a person, or pass. */
export type JudgedDecision = { action: 'continue' } | { action: 'pass' } | { action: 'breach'; reason: string } | { action: 'pause'; reason: string };

/**
 * Decides a judged stage (`judge:` set) after a round of measurements, as docs/guardrails.md
 * describes: a critical guardrail's breach fails the stage alone and a critical inconclusive
 * pauses; once every guardrail has been measured, a score below `marginal` fails the stage at
 * once; at the end of the bake (`final`) the score passes the stage, pauses it for a person
 * (marginal, or nothing to score) or fails it.
 */
export function decideJudgedRound(entries: readonly JudgedStageGuardrail[], thresholds: JudgeThresholds, final: boolean): { decision: JudgedDecision; judge: JudgeResult } {
  const judge = judgeStage(
    entries.map(({ guardrail, last, verdict }) => ({
      guardrail: guardrail.name,
      outcome: last ? last.outcome : 'skipped',
      critical: guardrail.critical,
      breached: verdict === 'breach',
      dryRun: guardrail.dryRun,
    })),
    thresholds,
  );
  const critical = entries.filter(({ guardrail }) => guardrail.critical && !guardrail.dryRun);
  const breached = critical.filter(({ verdict }) => verdict === 'breach');
  if (breached.length > 0) {
    return { judge, decision: { action: 'breach', reason: `critical ${breached.map(({ guardrail, last }) => `${guardrail.name} ${last?.reason ?? 'failed'}`).join('; ')}` } };
  }
  const unsure = critical.filter(({ verdict }) => verdict === 'inconclusive');
  if (unsure.length > 0) {
    return { judge, decision: { action: 'pause', reason: `critical ${unsure.map(({ guardrail, last }) => `${guardrail.name} ${last?.reason ?? 'inconclusive'}`).join('; ')}` } };
  }
  if (!final) {
    const allMeasured = entries.every(({ guardrail, last }) => guardrail.dryRun || (last !== undefined && last.outcome !== 'skipped'));
    return { judge, decision: allMeasured && judge.verdict === 'fail' ? { action: 'breach', reason: `judged: ${judge.reason}` } : { action: 'continue' } };
  }
  // A dry run without metrics measures nothing ('skipped'); like an unmeasured threshold
  // guardrail, an unmeasured judged stage does not decide, so the dry run goes on to show the rest.
  const unmeasured = entries.every(({ last }) => last === undefined || last.outcome === 'skipped');
  if (unmeasured && entries.some(({ last }) => last?.outcome === 'skipped')) {
    return { judge: { ...judge, reason: 'not judged: no guardrail was measured (dry run)' }, decision: { action: 'pass' } };
  }
  switch (judge.verdict) {
    case 'pass':
      return { judge, decision: { action: 'pass' } };
    case 'fail':
      return { judge, decision: { action: 'breach', reason: `judged: ${judge.reason}` } };
    case 'marginal':
      return { judge, decision: { action: 'pause', reason: `judged marginal: ${judge.reason}; resume to promote, or roll back` } };
    case 'inconclusive':
      return { judge, decision: { action: 'pause', reason: `judged inconclusive: ${judge.reason}` } };
  }
}
