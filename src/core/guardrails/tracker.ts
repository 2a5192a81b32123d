import type { Guardrail } from '../plan/schema';
import type { GuardrailMeasurement } from './evaluate';

/**
 * What a measurement means for the rollout once `failureLimit` and `dryRun` are applied:
 * - `ok`: passed (or was not measured in a dry run);
 * - `failing`: failed, but fewer than `failureLimit` times (in a row, or in total);
 * - `breach`: failed `failureLimit` times (in a row, or in total): roll back or pause;
 * - `inconclusive`: no data with `onNoData: inconclusive`: pause for a human;
 * - `recorded`: a `dryRun` guardrail: kept as evidence, never decides.
 */
export type GuardrailVerdict = 'ok' | 'failing' | 'breach' | 'inconclusive' | 'recorded';

/**
 * Counts one guardrail's failures across measurements (and across restarts): in a row for
 * `failureCounting: consecutive` (a pass resets the count), or all failures of the stage's bake
 * for `failureCounting: total`, so a guardrail that fails on and off is not forgiven.
 */
export class GuardrailTracker {
  private failures: number;

  constructor(
    readonly guardrail: Guardrail,
    failuresSoFar = 0,
  ) {
    this.failures = failuresSoFar;
  }

  /** The failures that count towards `failureLimit` so far; persisted so a restart keeps counting. */
  get countedFailures(): number {
    return this.failures;
  }

  /** Kept for callers written before `failureCounting`: the same number as {@link countedFailures}. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Applies one measurement and says what it means for the rollout. */
  record(measurement: GuardrailMeasurement): GuardrailVerdict {
    switch (measurement.outcome) {
      case 'pass':
      case 'skipped':
        if (this.guardrail.failureCounting !== 'total') this.failures = 0;
        return this.guardrail.dryRun ? 'recorded' : 'ok';
      case 'inconclusive':
        // Missing data neither clears nor extends a run of failures: it says nothing either way.
        return this.guardrail.dryRun ? 'recorded' : 'inconclusive';
      case 'fail':
        this.failures += 1;
        if (this.guardrail.dryRun) return 'recorded';
        return this.failures >= this.guardrail.failureLimit ? 'breach' : 'failing';
    }
  }
}
