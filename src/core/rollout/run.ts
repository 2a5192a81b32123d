// The record of one rollout run as the engine keeps it: the state (persisted after every
// transition), the events listeners see, and the entries the ledger gets. The state machine,
// the bake scheduler and the rollback sender all change the run through this one object.
import type { GuardrailMeasurement } from '../guardrails/evaluate';
import type { RolloutEvent, RolloutEventKind, RolloutListener } from './events';
import type { ChangeAction, ChangeEntry, ChangeLog, Clock, RolloutLineage } from './ports';
import type { RolloutSnapshot, StageSnapshot, StateStore } from './state';
import { errorMessage } from '../errors';

/** What a ledger entry of the run says beyond what the run itself fills in. */
export type ChangeDetails = Partial<Omit<ChangeEntry, 'action' | 'service' | 'planDigest' | 'lineage' | 'runId'>>;

export class RolloutRun {
  private readonly listeners = new Set<RolloutListener>();
  private wake = new AbortController();

  constructor(
    /** The live state; changed in place, saved by {@link transition} and {@link persist}. */
    readonly state: RolloutSnapshot,
    readonly clock: Clock,
    private readonly store: StateStore,
    private readonly lineage: RolloutLineage,
    /** Who drives the rollout, for the ledger. */
    readonly actor: string,
    private readonly changeLog?: ChangeLog,
  ) {}

  snapshot(): RolloutSnapshot {
    return structuredClone(this.state);
  }

  onEvent(listener: RolloutListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  currentStage(): StageSnapshot | undefined {
    return this.state.stages[this.state.stageIndex];
  }

  isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Aborted by the next {@link interrupt}: what a sleeping bake or a run waiting for people listens to. */
  get wakeSignal(): AbortSignal {
    return this.wake.signal;
  }

  /** Wakes a sleeping bake or a run waiting for people. */
  interrupt(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  waitForChange(): Promise<void> {
    const signal = this.wake.signal;
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /** Saves the state, then tells the listeners. */
  async transition(kind: RolloutEventKind, message: string, stage?: string): Promise<void> {
    await this.persist();
    this.emit(kind, message, stage);
    // Operations called from outside (approve, resume) must wake a run that waits for people.
    if (kind === 'resumed' || kind === 'stage-passed') this.interrupt();
  }

  async persist(): Promise<void> {
    this.state.updatedAt = this.isoNow();
    await this.store.save(structuredClone(this.state));
  }

  emit(kind: RolloutEventKind, message: string, stage?: string, measurement?: GuardrailMeasurement): void {
    const event: RolloutEvent = {
      kind,
      message,
      at: this.isoNow(),
      ...(stage ? { stage } : {}),
      ...(measurement ? { measurement } : {}),
      snapshot: this.snapshot(),
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must not stop a rollout (or a rollback).
      }
    }
  }

  /** Appends one entry to the ledger; a failure becomes a `ledger-error` event, never an exception. */
  async record(action: ChangeAction, details: ChangeDetails): Promise<void> {
    if (!this.changeLog) return;
    const entry: ChangeEntry = {
      action,
      actor: details.actor ?? this.actor,
      service: this.state.service,
      outcome: details.outcome ?? 'ok',
      planDigest: this.state.planDigest,
      lineage: this.lineage,
      runId: this.state.runId,
      ...(details.stage ? { stage: details.stage } : {}),
      ...(details.reason ? { reason: details.reason } : {}),
      ...(details.from ? { from: details.from } : {}),
      ...(details.to ? { to: details.to } : {}),
      ...(details.evidence ? { evidence: details.evidence } : {}),
    };
    // A judged stage's score is part of why the action happened (promote, pause, rollback).
    const judgement = details.judgement ?? this.state.stages.find((stage) => stage.name === details.stage)?.judgement;
    if (judgement) entry.judgement = judgement;
    try {
      await this.changeLog.append(entry);
    } catch (error) {
      // The action already happened; losing its record is serious but must not undo or block it.
      this.emit('ledger-error', `could not write ${action} to the ledger: ${errorMessage(error)}`, details.stage);
    }
  }
}
