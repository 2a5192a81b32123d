import type { Guardrail } from '../plan/schema';
import type { GuardrailMeasurement } from './evaluate';

/**
 * What a measurement means for the rollout once `failureLimit` and `dryRun` are applied:
 * - `ok`: passed (or was not measured in a dry run);
 * - `failing`: failed, but fewer than `failureLimit` times in a row;
 * - `breach`: failed `failureLimit` times in a row: roll back or pause;
 * - `inconclusive`: no data with `onNoData: inconclusive`: pause for a human;
 * - `recorded`: a `dryRun` guardrail: kept as evidence, never decides.
 */
export type GuardrailVerdict = 'ok' | 'failing' | 'breach' | 'inconclusive' | 'recorded';

/** Counts consecutive failures of one guardrail across measurements (and across restarts). */
export class GuardrailTracker {
  private failures: number;

  constructor(
    readonly guardrail: Guardrail,
    consecutiveFailures = 0,
  ) {
    this.failures = consecutiveFailures;
  }

  /** Failed measurements in a row so far; persisted so a restart keeps counting. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Applies one measurement and says what it means for the rollout. */
  record(measurement: GuardrailMeasurement): GuardrailVerdict {
    switch (measurement.outcome) {
      case 'pass':
      case 'skipped':
        this.failures = 0;
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
