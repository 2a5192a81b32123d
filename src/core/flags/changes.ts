import { isEndpointError } from '../endpoints/errors';
import type { LedgerFlagChange, LedgerFlagState } from '../ledger/types';
import type { PlanFlag } from '../plan/schema';
import { FlagRefusedError, type FlagProvider, type FlagState } from './provider';

/**
 * What the rollout does to its flags, independent of the engine that calls it: the target
 * states at rollout start, at each stage and on a rollback, and applying them with retries so
 * that every change ends as one {@link FlagChange} for the ledger (before → after, or what to set
 * by hand when it failed).
 */

/** A flag's state as the ledger and messages show it. `percent` is absent when it has no gradual rollout. */
export type FlagSummary = LedgerFlagState;

/** The state a change aims for; fields left out are not touched. */
export interface FlagTarget {
  name: string;
  /** Why, for the ledger: `default`, `stage canary-10`, `rollback: restore`, … */
  reason: string;
  enabled?: boolean;
  /** Gradual-rollout percentage to set (creating the rule when the flag has none). */
  percent?: number;
  /**
   * Restoring a flag that had no gradual rollout: a gradual-rollout rule whose id is not in this
   * list (the rules the flag had at rollout start) was added since, and is removed.
   */
  keepRulesOnly?: string[];
}

/** One flag change as the ledger records it (before → after, or what to set by hand). */
export type FlagChange = LedgerFlagChange;

/** Summarises a provider's flag state for the ledger. */
export function summarizeFlag(state: Pick<FlagState, 'enabled' | 'rollout'>): FlagSummary {
  return state.rollout ? { enabled: state.enabled, percent: state.rollout.percent } : { enabled: state.enabled };
}

/** `on at 10%`, `off`, `off, no gradual rollout`: a target the way a person reads it. */
export function describeFlagTarget(target: FlagTarget): string {
  const parts: string[] = [];
  if (target.enabled !== undefined && target.percent !== undefined) parts.push(`${target.enabled ? 'on' : 'off'} at ${target.percent}%`);
  else if (target.enabled !== undefined) parts.push(target.enabled ? 'on' : 'off');
  else if (target.percent !== undefined) parts.push(`gradual rollout at ${target.percent}%`);
  if (target.keepRulesOnly !== undefined) parts.push('no gradual rollout');
  return parts.join(', ') || 'unchanged';
}

/**
 * At rollout start: each flag as its `default` says. A `followTraffic` flag also gets 0 %: the
 * candidate has no traffic yet, and a gradual rollout left from earlier must not expose it.
 */
export function startTargets(flags: readonly PlanFlag[]): FlagTarget[] {
  return flags.map((flag) => ({ name: flag.name, reason: 'default', enabled: flag.default === 'on', ...(flag.followTraffic ? { percent: 0 } : {}) }));
}

/**
 * At a stage that sends the candidate `traffic` percent: every `followTraffic` flag at that
 * percentage, and on once the candidate has live traffic (a shadow stage's 0 % leaves it as it is).
 */
export function stageTargets(flags: readonly PlanFlag[], stage: string, traffic: number): FlagTarget[] {
  return flags.filter((flag) => flag.followTraffic).map((flag) => ({ name: flag.name, reason: `stage ${stage}`, percent: traffic, ...(traffic > 0 ? { enabled: true } : {}) }));
}

/**
 * On a rollback, as each flag's `onRollback` says: `restore` puts back the state recorded at
 * rollout start (on/off and percentage; a gradual rollout that was not there then is removed),
 * `on`/`off` switch it. A flag whose state was never recorded is left as it is, and the change
 * says so.
 */
export function rollbackTargets(flags: readonly PlanFlag[], recorded: Readonly<Record<string, FlagState | undefined>>): FlagTarget[] {
  return flags.map((flag): FlagTarget => {
    if (flag.onRollback !== 'restore') return { name: flag.name, reason: `rollback: ${flag.onRollback}`, enabled: flag.onRollback === 'on' };
    const before = recorded[flag.name];
    if (!before) return { name: flag.name, reason: 'rollback: restore (no state was recorded at rollout start, so it is left as it is)' };
    const target: FlagTarget = { name: flag.name, reason: 'rollback: restore', enabled: before.enabled };
    if (before.rollout) target.percent = before.rollout.percent;
    else target.keepRulesOnly = before.rules.map((rule) => rule.id);
    return target;
  });
}

export interface ApplyFlagOptions {
  /** Attempts per flag for failures worth repeating (unreachable, timeout, 429, 5xx). Default 4. */
  attempts?: number;
  /** First backoff; doubles per attempt up to `maxBackoffMs`. Default 500. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Injected so tests and dry runs need not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Called after each failed attempt that will be repeated, for progress events. */
  onRetry?: (flag: string, attempt: number, error: string) => void;
  /** Change the flags at the same time instead of one after another (a rollback: they are independent). */
  parallel?: boolean;
}

/**
 * Applies targets one flag after another (each independent of the others' success) and reports
 * each as a {@link FlagChange}. Never throws: a flag that cannot be changed ends `failed`, with
 * what to set by hand.
 */
export async function applyFlagTargets(provider: FlagProvider, targets: readonly FlagTarget[], options: ApplyFlagOptions = {}): Promise<FlagChange[]> {
  if (options.parallel) return Promise.all(targets.map((target) => applyWithRetry(provider, target, options)));
  const changes: FlagChange[] = [];
  for (const target of targets) changes.push(await applyWithRetry(provider, target, options));
  return changes;
}

/**
 * Reads a flag with the same retries as a change; resolves with its state, or with the failure
 * as a change record (reason `record`) when it cannot be read.
 */
export async function readFlagWithRetry(provider: FlagProvider, name: string, options: ApplyFlagOptions = {}): Promise<{ state: FlagState } | { failure: FlagChange }> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { state: await provider.read(name, options.signal ? { signal: options.signal } : {}) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt >= attempts || !worthRepeating(error) || options.signal?.aborted) {
        return { failure: { name, reason: 'record the state at rollout start', service: provider.describe(), target: 'read only', outcome: 'failed', attempts: attempt, error: message } };
      }
      options.onRetry?.(name, attempt, message);
      await sleep(Math.min(options.maxBackoffMs ?? 4000, (options.backoffMs ?? 500) * 2 ** (attempt - 1)), options.signal);
    }
  }
}

async function applyWithRetry(provider: FlagProvider, target: FlagTarget, options: ApplyFlagOptions): Promise<FlagChange> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let before: FlagSummary | undefined;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const current = await provider.read(target.name, options.signal ? { signal: options.signal } : {});
      // Nothing is changed before the first successful read, so that read is the state before.
      before ??= summarizeFlag(current);
      const after = await applyTarget(provider, target, current, options.signal);
      return { name: target.name, reason: target.reason, service: provider.describe(), ...(before ? { before } : {}), target: describeFlagTarget(target), after: summarizeFlag(after), outcome: 'ok', attempts: attempt };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt >= attempts || !worthRepeating(error) || options.signal?.aborted) {
        return {
          name: target.name,
          reason: target.reason,
          service: provider.describe(),
          ...(before ? { before } : {}),
          target: describeFlagTarget(target),
          outcome: 'failed',
          attempts: attempt,
          error: message,
          manual: manualInstruction(provider, target),
        };
      }
      options.onRetry?.(target.name, attempt, message);
      const backoff = Math.min(options.maxBackoffMs ?? 4000, (options.backoffMs ?? 500) * 2 ** (attempt - 1));
      await sleep(backoff, options.signal);
    }
  }
}

/**
 * Moves the flag from `current` to the target, lowering exposure first: when it ends off, it is
 * switched off before its percentage changes; when it ends on, the percentage is set first.
 */
async function applyTarget(provider: FlagProvider, target: FlagTarget, current: FlagState, signal: AbortSignal | undefined): Promise<FlagState> {
  const call = signal ? { signal } : {};
  let state = current;
  const switchTo = async (): Promise<void> => {
    if (target.enabled !== undefined && state.enabled !== target.enabled) state = await provider.setEnabled(target.name, target.enabled, call);
  };
  const moveRollout = async (): Promise<void> => {
    if (target.percent !== undefined && state.rollout?.percent !== target.percent) state = await provider.setRollout(target.name, target.percent, call);
    const added = state.rollout && target.keepRulesOnly && !target.keepRulesOnly.includes(state.rollout.ruleId) ? state.rollout.ruleId : undefined;
    if (added !== undefined) state = await provider.removeRollout(target.name, added, call);
  };
  if (target.enabled === false) {
    await switchTo();
    await moveRollout();
  } else {
    await moveRollout();
    await switchTo();
  }
  return state;
}

/** Failures a later attempt may get past: the service was down, slow or overloaded. */
function worthRepeating(error: unknown): boolean {
  if (error instanceof FlagRefusedError) return false;
  if (!isEndpointError(error)) return false;
  if (error.kind === 'timeout' || error.kind === 'unreachable') return true;
  return error.kind === 'http' && error.status !== undefined && (error.status === 429 || error.status === 408 || error.status >= 500);
}

/** What a person must set by hand when a change could not be made. */
export function manualInstruction(provider: Pick<FlagProvider, 'describe'>, target: FlagTarget): string {
  const steps: string[] = [];
  if (target.percent !== undefined) steps.push(`set its gradual rollout to ${target.percent}%`);
  if (target.keepRulesOnly !== undefined) steps.push('delete the gradual rollout strategy added since the rollout started');
  if (target.enabled !== undefined) steps.push(`turn it ${target.enabled ? 'on' : 'off'}`);
  if (steps.length === 0) return `Nothing to set for flag '${target.name}'.`;
  const ordered = target.enabled === false ? [steps[steps.length - 1]!, ...steps.slice(0, -1)] : steps;
  return `In ${provider.describe()}, flag '${target.name}': ${ordered.join(', then ')}.`;
}
