// The rollback sender: the one place a rollback call is sent and retried. The engine's automatic
// and "roll back now" rollbacks go through {@link RollbackSender} (which also keeps the run's
// state and ledger); a manual rollback with no engine uses {@link sendRollbackWithRetries} alone.
import { randomUUID } from 'node:crypto';

import { describeFlagChanges, describeFlagFailures, type FlagStepResult } from '../flags/rolloutFlags';
import type { GuardrailMeasurement } from '../guardrails/evaluate';
import { errorMessage } from '../errors';
import type { MutationOptions, TrafficControl } from './ports';
import type { RolloutRun } from './run';
import { rollbackTraffic } from './traffic';

/** How often a rollback is tried: `attempts` in all, waiting `firstDelayMs`, doubling up to `maxDelayMs`. */
export interface RollbackRetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** The engine's policy (docs/rollouts.md): 6 attempts, 200 ms doubling to at most 2 s. */
export const ENGINE_ROLLBACK_RETRIES: RollbackRetryPolicy = { attempts: 6, firstDelayMs: 200, maxDelayMs: 2000 };

/** The result of a rollback action. */
export interface RollbackResult {
  ok: boolean;
  to: string;
  attempts: number;
  error?: string;
  /** The plan's feature flags after the rollback; `ok: false` when some must be set by hand. */
  flags?: { ok: boolean; manual: string[] };
}

/** Only errors explicitly marked permanent (a 4xx, say) stop rollback retries. */
export function isPermanent(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const marked = error as { transient?: unknown; retryable?: unknown };
  return marked.transient === false || marked.retryable === false;
}

export interface RetryHooks {
  sleep(ms: number): Promise<void>;
  /** Before each attempt (1-based). */
  onAttempt?(attempt: number): void;
  /** After a failed attempt that will be retried. */
  onRetry?(attempt: number, error: unknown, delayMs: number): void;
}

/**
 * Sends one rollback, retrying transient failures with the same idempotency key (so a repeat
 * changes nothing); a permanent failure stops at once. Never throws: the result says.
 */
export async function sendRollbackWithRetries(
  traffic: Pick<TrafficControl, 'rollback'>,
  call: { to: string; reason: string } & MutationOptions,
  policy: RollbackRetryPolicy,
  hooks: RetryHooks,
): Promise<{ ok: boolean; attempts: number; error?: unknown }> {
  const attempts = Math.max(1, policy.attempts);
  let delay = policy.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    hooks.onAttempt?.(attempt);
    try {
      await traffic.rollback(call.to, call.reason, { idempotencyKey: call.idempotencyKey, ...(call.signal ? { signal: call.signal } : {}) });
      return { ok: true, attempts: attempt };
    } catch (error) {
      if (isPermanent(error) || attempt >= attempts) return { ok: false, attempts: attempt, error };
      hooks.onRetry?.(attempt, error, delay);
      await hooks.sleep(delay);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}

/** A rollback's feature flags: put back as the plan says, after the traffic (docs/flags.md). */
export interface RollbackFlags {
  describe(): string;
  /** Never throws: failures are in the result, with what to set by hand. */
  restore(): Promise<FlagStepResult>;
}

/**
 * The engine's rollbacks: one in flight at a time (two presses make one call), every traffic
 * call serialised behind it, the run's state and ledger kept through it, and an interrupted
 * rollback finished with its own idempotency key after a restart.
 */
export class RollbackSender {
  /** Serialises every call that changes traffic, so a rollback can never be overtaken by a stage's traffic change. */
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight: Promise<RollbackResult> | undefined;

  constructor(
    private readonly run: RolloutRun,
    private readonly traffic: TrafficControl,
    private readonly policy: RollbackRetryPolicy,
    private readonly flags?: RollbackFlags,
  ) {}

  /** The rollback being sent, if any. */
  get pending(): Promise<RollbackResult> | undefined {
    return this.inFlight;
  }

  /** Runs a traffic call after every call queued before it (rollbacks included). */
  serialise<T>(action: () => Promise<T>): Promise<T> {
    const result = this.queue.then(action, action);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Rolls back to the run's target. Each new rollback action has its own key (also after a
   * restart); retries of one action reuse it. `recordedBefore` is a ledger entry that must land
   * before the rollback's own (the breach that caused it).
   */
  rollBack(reason: string, actor: string, evidence: GuardrailMeasurement[], recordedBefore?: Promise<void>): Promise<RollbackResult> {
    if (this.inFlight) return this.inFlight;
    return this.track(this.send(reason, actor, evidence, `${this.run.state.runId}:rollback:${randomUUID()}`, recordedBefore));
  }

  /**
   * A previous runner stopped mid-rollback: finish it with the same idempotency key, or, when its
   * traffic call had completed, restore the flags and record it.
   */
  finishInterrupted(): void {
    const unfinished = this.run.state.rollback;
    if (this.run.state.status !== 'rolling-back' || !unfinished || this.inFlight) return;
    void this.track(this.send(unfinished.reason, unfinished.actor, [], unfinished.idempotencyKey, undefined, unfinished.completedAt !== undefined));
  }

  private track(sending: Promise<RollbackResult>): Promise<RollbackResult> {
    const inFlight = sending.finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = inFlight;
    return inFlight;
  }

  private async send(
    reason: string,
    actor: string,
    evidence: GuardrailMeasurement[],
    idempotencyKey: string,
    recordedBefore: Promise<void> = Promise.resolve(),
    /** The traffic call completed before a restart: only the flags and the record are left. */
    trafficDone = false,
  ): Promise<RollbackResult> {
    const { run } = this;
    const state = run.state;
    const to = state.rollbackTo;
    const stage = run.currentStage();
    const earlier = trafficDone ? state.rollback : undefined;
    // Before a restart the traffic had already gone to the target; the record keeps what it replaced.
    const from = earlier ? earlier.from : state.traffic;
    state.status = 'rolling-back';
    state.rollback = earlier ?? { to, reason, actor, idempotencyKey, requestedAt: run.isoNow(), attempts: 0, ...(from ? { from } : {}) };
    const record = state.rollback;
    run.interrupt();
    if (!earlier) await run.transition('rollback-started', `rolling back to ${to}: ${reason}`, stage?.name);

    const sent = earlier
      ? { ok: true, attempts: earlier.attempts }
      : await this.serialise(() =>
          sendRollbackWithRetries(this.traffic, { to, reason, idempotencyKey }, this.policy, {
            sleep: (ms) => run.clock.sleep(ms),
            onAttempt: (attempt) => {
              record.attempts = attempt;
            },
            onRetry: (attempt, error, delayMs) => run.emit('rollback-retry', `rollback attempt ${attempt} failed (${errorMessage(error)}); retrying in ${delayMs} ms`, stage?.name),
          }),
        );

    const attempts = `${record.attempts} attempt${record.attempts === 1 ? '' : 's'}`;
    // Traffic first; the flags follow, however long their service takes, and go in the same entry.
    let flags: FlagStepResult | undefined;
    if (this.flags) {
      if (sent.ok && !earlier) {
        record.completedAt = run.isoNow();
        state.traffic = rollbackTraffic(to);
        await run.transition('rollback-traffic-done', `traffic rolled back to ${to} (${attempts}); restoring feature flags on ${this.flags.describe()}`, stage?.name);
      }
      flags = await this.flags.restore();
      const restored = describeFlagChanges(flags);
      if (restored) run.emit('flags-set', `feature flags restored on ${this.flags.describe()}: ${restored}`, stage?.name);
      if (!flags.ok) {
        run.emit('flags-failed', `FLAGS NOT RESTORED after the rollback: ${describeFlagFailures(flags)}. Set by hand now: ${flags.manual.join(' ')}`, stage?.name);
      }
    }
    const withFlags = flags ? { flags: flags.changes } : {};
    const flagNote = flags ? (flags.ok ? '; feature flags restored' : '; FEATURE FLAGS NOT RESTORED (set by hand)') : '';

    await recordedBefore;
    const withEvidence = evidence.length ? { evidence } : {};
    if (sent.ok) {
      record.completedAt ??= run.isoNow();
      state.status = 'rolled-back';
      state.traffic = rollbackTraffic(to);
      if (stage && stage.status !== 'passed') {
        stage.status = 'rolled-back';
        stage.endedAt = record.completedAt;
      }
      await run.transition('rolled-back', `rolled back to ${to} (${attempts}): ${reason}${flagNote}`, stage?.name);
      await run.record('rollback', { actor, ...(stage ? { stage: stage.name } : {}), ...(from ? { from } : {}), to: state.traffic, reason, ...withEvidence, ...withFlags });
      await run.record('rollout-end', { actor, reason: `rolled back to ${to}` });
      return { ok: true, to, attempts: record.attempts, ...(flags ? { flags: { ok: flags.ok, manual: flags.manual } } : {}) };
    }

    record.error = errorMessage(sent.error);
    state.status = 'failed';
    if (stage && stage.status !== 'passed') stage.status = 'failed';
    await run.transition('rollback-failed', `ROLLBACK FAILED after ${attempts}: ${record.error}. Traffic may still reach ${state.candidateVersion}; roll back by hand to ${to} now.`, stage?.name);
    await run.record('rollback', { actor, ...(stage ? { stage: stage.name } : {}), ...(from ? { from } : {}), reason: `${reason}; FAILED: ${record.error}`, outcome: 'failed', ...withEvidence, ...withFlags });
    return { ok: false, to, attempts: record.attempts, error: record.error, ...(flags ? { flags: { ok: flags.ok, manual: flags.manual } } : {}) };
  }
}
