import { randomUUID } from 'node:crypto';
import { formatNumber, measureGuardrail, type GuardrailMeasurement, type MetricSource } from '../guardrails/evaluate';
import { GuardrailTracker } from '../guardrails/tracker';
import { parseDuration, type Guardrail, type Plan } from '../plan/schema';
import { systemClock, type ChangeAction, type ChangeEntry, type ChangeLog, type Clock, type RolloutLineage, type TrafficControl, type TrafficState } from './ports';
import {
  FINISHED_STATUSES,
  MemoryStateStore,
  TREND_LENGTH,
  type GuardrailState,
  type RolloutSnapshot,
  type RolloutStatus,
  type StageSnapshot,
  type StateStore,
} from './state';
import { planLineage, rollbackTarget } from './planFacts';
import { describeTraffic, rollbackTraffic, sameTraffic, stageTraffic } from './traffic';

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
  | 'approved'
  | 'stage-passed'
  | 'promoted'
  | 'paused'
  | 'resumed'
  | 'rollback-started'
  | 'rollback-retry'
  | 'rolled-back'
  | 'rollback-failed'
  | 'ledger-error';

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

/** Everything the engine needs; only `plan`, `traffic` and `metrics` are required. */
export interface RolloutEngineOptions {
  plan: Plan;
  /** `sha256:<hex>` of the plan text; recorded in the state and in every ledger entry. */
  planDigest: string;
  traffic: TrafficControl;
  metrics: MetricSource;
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
}

/** Thrown by {@link RolloutEngine.create} when the service has an unfinished rollout of another plan. */
export class RolloutConflictError extends Error {
  constructor(readonly stored: RolloutSnapshot) {
    super(
      `service ${stored.service} has an unfinished rollout (${stored.status}, stage ${stored.stages[stored.stageIndex]?.name ?? 'end'}) of plan ${stored.planName} with another digest (${stored.planDigest}); finish it, or restart to discard it`,
    );
    this.name = 'RolloutConflictError';
  }
}

/** The result of {@link RolloutEngine.rollbackNow}. */
export interface RollbackResult {
  ok: boolean;
  to: string;
  attempts: number;
  error?: string;
}

const isFinished = (status: RolloutStatus) => FINISHED_STATUSES.includes(status);

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Only errors explicitly marked permanent (a 4xx, say) stop rollback retries. */
function isPermanent(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const marked = error as { transient?: unknown; retryable?: unknown };
  return marked.transient === false || marked.retryable === false;
}

/**
 * Drives one plan's stages against the deployment endpoint: sets traffic or mirror, bakes
 * while measuring guardrails every interval, waits at manual gates, promotes; rolls back to
 * the declared baseline on a breach (or pauses when rollback is not automatic); pauses on
 * inconclusive data. Persists its state after every transition so a new engine resumes.
 *
 * Create with {@link RolloutEngine.create}, drive with {@link run}, steer with
 * {@link pause}, {@link resume}, {@link approve} and {@link rollbackNow}, watch with {@link onEvent}.
 */
export class RolloutEngine {
  private readonly listeners = new Set<RolloutListener>();
  private readonly clock: Clock;
  private readonly store: StateStore;
  private readonly actor: string;
  private readonly lineage: RolloutLineage;
  private readonly guardrailsByName: Map<string, Guardrail>;
  private wake = new AbortController();
  private driving = false;
  /** Serialises every call that changes traffic, so a rollback can never be overtaken by a stage's traffic change. */
  private trafficQueue: Promise<unknown> = Promise.resolve();
  private rollbackInFlight: Promise<RollbackResult> | undefined;
  /** Set while an outside operation is changing the state; the driving loop waits for it. */
  private heldBy: Promise<void> | undefined;

  private constructor(
    private readonly options: RolloutEngineOptions,
    private state: RolloutSnapshot,
    /** True when the state came from a previous runner. */
    readonly resumedFromStore: boolean,
  ) {
    this.clock = options.clock ?? systemClock;
    this.store = options.stateStore ?? new MemoryStateStore();
    this.actor = options.actor ?? 'rollgate';
    const { plan } = options;
    this.guardrailsByName = new Map(plan.guardrails.map((guardrail) => [guardrail.name, guardrail]));
    this.lineage = planLineage(plan);
  }

  /**
   * Loads the service's stored state: an unfinished rollout of the same plan (same digest) is
   * resumed, a finished one is reported as it stood until `restart` is set, another plan's
   * unfinished rollout raises {@link RolloutConflictError}. Otherwise a fresh rollout is prepared.
   */
  static async create(options: RolloutEngineOptions): Promise<RolloutEngine> {
    const store = options.stateStore ?? new MemoryStateStore();
    const clock = options.clock ?? systemClock;
    const stored = options.restart ? undefined : await store.load(options.plan.metadata.service);
    if (stored && stored.planDigest === options.planDigest) return new RolloutEngine({ ...options, stateStore: store }, stored, true);
    if (stored && !isFinished(stored.status)) throw new RolloutConflictError(stored);
    const engine = new RolloutEngine({ ...options, stateStore: store }, initialState(options.plan, options.planDigest, clock.now()), false);
    await engine.persist();
    return engine;
  }

  /** A copy of the current state. */
  snapshot(): RolloutSnapshot {
    return structuredClone(this.state);
  }

  /** Subscribes to events; returns the unsubscribe function. Listeners run synchronously. */
  onEvent(listener: RolloutListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
  async pause(reason = 'paused by a person', actor = this.actor): Promise<boolean> {
    if (this.state.status !== 'running' && this.state.status !== 'waiting-approval') return false;
    await this.enterPause(reason, actor, []);
    return true;
  }

  /**
   * Resumes a paused rollout. Failure counts of the current stage start again from zero: a
   * person looked and decided to carry on. Call {@link run} again if nothing is driving.
   */
  async resume(actor = this.actor): Promise<boolean> {
    if (this.state.status !== 'paused') return false;
    const stage = this.currentStage();
    this.state.status = 'running';
    delete this.state.pauseReason;
    if (stage) {
      stage.status = stage.trafficApplied ? 'baking' : 'pending';
      for (const guardrail of stage.guardrails) guardrail.consecutiveFailures = 0;
    }
    await this.holdingTheRun(async () => {
      await this.transition('resumed', 'resumed', stage?.name);
      await this.record('resume', { actor, ...(stage ? { stage: stage.name } : {}), reason: 'resumed' });
    });
    return true;
  }

  /** Passes the manual gate the rollout waits at. Returns false when it is not waiting. */
  async approve(actor = this.actor): Promise<boolean> {
    if (this.state.status !== 'waiting-approval') return false;
    const stage = this.currentStage();
    if (!stage) return false;
    this.state.status = 'running';
    await this.holdingTheRun(async () => {
      this.emit('approved', `${actor} approved promotion after stage ${stage.name}`, stage.name);
      await this.record('approve', { actor, stage: stage.name, reason: `approved promotion after ${stage.name}` });
      await this.passStage(stage, `approved by ${actor}`);
    });
    return true;
  }

  /**
   * Rolls back to the plan's rollback target at once, from any state (also after promotion):
   * one idempotency-keyed call, retried on transient failure. Stops any bake in progress.
   */
  async rollbackNow(reason: string, actor = this.actor): Promise<RollbackResult> {
    return this.performRollback(reason, actor, []);
  }

  // ---------------------------------------------------------------------------------------

  private async drive(): Promise<void> {
    const unfinished = this.state.rollback;
    if (this.state.status === 'rolling-back' && unfinished && !unfinished.completedAt && !this.rollbackInFlight) {
      // A previous runner stopped mid-rollback: finish it with the same idempotency key.
      this.rollbackInFlight = this.sendRollback(unfinished.reason, unfinished.actor, [], unfinished.idempotencyKey).finally(() => {
        this.rollbackInFlight = undefined;
      });
    }
    if (this.state.status === 'pending') {
      this.state.status = 'running';
      await this.transition('started', `rollout of ${this.state.candidateVersion} (baseline ${this.state.baselineVersion}) started`);
      await this.record('rollout-start', { reason: `plan ${this.state.planName}` });
    } else if (!isFinished(this.state.status)) {
      this.emit('resumed-run', `continuing from stage ${this.currentStage()?.name ?? 'end'} (${this.state.status})`);
    }

    for (;;) {
      // An approve or resume that is still recording has changed the state only halfway.
      while (this.heldBy) await this.heldBy;
      const status = this.state.status;
      if (status === 'rolling-back') {
        // Resolve with the rollback's outcome, not with a half-done state.
        await this.rollbackInFlight;
        return;
      }
      if (isFinished(status)) return;
      if (status === 'paused' || status === 'waiting-approval') {
        if (status === 'waiting-approval' && this.options.autoApprove) {
          await this.approve(`${this.actor} (--yes)`);
          continue;
        }
        if (!this.options.waitForPeople) return;
        await this.waitForChange();
        continue;
      }
      const stage = this.currentStage();
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
    if (!stage.startedAt) {
      stage.startedAt = this.isoNow();
      stage.status = 'running';
      await this.transition('stage-started', `stage ${stage.name} started`, stage.name);
    }
    if (!stage.trafficApplied) {
      const wanted = stageTraffic(stage, this.state.candidateVersion, this.state.baselineVersion);
      if (wanted) {
        const applied = await this.applyTraffic(stage, wanted);
        if (!applied) return;
      }
      stage.trafficApplied = true;
      if (this.state.status !== 'running') {
        // Paused or rolled back while the call was in flight: the traffic is set, the bake waits.
        await this.persist();
        return;
      }
      stage.status = 'baking';
      const measuring = stage.guardrails
        .map((state) => `${state.name} every ${this.guardrailsByName.get(state.name)?.interval ?? '?'}`)
        .join(', ');
      await this.transition('baking', `stage ${stage.name} baking for ${formatMs(stage.bakeMs)}${measuring ? `, measuring ${measuring}` : ''}`, stage.name);
    }
    stage.status = 'baking';
    const finished = await this.bake(stage);
    if (!finished || this.state.status !== 'running') return;
    if (stage.approval === 'manual') {
      stage.status = 'waiting-approval';
      this.state.status = 'waiting-approval';
      await this.transition('waiting-approval', `stage ${stage.name} passed its bake; waiting for approval to promote`, stage.name);
      return;
    }
    await this.passStage(stage, 'bake passed');
  }

  /** Sends a stage's traffic; a failure pauses the rollout (a person decides) and returns false. */
  private async applyTraffic(stage: StageSnapshot, wanted: TrafficState): Promise<boolean> {
    const from = this.state.traffic;
    if (from && !(await this.trafficStillOurs(stage, from))) return false;
    try {
      await this.serialiseTraffic(async () => {
        if (this.state.status !== 'running') throw new Interrupted();
        await this.options.traffic.setTraffic(wanted.weights, wanted.mirror, {
          idempotencyKey: `${this.state.runId}:${stage.name}:traffic`,
        });
      });
    } catch (error) {
      if (error instanceof Interrupted) return false;
      await this.enterPause(`could not set traffic for stage ${stage.name}: ${errorMessage(error)}`, this.actor, []);
      return false;
    }
    this.state.traffic = wanted;
    await this.transition('traffic-set', `traffic set: ${describeTraffic(wanted)}`, stage.name);
    await this.record('traffic-change', { stage: stage.name, ...(from ? { from } : {}), to: wanted, reason: `stage ${stage.name}` });
    return true;
  }

  /**
   * Before changing traffic, checks that the endpoint still shows what this rollout last set. If
   * someone changed it meanwhile (a rollback from a runbook, another tool, a person), stepping on
   * to the next stage would undo their change, perhaps a rollback during an incident: the rollout
   * pauses instead, and takes the endpoint's traffic as its own so a resume goes on from there.
   * An endpoint that cannot be read does not block: the traffic change itself will fail and say so.
   */
  private async trafficStillOurs(stage: StageSnapshot, expected: TrafficState): Promise<boolean> {
    let current: TrafficState;
    try {
      current = await this.options.traffic.getState();
    } catch {
      return true;
    }
    if (sameTraffic(current, expected) || this.state.status !== 'running') return true;
    this.state.traffic = current;
    await this.enterPause(
      `traffic was changed outside this rollout: the deployment endpoint shows ${describeTraffic(current)}, this rollout last set ${describeTraffic(expected)}. ` +
        `Nothing was changed. Resume to go on with stage ${stage.name} (it sets its own traffic), or start over.`,
      this.actor,
      [],
    );
    return false;
  }

  /**
   * Bakes a stage: measures each guardrail every interval until the bake time has passed and
   * every guardrail was measured at least once. Returns false when interrupted (pause,
   * rollback, breach, inconclusive).
   */
  private async bake(stage: StageSnapshot): Promise<boolean> {
    const guardrails = stage.guardrails
      .map((state) => ({ state, guardrail: this.guardrailsByName.get(state.name) }))
      .filter((entry): entry is { state: GuardrailState; guardrail: Guardrail } => entry.guardrail !== undefined);
    const trackers = new Map(guardrails.map(({ state, guardrail }) => [state.name, new GuardrailTracker(guardrail, state.consecutiveFailures)]));
    const intervalOf = (guardrail: Guardrail) => Math.max(1, parseDuration(guardrail.interval) ?? 30_000);
    const progressEvery = this.options.progressIntervalMs ?? 1000;
    let lastProgress = stage.bakeElapsedMs;

    for (;;) {
      const elapsed = stage.bakeElapsedMs;
      const allMeasured = guardrails.every(({ state }) => state.measurements > 0);
      if (elapsed >= stage.bakeMs && allMeasured) return true;
      // Measurements fall on whole intervals of bake time; one that is overdue (after a restart) runs at once.
      const dueAt = (guardrail: Guardrail, state: GuardrailState) => (state.measurements + 1) * intervalOf(guardrail);
      const candidates = guardrails.map(({ guardrail, state }) => dueAt(guardrail, state));
      if (elapsed < stage.bakeMs) candidates.push(stage.bakeMs);
      if (Number.isFinite(progressEvery)) candidates.push(lastProgress + progressEvery);
      const target = Math.max(elapsed, Math.min(...candidates));

      const signal = this.wake.signal;
      const sleptFrom = this.clock.now();
      await this.clock.sleep(target - elapsed, signal);
      if (this.state.status !== 'running' || stage.status !== 'baking') return false;
      // Count the time that really passed (a woken sleep is shorter), but never beyond the target.
      stage.bakeElapsedMs = Math.min(target, elapsed + Math.max(0, this.clock.now() - sleptFrom));
      if (signal.aborted && stage.bakeElapsedMs < target) continue;
      stage.bakeElapsedMs = target;

      const due = guardrails.filter(({ guardrail, state }) => dueAt(guardrail, state) <= target);
      if (due.length > 0) {
        const measuringFrom = this.clock.now();
        const verdict = await this.measure(stage, due, trackers);
        if (verdict === 'stop') return false;
        // Query time is bake time too; without this, each measurement would push the next one later.
        stage.bakeElapsedMs += Math.max(0, this.clock.now() - measuringFrom);
      }
      if (target - lastProgress >= progressEvery || due.length > 0) {
        lastProgress = target;
        await this.transition('baking', `stage ${stage.name} baking ${Math.round(progressOf(stage) * 100)}%`, stage.name);
      }
    }
  }

  private async measure(
    stage: StageSnapshot,
    due: { state: GuardrailState; guardrail: Guardrail }[],
    trackers: Map<string, GuardrailTracker>,
  ): Promise<'continue' | 'stop'> {
    const context = {
      candidateVersion: this.state.candidateVersion,
      baselineVersion: this.state.baselineVersion,
      service: this.state.service,
    };
    const measurements = await Promise.all(
      due.map(({ guardrail }) => measureGuardrail(guardrail, context, this.options.metrics, { now: () => this.clock.now() })),
    );
    // A pause or rollback may have happened while the queries were in flight: then they no longer decide.
    if (this.state.status !== 'running' || stage.status !== 'baking') return 'stop';

    const breaches: GuardrailMeasurement[] = [];
    const inconclusive: GuardrailMeasurement[] = [];
    due.forEach(({ state }, index) => {
      const measurement = measurements[index]!;
      const tracker = trackers.get(state.name)!;
      const verdict = tracker.record(measurement);
      state.consecutiveFailures = tracker.consecutiveFailures;
      state.measurements += 1;
      state.last = measurement;
      state.trend = [...state.trend, measurement.noData || measurement.value === undefined ? null : measurement.value].slice(-TREND_LENGTH);
      if (verdict === 'breach') breaches.push(measurement);
      if (verdict === 'inconclusive') inconclusive.push(measurement);
      this.emit('measured', `${state.name}: ${measurement.outcome}${measurement.dryRun ? ' (dryRun, not deciding)' : ''}: ${measurement.reason}`, stage.name, measurement);
    });

    if (breaches.length > 0) {
      const reason = `guardrail breach in stage ${stage.name}: ${breaches.map((m) => `${m.guardrail} ${m.reason}`).join('; ')}`;
      stage.status = 'failed';
      await this.transition('breach', reason, stage.name);
      // The breach entry is written while the rollback call is already on its way: seconds
      // matter here, and the rollback entry still lands after it.
      const breachRecorded = this.record('guardrail-breach', { stage: stage.name, reason, evidence: measurements });
      if (this.state.automaticRollback) {
        await this.performRollback(reason, this.actor, measurements, breachRecorded);
      } else {
        await breachRecorded;
        await this.enterPause(`${reason}; rollback.automatic is false: roll back or resume`, this.actor, measurements);
      }
      return 'stop';
    }
    if (inconclusive.length > 0) {
      const reason = `inconclusive in stage ${stage.name}: ${inconclusive.map((m) => `${m.guardrail} ${m.reason}`).join('; ')}`;
      this.emit('inconclusive', reason, stage.name);
      await this.enterPause(reason, this.actor, measurements);
      return 'stop';
    }
    // Persisted by the progress transition that follows every measurement.
    return 'continue';
  }

  private async passStage(stage: StageSnapshot, why: string): Promise<void> {
    stage.status = 'passed';
    stage.endedAt = this.isoNow();
    this.state.stageIndex += 1;
    const next = this.currentStage();
    await this.transition('stage-passed', `stage ${stage.name} passed (${why})${next ? `; promoting to ${next.name}` : ''}`, stage.name);
    await this.record('promote', {
      stage: stage.name,
      reason: next ? `promote from ${stage.name} to ${next.name} (${why})` : `final stage ${stage.name} passed (${why})`,
      evidence: stage.guardrails.flatMap((guardrail) => (guardrail.last ? [guardrail.last] : [])),
    });
  }

  private async finishPromoted(): Promise<void> {
    this.state.status = 'promoted';
    await this.transition('promoted', `rollout promoted: ${this.state.candidateVersion} serves ${describeTraffic(this.state.traffic)}`);
    await this.record('rollout-end', { reason: 'promoted' });
  }

  private async enterPause(reason: string, actor: string, evidence: GuardrailMeasurement[]): Promise<void> {
    const stage = this.currentStage();
    this.state.status = 'paused';
    this.state.pauseReason = reason;
    if (stage && stage.status !== 'passed') stage.status = 'paused';
    this.interrupt();
    await this.transition('paused', `paused: ${reason}`, stage?.name);
    await this.record('pause', { actor, ...(stage ? { stage: stage.name } : {}), reason, ...(evidence.length ? { evidence } : {}) });
  }

  private performRollback(reason: string, actor: string, evidence: GuardrailMeasurement[], recordedBefore?: Promise<void>): Promise<RollbackResult> {
    // Two "roll back now" presses (or a press during an automatic rollback) make one call.
    if (this.rollbackInFlight) return this.rollbackInFlight;
    // Each new rollback action has its own key (also after a restart); retries of one action reuse it.
    const idempotencyKey = `${this.state.runId}:rollback:${randomUUID()}`;
    const inFlight = this.sendRollback(reason, actor, evidence, idempotencyKey, recordedBefore).finally(() => {
      this.rollbackInFlight = undefined;
    });
    this.rollbackInFlight = inFlight;
    return inFlight;
  }

  private async sendRollback(
    reason: string,
    actor: string,
    evidence: GuardrailMeasurement[],
    idempotencyKey: string,
    recordedBefore: Promise<void> = Promise.resolve(),
  ): Promise<RollbackResult> {
    const to = this.state.rollbackTo;
    const from = this.state.traffic;
    const stage = this.currentStage();
    this.state.status = 'rolling-back';
    this.state.rollback = { to, reason, actor, idempotencyKey, requestedAt: this.isoNow(), attempts: 0 };
    this.interrupt();
    await this.transition('rollback-started', `rolling back to ${to}: ${reason}`, stage?.name);

    const attempts = Math.max(1, this.options.rollbackAttempts ?? 6);
    let delay = this.options.rollbackRetryDelayMs ?? 200;
    let lastError: unknown;
    const record = this.state.rollback;
    const sent = await this.serialiseTraffic(async () => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        record.attempts = attempt;
        try {
          await this.options.traffic.rollback(to, reason, { idempotencyKey });
          return true;
        } catch (error) {
          lastError = error;
          if (isPermanent(error) || attempt === attempts) return false;
          this.emit('rollback-retry', `rollback attempt ${attempt} failed (${errorMessage(error)}); retrying in ${delay} ms`, stage?.name);
          await this.clock.sleep(delay);
          delay = Math.min(delay * 2, 2000);
        }
      }
      return false;
    });

    await recordedBefore;
    if (sent) {
      record.completedAt = this.isoNow();
      this.state.status = 'rolled-back';
      this.state.traffic = rollbackTraffic(to);
      if (stage && stage.status !== 'passed') {
        stage.status = 'rolled-back';
        stage.endedAt = record.completedAt;
      }
      await this.transition('rolled-back', `rolled back to ${to} (${record.attempts} attempt${record.attempts === 1 ? '' : 's'}): ${reason}`, stage?.name);
      await this.record('rollback', { actor, ...(stage ? { stage: stage.name } : {}), ...(from ? { from } : {}), to: this.state.traffic, reason, ...(evidence.length ? { evidence } : {}) });
      await this.record('rollout-end', { actor, reason: `rolled back to ${to}` });
      return { ok: true, to, attempts: record.attempts };
    }

    record.error = errorMessage(lastError);
    this.state.status = 'failed';
    if (stage && stage.status !== 'passed') stage.status = 'failed';
    await this.transition(
      'rollback-failed',
      `ROLLBACK FAILED after ${record.attempts} attempt${record.attempts === 1 ? '' : 's'}: ${record.error}. Traffic may still reach ${this.state.candidateVersion}; roll back by hand to ${to} now.`,
      stage?.name,
    );
    await this.record('rollback', { actor, ...(stage ? { stage: stage.name } : {}), ...(from ? { from } : {}), reason: `${reason}; FAILED: ${record.error}`, outcome: 'failed', ...(evidence.length ? { evidence } : {}) });
    return { ok: false, to, attempts: record.attempts, error: record.error };
  }

  private serialiseTraffic<T>(action: () => Promise<T>): Promise<T> {
    const result = this.trafficQueue.then(action, action);
    this.trafficQueue = result.catch(() => undefined);
    return result;
  }

  private currentStage(): StageSnapshot | undefined {
    return this.state.stages[this.state.stageIndex];
  }

  /** Wakes a sleeping bake or a run waiting for people. */
  private interrupt(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  private waitForChange(): Promise<void> {
    const signal = this.wake.signal;
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  private async transition(kind: RolloutEventKind, message: string, stage?: string): Promise<void> {
    await this.persist();
    this.emit(kind, message, stage);
    // Operations called from outside (approve, resume) must wake a run that waits for people.
    if (kind === 'resumed' || kind === 'stage-passed') this.interrupt();
  }

  private async persist(): Promise<void> {
    this.state.updatedAt = this.isoNow();
    await this.store.save(structuredClone(this.state));
  }

  private emit(kind: RolloutEventKind, message: string, stage?: string, measurement?: GuardrailMeasurement): void {
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

  private async record(
    action: ChangeAction,
    details: Partial<Omit<ChangeEntry, 'action' | 'service' | 'planDigest' | 'lineage' | 'runId'>>,
  ): Promise<void> {
    if (!this.options.changeLog) return;
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
    try {
      await this.options.changeLog.append(entry);
    } catch (error) {
      // The action already happened; losing its record is serious but must not undo or block it.
      this.emit('ledger-error', `could not write ${action} to the ledger: ${errorMessage(error)}`, details.stage);
    }
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

class Interrupted extends Error {}

function progressOf(stage: StageSnapshot): number {
  return stage.bakeMs === 0 ? 1 : Math.min(1, stage.bakeElapsedMs / stage.bakeMs);
}

function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${formatNumber(ms / 1000)}s`;
}

function initialState(plan: Plan, planDigest: string, now: number): RolloutSnapshot {
  const iso = new Date(now).toISOString();
  const rollbackTo = rollbackTarget(plan);
  return {
    schema: 1,
    runId: randomUUID(),
    service: plan.metadata.service,
    planName: plan.metadata.name,
    planDigest,
    candidateVersion: plan.model.candidate.version,
    baselineVersion: plan.model.baseline.version,
    rollbackTo,
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
    })),
    startedAt: iso,
    updatedAt: iso,
  };
}
