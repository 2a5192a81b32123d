// The rollout state machine: stage by stage, sets traffic, bakes (through the bake scheduler),
// waits at gates, promotes; on a breach rolls back (through the rollback sender) or pauses.
import type { RolloutFlags } from '../flags/rolloutFlags';
import type { GuardrailMeasurement, MetricSource } from '../guardrails/evaluate';
import type { Plan } from '../plan/schema';
import { errorMessage } from '../errors';
import { BakeScheduler, formatBakeTime } from './bakeScheduler';
import { FlagSteps } from './flagSteps';
import type { RolloutListener } from './events';
import { planLineage } from './planFacts';
import { systemClock, type ChangeLog, type Clock, type PromotionGate, type TrafficControl, type TrafficState } from './ports';
import { awaitPromotionGate, type GateOutcome } from './promotionGate';
import { ENGINE_ROLLBACK_RETRIES, RollbackSender, type RollbackResult } from './rollbackSender';
import { RolloutRun } from './run';
import { initialState, settleStart } from './startDecision';
import { FINISHED_STATUSES, MemoryStateStore, type RolloutSnapshot, type RolloutStatus, type StageSnapshot, type StateStore } from './state';
import { UNPLANNED_PREFIX } from './backends/haproxy';
import { describeTraffic, isStableTraffic, sameTraffic, stageTraffic } from './traffic';

/** Everything the engine needs; only `plan`, `traffic` and `metrics` are required. */
export interface RolloutEngineOptions {
  plan: Plan;
  /** `sha256:<hex>` of the plan text (`planDigest()`); recorded in the state and in every ledger entry. */
  planDigest: string;
  traffic: TrafficControl;
  metrics: MetricSource;
  /** The plan's feature flags on their flag service, when the plan lists any (docs/flags.md). */
  flags?: RolloutFlags;
  changeLog?: ChangeLog;
  clock?: Clock;
  stateStore?: StateStore;
  /** Who drives the rollout, for the ledger (e.g. `cli:alice`, `vscode:alice`). */
  actor?: string;
  /** Approve manual gates at once (the CLI's `--yes`). */
  autoApprove?: boolean;
  /**
   * When paused or waiting for approval: true keeps {@link RolloutEngine.run} waiting for
   * resume()/approve()/rollbackNow() (the editor); false returns so the caller can exit (the CLI).
   */
  waitForPeople?: boolean;
  /** Discard a stored unfinished state instead of resuming it. */
  restart?: boolean;
  /** How often baking progress is reported (ms); Infinity for none. Default 1000. */
  progressIntervalMs?: number;
  /** Rollback attempts before giving up (default 6) and the first retry delay (default 200 ms, doubling, at most 2 s). */
  rollbackAttempts?: number;
  rollbackRetryDelayMs?: number;
  /** Confirm-promotion gates asked after each stage's bake (`openRollout` builds them from the plan's `notify`). */
  promotionGate?: PromotionGate;
}

const isFinished = (status: RolloutStatus) => FINISHED_STATUSES.includes(status);

/**
 * Drives one plan's stages against the deployment endpoint: sets traffic or mirror, bakes
 * while measuring guardrails every interval, waits at manual gates, promotes; rolls back to
 * the declared baseline on a breach (or pauses when rollback is not automatic); pauses on
 * inconclusive data. Persists its state after every transition so a new engine resumes.
 *
 * Create with {@link RolloutEngine.create} (or `openRollout`, which holds the service lock),
 * drive with {@link run}, steer with {@link pause}, {@link resume}, {@link approve} and
 * {@link rollbackNow}, watch with {@link onEvent}.
 */
export class RolloutEngine {
  private readonly current: RolloutRun;
  private readonly baking: BakeScheduler;
  private readonly rollbacks: RollbackSender;
  private readonly flagSteps: FlagSteps | undefined;
  private driving = false;
  /** Set while an outside operation is changing the state; the driving loop waits for it. */
  private heldBy: Promise<void> | undefined;

  private constructor(
    private readonly options: RolloutEngineOptions,
    state: RolloutSnapshot,
    /** True when the state came from a previous runner. */
    readonly resumedFromStore: boolean,
  ) {
    const { plan } = options;
    const clock = options.clock ?? systemClock;
    this.current = new RolloutRun(state, clock, options.stateStore ?? new MemoryStateStore(), planLineage(plan), options.actor ?? 'rollgate', options.changeLog);
    this.baking = new BakeScheduler(
      this.current,
      options.metrics,
      new Map(plan.guardrails.map((guardrail) => [guardrail.name, guardrail])),
      { planName: plan.metadata.name, modelName: plan.model.name },
      options.progressIntervalMs ?? 1000,
    );
    const flags = options.flags;
    this.flagSteps = flags ? new FlagSteps(this.current, flags) : undefined;
    this.rollbacks = new RollbackSender(
      this.current,
      options.traffic,
      {
        ...ENGINE_ROLLBACK_RETRIES,
        ...(options.rollbackAttempts !== undefined ? { attempts: options.rollbackAttempts } : {}),
        ...(options.rollbackRetryDelayMs !== undefined ? { firstDelayMs: options.rollbackRetryDelayMs } : {}),
      },
      flags ? { describe: () => flags.describe(), restore: () => flags.rollback(this.current.state.flags?.recorded) } : undefined,
    );
  }

  /**
   * Loads the service's stored state and decides (`decideStart`): an unfinished rollout of the
   * same plan (same digest) is resumed, a finished one is reported as it stood until `restart`
   * is set, another plan's unfinished rollout raises `RolloutConflictError`. Otherwise a fresh
   * rollout is prepared. Takes no lock: a runner that shares the state folder uses `openRollout`.
   */
  static async create(options: RolloutEngineOptions): Promise<RolloutEngine> {
    const store = options.stateStore ?? new MemoryStateStore();
    const resumeFrom = await settleStart({ store, service: options.plan.metadata.service, planDigest: options.planDigest, restart: options.restart ?? false });
    return RolloutEngine.start({ ...options, stateStore: store }, resumeFrom);
  }

  /** An engine over a decided start: the stored snapshot to resume, or a fresh rollout (saved at once). */
  static async start(options: RolloutEngineOptions, resumeFrom: RolloutSnapshot | undefined): Promise<RolloutEngine> {
    if (resumeFrom) return new RolloutEngine(options, resumeFrom, true);
    const engine = new RolloutEngine(options, initialState(options.plan, options.planDigest, (options.clock ?? systemClock).now()), false);
    await engine.current.persist();
    return engine;
  }

  /** A copy of the current state. */
  snapshot(): RolloutSnapshot {
    return this.current.snapshot();
  }

  /** Subscribes to events; returns the unsubscribe function. Listeners run synchronously. */
  onEvent(listener: RolloutListener): () => void {
    return this.current.onEvent(listener);
  }

  /** True while {@link run} is driving. */
  get isRunning(): boolean {
    return this.driving;
  }

  /**
   * Drives the rollout until it is promoted, rolled back or failed, or (without
   * `waitForPeople`) until it pauses or waits for approval. Resolves with the final snapshot;
   * never rejects for endpoint trouble (that becomes a pause, a rollback or `failed`).
   */
  async run(): Promise<RolloutSnapshot> {
    if (this.driving) throw new Error('this rollout is already being driven');
    this.driving = true;
    try {
      await this.drive();
    } finally {
      this.driving = false;
    }
    return this.snapshot();
  }

  /** Pauses a running rollout (traffic stays as it is). Returns false when there is nothing to pause. */
  async pause(reason = 'paused by a person', actor = this.current.actor): Promise<boolean> {
    const { status } = this.current.state;
    if (status !== 'running' && status !== 'waiting-approval') return false;
    await this.enterPause(reason, actor, []);
    return true;
  }

  /**
   * Resumes a paused rollout. Failure counts of the current stage start again from zero: a
   * person looked and decided to carry on. Call {@link run} again if nothing is driving.
   */
  async resume(actor = this.current.actor): Promise<boolean> {
    const run = this.current;
    if (run.state.status !== 'paused') return false;
    const stage = run.currentStage();
    run.state.status = 'running';
    delete run.state.pauseReason;
    if (stage) {
      stage.status = stage.trafficApplied ? 'baking' : 'pending';
      for (const guardrail of stage.guardrails) guardrail.consecutiveFailures = 0;
      // Resuming a stage that paused on a marginal judgement accepts the judgement.
      if (stage.judgement?.verdict === 'marginal') stage.marginalAccepted = true;
    }
    await this.holdingTheRun(async () => {
      await run.transition('resumed', 'resumed', stage?.name);
      await run.record('resume', { actor, ...(stage ? { stage: stage.name } : {}), reason: 'resumed' });
    });
    return true;
  }

  /** Passes the manual gate the rollout waits at. Returns false when it is not waiting. */
  async approve(actor = this.current.actor): Promise<boolean> {
    const run = this.current;
    if (run.state.status !== 'waiting-approval') return false;
    const stage = run.currentStage();
    if (!stage) return false;
    run.state.status = 'running';
    await this.holdingTheRun(async () => {
      run.emit('approved', `${actor} approved promotion after stage ${stage.name}`, stage.name);
      await run.record('approve', { actor, stage: stage.name, reason: `approved promotion after ${stage.name}` });
      await this.passStage(stage, `approved by ${actor}`);
    });
    return true;
  }

  /**
   * Rolls back to the plan's rollback target at once, from any state (also after promotion):
   * one idempotency-keyed call, retried on transient failure. Stops any bake in progress.
   */
  async rollbackNow(reason: string, actor = this.current.actor): Promise<RollbackResult> {
    return this.rollbacks.rollBack(reason, actor, []);
  }

  // ---------------------------------------------------------------------------------------

  private async drive(): Promise<void> {
    const run = this.current;
    this.rollbacks.finishInterrupted();
    if (run.state.status === 'pending') {
      run.state.status = 'running';
      await run.transition('started', `rollout of ${run.state.candidateVersion} (baseline ${run.state.baselineVersion}) started`);
      const flags = await this.flagSteps?.start();
      await run.record('rollout-start', { reason: `plan ${run.state.planName}`, ...(flags ? { flags: flags.changes } : {}) });
      if (flags && !flags.ok) await this.enterPause(this.flagSteps!.pauseReason('at rollout start', flags, 'Traffic is unchanged.'), run.actor, []);
    } else if (!isFinished(run.state.status)) {
      run.emit('resumed-run', `continuing from stage ${run.currentStage()?.name ?? 'end'} (${run.state.status})`);
    }

    for (;;) {
      // An approve or resume that is still recording has changed the state only halfway.
      while (this.heldBy) await this.heldBy;
      const status = run.state.status;
      if (status === 'rolling-back') {
        // Resolve with the rollback's outcome, not with a half-done state.
        await this.rollbacks.pending;
        return;
      }
      if (isFinished(status)) return;
      if (status === 'paused' || status === 'waiting-approval') {
        if (status === 'waiting-approval' && this.options.autoApprove) {
          await this.approve(`${run.actor} (--yes)`);
          continue;
        }
        if (!this.options.waitForPeople) return;
        await run.waitForChange();
        continue;
      }
      const stage = run.currentStage();
      if (!stage) {
        await this.finishPromoted();
        return;
      }
      await this.runStage(stage);
    }
  }

  /**
   * Runs an operation called from outside (approve, resume) while the driving loop waits at its
   * next turn. Without this, a run that had just set the gate (its state file still being
   * written) could read the status already approved but the stage not yet passed, and re-enter
   * the passed stage's gate.
   */
  private async holdingTheRun(operation: () => Promise<void>): Promise<void> {
    const held = operation();
    const released = held.catch(() => undefined);
    this.heldBy = released;
    try {
      await held;
    } finally {
      if (this.heldBy === released) this.heldBy = undefined;
    }
  }

  private async runStage(stage: StageSnapshot): Promise<void> {
    const run = this.current;
    // A flag failure at start paused the rollout; after a resume, try again before any traffic.
    if (this.flagSteps && !this.flagSteps.started) {
      const flags = await this.flagSteps.start();
      await run.record('flag-change', { stage: stage.name, reason: 'feature flags at rollout start, tried again', flags: flags.changes });
      if (!flags.ok) {
        await this.enterPause(this.flagSteps.pauseReason('at rollout start', flags, 'Traffic is unchanged.'), run.actor, []);
        return;
      }
    }
    if (!stage.startedAt) {
      stage.startedAt = run.isoNow();
      stage.status = 'running';
      await run.transition('stage-started', `stage ${stage.name} started`, stage.name);
    }
    if (!stage.trafficApplied) {
      const wanted = stageTraffic(stage, run.state.candidateVersion, run.state.baselineVersion);
      if (wanted) {
        const applied = await this.applyTraffic(stage, wanted);
        if (!applied) return;
      }
      stage.trafficApplied = true;
      if (run.state.status !== 'running') {
        // Paused or rolled back while the call was in flight: the traffic is set, the bake waits.
        await run.persist();
        return;
      }
      stage.status = 'baking';
      const measuring = this.baking.describeMeasuring(stage);
      await run.transition('baking', `stage ${stage.name} baking for ${formatBakeTime(stage.bakeMs)}${measuring ? `, measuring ${measuring}` : ''}`, stage.name);
    }
    if (stage.flagsApplied === false) {
      // Resumed after a stage's flags failed: they follow its traffic before the bake goes on.
      if (!(await this.retryStageFlags(stage))) return;
    }
    stage.status = 'baking';
    if (!(await this.settle(stage, await this.baking.bake(stage)))) return;
    const gate = this.options.promotionGate;
    if (gate?.appliesTo(stage.name) && !(await this.settle(stage, await awaitPromotionGate(run, this.baking, gate, stage)))) return;
    if (stage.approval === 'manual') {
      stage.status = 'waiting-approval';
      run.state.status = 'waiting-approval';
      await run.transition('waiting-approval', `stage ${stage.name} passed its bake; waiting for approval to promote`, stage.name);
      return;
    }
    await this.passStage(stage, 'bake passed');
  }

  /** Acts on how a bake (or a wait for a promotion gate) ended; true when the stage may go on to promotion. */
  private async settle(stage: StageSnapshot, outcome: GateOutcome): Promise<boolean> {
    const run = this.current;
    switch (outcome.kind) {
      case 'interrupted':
        return false;
      case 'breach':
        await this.onBreach(stage, outcome.reason, outcome.evidence);
        return false;
      case 'inconclusive':
        run.emit('inconclusive', outcome.reason, stage.name);
        await this.enterPause(outcome.reason, run.actor, outcome.evidence);
        return false;
      case 'not-confirmed':
        await this.enterPause(outcome.reason, run.actor, []);
        return false;
      case 'baked':
      case 'confirmed':
        return run.state.status === 'running';
    }
  }

  private async onBreach(stage: StageSnapshot, reason: string, evidence: GuardrailMeasurement[]): Promise<void> {
    const run = this.current;
    stage.status = 'failed';
    await run.transition('breach', reason, stage.name);
    // The breach entry is written while the rollback call is already on its way: seconds
    // matter here, and the rollback entry still lands after it.
    const breachRecorded = run.record('guardrail-breach', { stage: stage.name, reason, evidence });
    if (run.state.automaticRollback) {
      await this.rollbacks.rollBack(reason, run.actor, evidence, breachRecorded);
    } else {
      await breachRecorded;
      await this.enterPause(`${reason}; rollback.automatic is false: roll back or resume`, run.actor, evidence);
    }
  }

  /** Sends a stage's traffic; a failure pauses the rollout (a person decides) and returns false. */
  private async applyTraffic(stage: StageSnapshot, wanted: TrafficState): Promise<boolean> {
    const run = this.current;
    const from = run.state.traffic;
    if (from && !(await this.trafficStillOurs(stage, from))) return false;
    if (!from && !(await this.serviceIsOursToStart(stage))) return false;
    let note: string | undefined;
    try {
      await this.rollbacks.serialise(async () => {
        if (run.state.status !== 'running') throw new Interrupted();
        note = (await this.options.traffic.setTraffic(wanted.weights, wanted.mirror, { idempotencyKey: `${run.state.runId}:${stage.name}:traffic` }))?.note;
      });
    } catch (error) {
      if (error instanceof Interrupted) return false;
      await this.enterPause(`could not set traffic for stage ${stage.name}: ${errorMessage(error)}`, run.actor, []);
      return false;
    }
    run.state.traffic = wanted;
    // The backend's note (e.g. HAProxy servers outside the plan held at 0) goes to the event and the ledger.
    await run.transition('traffic-set', `traffic set: ${describeTraffic(wanted)}${note ? `; ${note}` : ''}`, stage.name);
    // The flags that follow traffic move right after it, in the same ledger entry.
    const flags = await this.flagSteps?.stage(stage, wanted);
    await run.record('traffic-change', { stage: stage.name, ...(from ? { from } : {}), to: wanted, reason: `stage ${stage.name}${note ? `; ${note}` : ''}`, ...(flags ? { flags: flags.changes } : {}) });
    if (flags && !flags.ok) await this.enterPause(this.flagSteps!.pauseReason(`for stage ${stage.name}`, flags, `Traffic is set (${describeTraffic(wanted)}).`), run.actor, []);
    return true;
  }

  /** After a resume: the stage's flags try again to follow its traffic; false when they still fail (paused again). */
  private async retryStageFlags(stage: StageSnapshot): Promise<boolean> {
    const run = this.current;
    const traffic = run.state.traffic ?? { weights: {} };
    const flags = await this.flagSteps?.stage(stage, traffic);
    if (!flags) return true;
    await run.record('flag-change', { stage: stage.name, reason: `feature flags for stage ${stage.name}, tried again`, flags: flags.changes });
    await run.persist();
    if (flags.ok) return true;
    await this.enterPause(this.flagSteps!.pauseReason(`for stage ${stage.name}`, flags, `Traffic is set (${describeTraffic(traffic)}).`), run.actor, []);
    return false;
  }

  /**
   * Before changing traffic, checks that the endpoint still shows what this rollout last set. If
   * someone changed it meanwhile (a rollback from a runbook, another tool, a person), stepping on
   * to the next stage would undo their change, perhaps a rollback during an incident: the rollout
   * pauses instead, and takes the endpoint's traffic as its own so a resume goes on from there.
   * An endpoint that cannot be read does not block: the traffic change itself will fail and say so.
   */
  private async trafficStillOurs(stage: StageSnapshot, expected: TrafficState): Promise<boolean> {
    const run = this.current;
    let current: TrafficState;
    try {
      current = await this.options.traffic.getState();
    } catch {
      return true;
    }
    if (sameTraffic(current, expected) || run.state.status !== 'running') return true;
    run.state.traffic = current;
    await this.enterPause(
      `traffic was changed outside this rollout: the deployment endpoint shows ${describeTraffic(current)}, this rollout last set ${describeTraffic(expected)}. ` +
        `Nothing was changed. Resume to go on with stage ${stage.name} (it sets its own traffic), or start over.`,
      run.actor,
      [],
    );
    return false;
  }

  /**
   * Before the first traffic change of a rollout: the service must be stable (one version at
   * 100 %, nothing mirrored). A split means another run is driving it, perhaps from another
   * workspace or machine, whose lock this runner cannot see: starting would overwrite it. The
   * rollout pauses instead, with nothing changed, and takes the endpoint's traffic as its own,
   * so a person who resumes takes the service over knowingly.
   */
  private async serviceIsOursToStart(stage: StageSnapshot): Promise<boolean> {
    const run = this.current;
    let current: TrafficState;
    try {
      current = await this.options.traffic.getState();
    } catch {
      return true; // The traffic change itself will fail and say so.
    }
    if (isStableTraffic(withoutUnplannedServers(current)) || run.state.status !== 'running') return true;
    run.state.traffic = current;
    await this.enterPause(
      `refused to start: the service is progressing (the deployment endpoint shows ${describeTraffic(current)}), so another rollout is probably driving it, ` +
        `perhaps from another workspace or machine. Nothing was changed. Let that rollout finish or roll it back; or resume to take the service over from stage ${stage.name}.`,
      run.actor,
      [],
    );
    return false;
  }

  private async passStage(stage: StageSnapshot, why: string): Promise<void> {
    const run = this.current;
    stage.status = 'passed';
    stage.endedAt = run.isoNow();
    run.state.stageIndex += 1;
    const next = run.currentStage();
    await run.transition('stage-passed', `stage ${stage.name} passed (${why})${next ? `; promoting to ${next.name}` : ''}`, stage.name);
    await run.record('promote', {
      stage: stage.name,
      reason: next ? `promote from ${stage.name} to ${next.name} (${why})` : `final stage ${stage.name} passed (${why})`,
      evidence: stage.guardrails.flatMap((guardrail) => (guardrail.last ? [guardrail.last] : [])),
    });
  }

  private async finishPromoted(): Promise<void> {
    const run = this.current;
    run.state.status = 'promoted';
    await run.transition('promoted', `rollout promoted: ${run.state.candidateVersion} serves ${describeTraffic(run.state.traffic)}`);
    await run.record('rollout-end', { reason: 'promoted' });
  }

  private async enterPause(reason: string, actor: string, evidence: GuardrailMeasurement[]): Promise<void> {
    const run = this.current;
    const stage = run.currentStage();
    run.state.status = 'paused';
    run.state.pauseReason = reason;
    if (stage && stage.status !== 'passed') stage.status = 'paused';
    run.interrupt();
    await run.transition('paused', `paused: ${reason}`, stage?.name);
    await run.record('pause', { actor, ...(stage ? { stage: stage.name } : {}), reason, ...(evidence.length ? { evidence } : {}) });
  }
}

class Interrupted extends Error {}

/**
 * The traffic without the servers an HAProxy backend has but the plan does not name: they are no
 * other rollout's doing, and the first traffic change holds them at weight 0 and reports them. The
 * rest must still be one version at 100 % (rescaled, since the spare servers took a share).
 */
function withoutUnplannedServers(traffic: TrafficState): TrafficState {
  const planned = Object.entries(traffic.weights).filter(([version]) => !version.startsWith(UNPLANNED_PREFIX));
  if (planned.length === Object.keys(traffic.weights).length) return traffic;
  const total = planned.reduce((sum, [, weight]) => sum + weight, 0);
  const weights = Object.fromEntries(planned.map(([version, weight]) => [version, total > 0 ? (weight / total) * 100 : 0]));
  return { ...traffic, weights };
}
