// The bake/measure scheduler: while a stage bakes, measures each of its guardrails every
// interval of bake time, reports progress, and says what the measurements decided. It changes
// only the stage's bake time and guardrail states; the state machine acts on its outcome.
import { formatNumber, measureGuardrail, type GuardrailMeasurement, type MetricSource } from '../guardrails/evaluate';
import { decideJudgedRound } from '../guardrails/judgedStage';
import { GuardrailTracker } from '../guardrails/tracker';
import { parseDuration, type Guardrail } from '../plan/schema';
import type { RolloutRun } from './run';
import { bakeProgress, TREND_LENGTH, type GuardrailState, type StageSnapshot } from './state';

/** How a bake ended. A breach or inconclusive data carries the measurements that decided it. */
export type BakeOutcome = { kind: 'baked' } | { kind: 'interrupted' } | { kind: 'breach'; reason: string; evidence: GuardrailMeasurement[] } | { kind: 'inconclusive'; reason: string; evidence: GuardrailMeasurement[] };

interface DueGuardrail {
  state: GuardrailState;
  guardrail: Guardrail;
}

export class BakeScheduler {
  constructor(
    private readonly run: RolloutRun,
    private readonly metrics: MetricSource,
    private readonly guardrailsByName: ReadonlyMap<string, Guardrail>,
    /** The plan's names that guardrail queries may refer to (`{{metadata.name}}`, `{{model.name}}`). */
    private readonly planNames: { planName: string; modelName: string },
    /** How often baking progress is reported (ms); Infinity for none. */
    private readonly progressEveryMs: number,
  ) {}

  /** `measuring error-rate every 5s, p99 every 5s`, for the stage's first baking event. */
  describeMeasuring(stage: StageSnapshot): string {
    return stage.guardrails.map((state) => `${state.name} every ${this.guardrailsByName.get(state.name)?.interval ?? '?'}`).join(', ');
  }

  /**
   * Bakes a stage: measures each guardrail every interval until the bake time has passed and
   * every guardrail was measured at least once. Ends early when the stage stops baking (pause,
   * rollback) or a measurement decides (breach, inconclusive). With `hold`, the bake goes on
   * measuring past its time until `hold` aborts (a promotion gate decided): a canary that waits
   * for confirmation is still watched.
   */
  async bake(stage: StageSnapshot, hold?: AbortSignal): Promise<BakeOutcome> {
    const guardrails = stage.guardrails.map((state) => ({ state, guardrail: this.guardrailsByName.get(state.name) })).filter((entry): entry is DueGuardrail => entry.guardrail !== undefined);
    const trackers = new Map(guardrails.map(({ state, guardrail }) => [state.name, new GuardrailTracker(guardrail, state.consecutiveFailures)]));
    // Measurements taken while a guardrail's readings could only repeat (see `computeSteadyRest`).
    const steadyReadings = new Map<string, number>();
    const intervalOf = (guardrail: Guardrail) => Math.max(1, parseDuration(guardrail.interval) ?? 30_000);
    const progressEvery = this.progressEveryMs;
    const { clock } = this.run;
    let lastProgress = stage.bakeElapsedMs;

    for (;;) {
      const elapsed = stage.bakeElapsedMs;
      // A compare guardrail still collecting samples has not given its verdict yet.
      const allMeasured = guardrails.every(({ state }) => state.measurements > 0 && !isCollecting(state));
      if (elapsed >= stage.bakeMs && allMeasured) {
        const judged = this.judgeFinal(stage, guardrails);
        if (judged) return judged;
        // Held by a promotion gate: the stage stays measured (and judged) until the gate decides.
        if (!hold || hold.aborted) return { kind: 'baked' };
      }
      // Measurements fall on whole intervals of bake time; one that is overdue (after a restart) runs at once.
      const dueAt = (guardrail: Guardrail, state: GuardrailState) => (state.measurements + 1) * intervalOf(guardrail);
      const candidates = guardrails.map(({ guardrail, state }) => dueAt(guardrail, state));
      if (elapsed < stage.bakeMs) candidates.push(stage.bakeMs);
      if (Number.isFinite(progressEvery)) candidates.push(lastProgress + progressEvery);
      // While held with nothing to measure, wake now and then rather than never.
      const target = Math.max(elapsed, Math.min(...candidates, hold ? elapsed + 60_000 : Number.POSITIVE_INFINITY));

      const signal = hold ? AbortSignal.any([this.run.wakeSignal, hold]) : this.run.wakeSignal;
      const sleptFrom = clock.now();
      await clock.sleep(target - elapsed, signal);
      if (!this.stillBaking(stage)) return { kind: 'interrupted' };
      // Count the time that really passed (a woken sleep is shorter), but never beyond the target.
      stage.bakeElapsedMs = Math.min(target, elapsed + Math.max(0, clock.now() - sleptFrom));
      if (signal.aborted && stage.bakeElapsedMs < target) continue;
      stage.bakeElapsedMs = target;

      const due = guardrails.filter(({ guardrail, state }) => dueAt(guardrail, state) <= target);
      if (due.length > 0) {
        const measuringFrom = clock.now();
        const steadyBefore = new Map(due.map(({ state }) => [state.name, this.metrics.isSteady?.(state.name) === true]));
        const outcome = await this.measure(stage, due, trackers);
        if (outcome) return outcome;
        for (const { state } of due) if (steadyBefore.get(state.name)) steadyReadings.set(state.name, (steadyReadings.get(state.name) ?? 0) + 1);
        // The bake's end (and a judged stage's final verdict) is then reached on the next turn.
        if (await this.computeSteadyRest(stage, guardrails, steadyReadings, intervalOf)) continue;
        // Query time is bake time too; without this, each measurement would push the next one later.
        stage.bakeElapsedMs += Math.max(0, clock.now() - measuringFrom);
      }
      if (target - lastProgress >= progressEvery || due.length > 0) {
        lastProgress = target;
        await this.run.transition('baking', `stage ${stage.name} baking ${Math.round(bakeProgress(stage) * 100)}%`, stage.name);
      }
    }
  }

  /**
   * When every guardrail's readings can only repeat (a dry run's recording is used up, or it has
   * no metrics) and each has repeated `failureLimit` times without deciding, the rest of the bake
   * cannot decide either: its measurements are counted and its time passed at once, instead of
   * being stepped through one by one (a week-long bake measured every second would take minutes
   * and gigabytes). Returns true when it finished the bake so. Never for a live source.
   */
  private async computeSteadyRest(stage: StageSnapshot, guardrails: DueGuardrail[], steadyReadings: ReadonlyMap<string, number>, intervalOf: (guardrail: Guardrail) => number): Promise<boolean> {
    if (!this.metrics.isSteady || stage.bakeElapsedMs >= stage.bakeMs) return false;
    // A compare guardrail still collecting samples is stepped through: its window grows with time.
    const settled = guardrails.every(({ state, guardrail }) => this.metrics.isSteady!(state.name) && !isCollecting(state) && (steadyReadings.get(state.name) ?? 0) >= guardrail.failureLimit);
    if (!settled || !this.stillBaking(stage)) return false;
    const remaining = stage.bakeMs - stage.bakeElapsedMs;
    await this.run.clock.sleep(remaining, this.run.wakeSignal);
    if (!this.stillBaking(stage)) return false;
    for (const { state, guardrail } of guardrails) state.measurements = Math.max(state.measurements, Math.floor(stage.bakeMs / intervalOf(guardrail)));
    stage.bakeElapsedMs = stage.bakeMs;
    await this.run.transition('baking', `stage ${stage.name} baking 100% (the rest of the bake would repeat the same readings: computed, not stepped through)`, stage.name);
    return true;
  }

  /** A judged stage after a round of measurements: only critical guardrails and the score decide. */
  private judgeRound(stage: StageSnapshot, evidence: GuardrailMeasurement[]): BakeOutcome | undefined {
    const { decision, judge } = decideJudgedRound(this.judgedEntries(stage), stage.judge!, false);
    stage.judgement = judge;
    if (decision.action === 'breach') return { kind: 'breach', reason: `guardrail breach in stage ${stage.name}: ${decision.reason}`, evidence };
    if (decision.action === 'pause') return { kind: 'inconclusive', reason: `inconclusive in stage ${stage.name}: ${decision.reason}`, evidence };
    return undefined;
  }

  /** A judged stage at the end of its bake: pass, fail, or pause for a person (unless they already accepted a marginal score). */
  private judgeFinal(stage: StageSnapshot, guardrails: DueGuardrail[]): BakeOutcome | undefined {
    if (!stage.judge) return undefined;
    const { decision, judge } = decideJudgedRound(this.judgedEntries(stage), stage.judge, true);
    stage.judgement = judge;
    const evidence = guardrails.flatMap(({ state }) => (state.last ? [state.last] : []));
    this.run.emit('measured', `stage ${stage.name} judged: ${judge.reason}`, stage.name);
    if (decision.action === 'breach') return { kind: 'breach', reason: `guardrail breach in stage ${stage.name}: ${decision.reason}`, evidence };
    if (decision.action === 'pause' && !(judge.verdict === 'marginal' && stage.marginalAccepted)) {
      return { kind: 'inconclusive', reason: `stage ${stage.name} ${decision.reason}`, evidence };
    }
    return undefined;
  }

  private judgedEntries(stage: StageSnapshot) {
    return stage.guardrails.flatMap((state) => {
      const guardrail = this.guardrailsByName.get(state.name);
      return guardrail ? [{ guardrail, ...(state.last ? { last: state.last } : {}), ...(state.lastVerdict ? { verdict: state.lastVerdict } : {}) }] : [];
    });
  }

  private stillBaking(stage: StageSnapshot): boolean {
    return this.run.state.status === 'running' && stage.status === 'baking';
  }

  /**
   * Measures the due guardrails at once and applies `failureLimit`, `onNoData` and `dryRun`.
   * Returns the outcome when the measurements decide (or no longer count), else undefined. A
   * guardrail kind's measurement plugs in at {@link measureGuardrail}.
   */
  private async measure(stage: StageSnapshot, due: DueGuardrail[], trackers: Map<string, GuardrailTracker>): Promise<BakeOutcome | undefined> {
    const { state: run, clock } = this.run;
    const context = { candidateVersion: run.candidateVersion, baselineVersion: run.baselineVersion, service: run.service, ...this.planNames };
    const bakeStartedAt = stage.startedAt !== undefined ? Date.parse(stage.startedAt) : undefined;
    const options = {
      now: () => clock.now(),
      ...(bakeStartedAt !== undefined && !Number.isNaN(bakeStartedAt) ? { bakeStartedAt } : {}),
      collecting: stage.bakeElapsedMs < stage.bakeMs,
    };
    const measurements = await Promise.all(due.map(({ guardrail }) => measureGuardrail(guardrail, context, this.metrics, options)));
    // A pause or rollback may have happened while the queries were in flight: then they no longer decide.
    if (!this.stillBaking(stage)) return { kind: 'interrupted' };

    const breaches: GuardrailMeasurement[] = [];
    const inconclusive: GuardrailMeasurement[] = [];
    due.forEach(({ state }, index) => {
      const measurement = measurements[index]!;
      const tracker = trackers.get(state.name)!;
      const verdict = tracker.record(measurement);
      state.consecutiveFailures = tracker.countedFailures;
      state.measurements += 1;
      state.last = measurement;
      state.lastVerdict = verdict;
      state.trend = [...state.trend, measurement.noData || measurement.value === undefined ? null : measurement.value].slice(-TREND_LENGTH);
      state.history = [...(state.history ?? []), { at: measurement.at, value: measurement.noData || measurement.value === undefined ? null : measurement.value, outcome: measurement.outcome }].slice(-TREND_LENGTH);
      if (verdict === 'breach') breaches.push(measurement);
      if (verdict === 'inconclusive') inconclusive.push(measurement);
      this.run.emit('measured', `${state.name}: ${measurement.outcome}${measurement.dryRun ? ' (dryRun, not deciding)' : ''}: ${measurement.reason}`, stage.name, measurement);
    });

    const listed = (decided: GuardrailMeasurement[]) => decided.map((m) => `${m.guardrail} ${m.reason}`).join('; ');
    if (stage.judge) {
      const judged = this.judgeRound(stage, measurements);
      if (judged) return judged;
    } else {
      if (breaches.length > 0) return { kind: 'breach', reason: `guardrail breach in stage ${stage.name}: ${listed(breaches)}`, evidence: measurements };
      if (inconclusive.length > 0) return { kind: 'inconclusive', reason: `inconclusive in stage ${stage.name}: ${listed(inconclusive)}`, evidence: measurements };
    }
    // Every measurement round is recorded (reports chart them, a judged stage with its score); one
    // that decided is recorded as the breach or pause it led to, without a separate entry before it.
    await this.run.record('guardrail-measurement', { stage: stage.name, evidence: measurements });
    // The state is persisted by the progress transition that follows every measurement.
    return undefined;
  }
}

/** True while a compare guardrail reports that it is still collecting samples. */
function isCollecting(state: GuardrailState): boolean {
  return state.last?.collecting === true;
}

/** `30s`, `1.5s`: a bake time for messages. */
export function formatBakeTime(ms: number): string {
  if (ms === 0) return '0s';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${formatNumber(ms / 1000)}s`;
}
