import type { GuardrailMeasurement } from '../guardrails/evaluate';
import type { RolloutSnapshot } from './state';

/** What happened; every event carries the snapshot after it, ready to render. */
export type RolloutEventKind =
  | 'started'
  | 'resumed-run'
  | 'stage-started'
  | 'traffic-set'
  | 'baking'
  | 'measured'
  | 'breach'
  | 'inconclusive'
  | 'waiting-approval'
  | 'waiting-gate'
  | 'gate-held'
  | 'gate-confirmed'
  | 'approved'
  | 'stage-passed'
  | 'promoted'
  | 'paused'
  | 'resumed'
  | 'rollback-started'
  | 'rollback-retry'
  | 'rolled-back'
  | 'rollback-failed'
  | 'ledger-error'
  /** Feature flags were changed (start, a stage); the message lists them. */
  | 'flags-set'
  /** A flag change failed after its retries: the message says what to set by hand. */
  | 'flags-failed'
  /** A rollback's traffic call succeeded; the plan's flags are being restored before it is recorded. */
  | 'rollback-traffic-done';

export interface RolloutEvent {
  kind: RolloutEventKind;
  /** One line for people: what was decided and why. */
  message: string;
  /** ISO time by the engine's clock. */
  at: string;
  stage?: string;
  measurement?: GuardrailMeasurement;
  snapshot: RolloutSnapshot;
}

export type RolloutListener = (event: RolloutEvent) => void;
