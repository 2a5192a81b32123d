// Whether a new runner resumes the service's stored rollout, starts afresh, or refuses: decided
// once, by the one function here, after the runner holds the service lock (docs/rollouts.md,
// "State and restarts").
import { randomUUID } from 'node:crypto';

import { errorMessage } from '../errors';
import { parseDuration, type Plan } from '../plan/schema';
import { rollbackTarget } from './planFacts';
import { FINISHED_STATUSES, type RolloutSnapshot, type StateStore } from './state';

/** Thrown when the service has an unfinished rollout of another plan (or a discard was declined). */
export class RolloutConflictError extends Error {
  constructor(readonly stored: RolloutSnapshot) {
    super(
      `service ${stored.service} has an unfinished rollout (${stored.status}, stage ${stored.stages[stored.stageIndex]?.name ?? 'end'}) of plan ${stored.planName} with another digest (${stored.planDigest}); finish it, or restart to discard it`,
    );
    this.name = 'RolloutConflictError';
  }
}

/** Thrown when the stored state cannot be read: it may hold an unfinished rollout, so it is never overwritten unasked. */
export class StoredStateUnreadableError extends Error {
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`the stored rollout state ${location} cannot be read (${reason}); nothing was started. It may hold an unfinished rollout: look at it, then move it away or restart to discard it`);
    this.name = 'StoredStateUnreadableError';
  }
}

export interface StartPolicy {
  /** Start afresh whatever is stored (the CLI's `--restart`, every drill). */
  restart?: boolean;
  /** A finished rollout of the same plan starts again (the editor's Start) instead of being reported as it ended (the CLI). */
  rerunFinished?: boolean;
}

/** What is on disk for the service before a start. */
export type StoredState = { snapshot?: RolloutSnapshot } | { unreadable: string };

export type StartDecision =
  | { kind: 'resume'; snapshot: RolloutSnapshot }
  /** `discards`: the unfinished or unreadable state a fresh start overwrites. */
  | { kind: 'fresh'; discards?: { snapshot: RolloutSnapshot } | { unreadable: string } }
  | { kind: 'conflict'; stored: RolloutSnapshot }
  | { kind: 'unreadable'; reason: string };

const isFinished = (snapshot: RolloutSnapshot) => FINISHED_STATUSES.includes(snapshot.status);

/** The one restart-or-resume-or-conflict decision. */
export function decideStart(stored: StoredState, planDigest: string, policy: StartPolicy): StartDecision {
  if ('unreadable' in stored) return policy.restart ? { kind: 'fresh', discards: { unreadable: stored.unreadable } } : { kind: 'unreadable', reason: stored.unreadable };
  const snapshot = stored.snapshot;
  if (!snapshot) return { kind: 'fresh' };
  const unfinished = !isFinished(snapshot);
  if (policy.restart) return unfinished ? { kind: 'fresh', discards: { snapshot } } : { kind: 'fresh' };
  if (snapshot.planDigest === planDigest) return unfinished || !policy.rerunFinished ? { kind: 'resume', snapshot } : { kind: 'fresh' };
  return unfinished ? { kind: 'conflict', stored: snapshot } : { kind: 'fresh' };
}

/** What a person is asked before a start discards stored state. */
export type DiscardQuestion = { kind: 'unfinished'; stored: RolloutSnapshot } | { kind: 'unreadable'; location: string; reason: string };

export interface SettleStartOptions extends StartPolicy {
  store: StateStore;
  service: string;
  planDigest: string;
  /** Where the state lives, for messages (the state file). */
  location?: string;
  /**
   * Asked before unfinished state is discarded (a conflict, or a restart over it) and before
   * unreadable state is replaced on restart: resolve to go ahead, throw to stop. Without it a
   * conflict raises {@link RolloutConflictError} and an explicit restart goes ahead.
   */
  confirmDiscard?: (question: DiscardQuestion) => Promise<void>;
}

/**
 * Reads the stored state (a read error is reported, never taken for "nothing stored"), decides,
 * and asks before discarding. Resolves with the snapshot to resume, or undefined for a fresh start.
 */
export async function settleStart(options: SettleStartOptions): Promise<RolloutSnapshot | undefined> {
  let stored: StoredState;
  try {
    const snapshot = await options.store.load(options.service);
    stored = snapshot ? { snapshot } : {};
  } catch (error) {
    stored = { unreadable: errorMessage(error) };
  }
  const decision = decideStart(stored, options.planDigest, options);
  const location = options.location ?? `state of ${options.service}`;
  switch (decision.kind) {
    case 'resume':
      return decision.snapshot;
    case 'unreadable':
      throw new StoredStateUnreadableError(location, decision.reason);
    case 'conflict':
      if (!options.confirmDiscard) throw new RolloutConflictError(decision.stored);
      await options.confirmDiscard({ kind: 'unfinished', stored: decision.stored });
      return undefined;
    case 'fresh':
      if (decision.discards && options.confirmDiscard) {
        await options.confirmDiscard('snapshot' in decision.discards ? { kind: 'unfinished', stored: decision.discards.snapshot } : { kind: 'unreadable', location, reason: decision.discards.unreadable });
      }
      return undefined;
  }
}

/** The state of a rollout that has not started: every stage pending, a new run id. */
export function initialState(plan: Plan, planDigest: string, now: number): RolloutSnapshot {
  const iso = new Date(now).toISOString();
  return {
    schema: 1,
    runId: randomUUID(),
    service: plan.metadata.service,
    planName: plan.metadata.name,
    planDigest,
    candidateVersion: plan.model.candidate.version,
    baselineVersion: plan.model.baseline.version,
    rollbackTo: rollbackTarget(plan),
    automaticRollback: plan.rollback.automatic,
    status: 'pending',
    stageIndex: 0,
    stages: plan.stages.map((stage) => ({
      name: stage.name,
      kind: stage.kind,
      ...(stage.traffic !== undefined ? { traffic: stage.traffic } : {}),
      ...(stage.mirror !== undefined ? { mirror: stage.mirror } : {}),
      approval: stage.approval,
      status: 'pending' as const,
      bakeMs: stage.bake ? (parseDuration(stage.bake) ?? 0) : 0,
      bakeElapsedMs: 0,
      trafficApplied: false,
      guardrails: (stage.guardrails ?? []).map((name) => ({ name, consecutiveFailures: 0, measurements: 0, trend: [] })),
      ...(stage.judge ? { judge: { ...stage.judge } } : {}),
    })),
    startedAt: iso,
    updatedAt: iso,
  };
}
