import type { FlagRunState } from '../flags/rolloutFlags';
import type { GuardrailMeasurement } from '../guardrails/evaluate';
import type { JudgeResult, JudgeThresholds } from '../guardrails/judge';
import type { GuardrailVerdict } from '../guardrails/tracker';
import type { Stage } from '../plan/schema';
import type { TrafficState } from './ports';

/** Where the whole rollout stands. */
export type RolloutStatus = 'pending' | 'running' | 'paused' | 'waiting-approval' | 'rolling-back' | 'promoted' | 'rolled-back' | 'failed';

/** Where one stage stands. `baking` carries progress in {@link StageSnapshot.bakeElapsedMs}. */
export type StageStatus = 'pending' | 'running' | 'baking' | 'waiting-approval' | 'passed' | 'failed' | 'rolled-back' | 'paused';

/** Statuses after which the engine does nothing more on its own. */
export const FINISHED_STATUSES: readonly RolloutStatus[] = ['promoted', 'rolled-back', 'failed'];

/** One guardrail within a stage: its failure count, last measurement and a short trend. */
export interface GuardrailState {
  name: string;
  consecutiveFailures: number;
  measurements: number;
  last?: GuardrailMeasurement;
  /** The last values measured (newest last, at most {@link TREND_LENGTH}); null for no data. */
  trend: (number | null)[];
  /** What the latest measurement meant (breach, failing, …); a judged stage scores from it. */
  lastVerdict?: GuardrailVerdict;
  /** The last measurements with their time and outcome (newest last, at most {@link TREND_LENGTH}): the panel's chart. */
  history?: TrendPoint[];
}

/** One measurement as the panel's chart draws it. */
export interface TrendPoint {
  at: string;
  /** null for no data. */
  value: number | null;
  outcome: string;
}

export const TREND_LENGTH = 20;

/** How far a stage's bake is, 0 to 1 (1 for a stage without a bake). */
export function bakeProgress(stage: Pick<StageSnapshot, 'bakeMs' | 'bakeElapsedMs'>): number {
  return stage.bakeMs > 0 ? Math.max(0, Math.min(1, stage.bakeElapsedMs / stage.bakeMs)) : 1;
}

export interface StageSnapshot {
  name: string;
  kind: Stage['kind'];
  traffic?: number;
  mirror?: number;
  approval: Stage['approval'];
  status: StageStatus;
  /** The stage's bake duration in ms (0 when it has none). */
  bakeMs: number;
  /** Bake time spent so far, across pauses and restarts. */
  bakeElapsedMs: number;
  /** True once this stage's traffic or mirror was sent to the deployment endpoint. */
  trafficApplied: boolean;
  /** False while the stage's `followTraffic` flags still have to follow its traffic (a failure paused the rollout). */
  flagsApplied?: boolean;
  startedAt?: string;
  endedAt?: string;
  guardrails: GuardrailState[];
  /** The stage's `judge:` thresholds, when its guardrails are combined into one score. */
  judge?: JudgeThresholds;
  /** The latest judgement of a judged stage (score, verdict, reason). */
  judgement?: JudgeResult;
  /** Set when a person resumed after a marginal judgement: the stage may then pass on it. */
  marginalAccepted?: boolean;
}

export interface RollbackRecord {
  to: string;
  reason: string;
  actor: string;
  idempotencyKey: string;
  requestedAt: string;
  attempts: number;
  /** Traffic before the rollback, kept so a restart between its traffic call and its record still records it. */
  from?: TrafficState;
  completedAt?: string;
  error?: string;
}

/**
 * The persisted state of one rollout (`.rollgate/state/<service>.json`), and also what the
 * engine hands to listeners: plain JSON, so the side panel can post it to its webview as is.
 */
export interface RolloutSnapshot {
  schema: 1;
  runId: string;
  service: string;
  planName: string;
  planDigest: string;
  candidateVersion: string;
  baselineVersion: string;
  /** The version a rollback goes to (the plan's `rollback.to`, resolved). */
  rollbackTo: string;
  automaticRollback: boolean;
  status: RolloutStatus;
  /** Index of the current stage; equals `stages.length` once promoted. */
  stageIndex: number;
  stages: StageSnapshot[];
  pauseReason?: string;
  rollback?: RollbackRecord;
  /** What the engine last set on (or read from) the deployment endpoint. */
  traffic?: TrafficState;
  /** The plan's feature flags: their state when the rollout started and which defaults are applied. */
  flags?: FlagRunState;
  startedAt: string;
  updatedAt: string;
}

/** Keeps rollout state across restarts. */
export interface StateStore {
  load(service: string): Promise<RolloutSnapshot | undefined>;
  save(snapshot: RolloutSnapshot): Promise<void>;
}

/** A store for dry runs and tests of logic: nothing survives the process. */
export class MemoryStateStore implements StateStore {
  private readonly states = new Map<string, string>();
  async load(service: string): Promise<RolloutSnapshot | undefined> {
    const text = this.states.get(service);
    return text === undefined ? undefined : (JSON.parse(text) as RolloutSnapshot);
  }
  async save(snapshot: RolloutSnapshot): Promise<void> {
    this.states.set(snapshot.service, JSON.stringify(snapshot));
  }
}
