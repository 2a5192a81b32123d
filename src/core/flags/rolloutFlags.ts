import type { LedgerFlagChange } from '../ledger/types';
import type { PlanFlag } from '../plan/schema';
import { applyFlagTargets, readFlagWithRetry, rollbackTargets, stageTargets, startTargets, summarizeFlag, type ApplyFlagOptions, type FlagTarget } from './changes';
import type { FlagProvider, FlagState } from './provider';

/** What a rollout keeps about its flags in its persisted state, so a restart can resume or restore. */
export interface FlagRunState {
  /** Each flag's state when the rollout started, read before anything was changed. */
  recorded: Record<string, FlagState>;
  /** Flags whose `default` has been applied. */
  defaultsApplied: string[];
}

/** The outcome of one step (start, a stage, a rollback) for the ledger and the people watching. */
export interface FlagStepResult {
  /** Every change tried, for the ledger entry of the step. */
  changes: LedgerFlagChange[];
  /** True when every change succeeded (or there was nothing to do). */
  ok: boolean;
  /** One line per failed flag: what to set by hand, and where. */
  manual: string[];
}

/** How a flag change is retried: attempts in all, the first backoff, doubling up to the maximum. */
export interface FlagRetryPolicy {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

/** The engine's policy: 4 attempts, 500 ms doubling to 4 s (with a 5 s request timeout, about 25 s at worst). */
export const FLAG_RETRIES: FlagRetryPolicy = { attempts: 4, backoffMs: 500, maxBackoffMs: 4000 };

export interface RolloutFlagsOptions {
  retries?: FlagRetryPolicy;
  /** Waits between attempts; the rollout's clock, so dry runs and tests need not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called after each failed attempt that will be repeated. */
  onRetry?: (flag: string, attempt: number, error: string) => void;
}

/**
 * A rollout's flags on their flag service: recorded and switched to their defaults at start,
 * moved with traffic at each stage, put back on a rollback. Changes run one step at a time; a
 * rollback interrupts a start or stage step still retrying, so it never waits for one. Never
 * throws: every failure is in the step's result, with what to set by hand.
 */
export class RolloutFlags {
  private queue: Promise<unknown> = Promise.resolve();
  private routine = new AbortController();

  constructor(
    readonly provider: FlagProvider,
    readonly flags: readonly PlanFlag[],
    private readonly options: RolloutFlagsOptions = {},
  ) {}

  /** Where the flags live, for messages. */
  describe(): string {
    return this.provider.describe();
  }

  /**
   * At rollout start: reads and records every flag not recorded yet (in `state`, changed in
   * place), then applies the `default` of each recorded flag whose default is not applied yet.
   * A flag that cannot be read is neither recorded nor changed.
   */
  start(state: FlagRunState): Promise<FlagStepResult> {
    return this.step(this.routine.signal, async (apply) => {
      const changes: LedgerFlagChange[] = [];
      for (const flag of this.flags) {
        if (state.recorded[flag.name]) continue;
        const read = await readFlagWithRetry(this.provider, flag.name, apply);
        if ('failure' in read) changes.push(read.failure);
        else state.recorded[flag.name] = read.state;
      }
      const pending = this.flags.filter((flag) => state.recorded[flag.name] && !state.defaultsApplied.includes(flag.name));
      const applied = await applyFlagTargets(this.provider, startTargets(pending), apply);
      for (const change of applied) {
        const recorded = state.recorded[change.name];
        if (recorded) change.recorded = { ...summarizeFlag(recorded), rules: recorded.rules.map((rule) => ({ ...rule, parameters: { ...rule.parameters } })) };
        if (change.outcome === 'ok') state.defaultsApplied.push(change.name);
      }
      return [...changes, ...applied];
    });
  }

  /** At a stage that sends the candidate `traffic` percent: the `followTraffic` flags follow. */
  stage(stage: string, traffic: number): Promise<FlagStepResult> {
    return this.step(this.routine.signal, (apply) => applyFlagTargets(this.provider, stageTargets(this.flags, stage, traffic), apply));
  }

  /** Whether any flag moves at stages (only then does a stage have flag changes). */
  get followsTraffic(): boolean {
    return this.flags.some((flag) => flag.followTraffic);
  }

  /**
   * On a rollback: as each flag's `onRollback` says, restoring `recorded` (the state at rollout
   * start, when known), all flags at once. A start or stage step still running is interrupted
   * first, so the restore does not wait for its retries.
   */
  rollback(recorded: Readonly<Record<string, FlagState>> | undefined): Promise<FlagStepResult> {
    this.routine.abort();
    this.routine = new AbortController();
    return this.step(undefined, (apply) => applyFlagTargets(this.provider, rollbackTargets(this.flags, recorded ?? {}), { ...apply, parallel: true }));
  }

  /** One change asked for by a person (a runbook cell), with the same retries. */
  set(target: FlagTarget): Promise<FlagStepResult> {
    return this.step(undefined, (apply) => applyFlagTargets(this.provider, [target], apply));
  }

  /** Runs one step after the steps before it; `signal` stops its retries early. */
  private step(signal: AbortSignal | undefined, run: (apply: ApplyFlagOptions) => Promise<LedgerFlagChange[]>): Promise<FlagStepResult> {
    const retries = this.options.retries ?? FLAG_RETRIES;
    const apply: ApplyFlagOptions = {
      attempts: retries.attempts,
      backoffMs: retries.backoffMs,
      maxBackoffMs: retries.maxBackoffMs,
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
      ...(signal ? { signal } : {}),
    };
    const result = this.queue.then(async () => {
      const changes = await run(apply);
      const failed = changes.filter((change) => change.outcome === 'failed');
      return { changes, ok: failed.length === 0, manual: failed.map((change) => change.manual ?? `flag '${change.name}': ${change.error ?? 'failed'}`) };
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** The changes of a step that changed something (a flag already as wanted is left out), in words. */
export function describeFlagChanges(result: FlagStepResult): string {
  return result.changes
    .filter((change) => change.outcome === 'ok' && (change.before?.enabled !== change.after?.enabled || change.before?.percent !== change.after?.percent))
    .map((change) => `${change.name} ${change.target} (${change.reason})`)
    .join(', ');
}

/** One line about a step's failures, for a pause reason or a loud event. */
export function describeFlagFailures(result: FlagStepResult): string {
  const failed = result.changes.filter((change) => change.outcome === 'failed');
  return failed.map((change) => `flag '${change.name}' (${change.target}): ${change.error ?? 'failed'}`).join('; ');
}
