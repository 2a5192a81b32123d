import type { Ledger } from '../ledger/ledger';
import type { LedgerFlagChange } from '../ledger/types';
import type { PlanFlag } from '../plan/schema';
import { describeFlagTarget, manualInstruction, rollbackTargets, type FlagTarget } from './changes';
import type { FlagProvider, FlagState } from './provider';
import type { FlagStepResult } from './rolloutFlags';

/** The flag states a rollout recorded at its start, read back from its `rollout-start` ledger entry. */
export function recordedFromChanges(changes: readonly LedgerFlagChange[] | undefined, environment = ''): Record<string, FlagState> {
  const recorded: Record<string, FlagState> = {};
  for (const change of changes ?? []) {
    if (!change.recorded) continue;
    const { enabled, percent, rules } = change.recorded;
    const state: FlagState = { name: change.name, environment, enabled, rules: rules.map((rule) => ({ ...rule, parameters: { ...rule.parameters } })) };
    // The percentage rule is the one that held the percentage: the only active flexible rule then.
    const percentRule = percent !== undefined ? rules.find((rule) => !rule.disabled && rule.parameters.rollout === String(percent)) : undefined;
    if (percent !== undefined) state.rollout = { ruleId: percentRule?.id ?? '', percent };
    recorded[change.name] = state;
  }
  return recorded;
}

/**
 * The flag states the newest rollout of `service` recorded at its start, from the ledger (for a
 * rollback when no rollout state is at hand); undefined when no start recorded any.
 */
export async function lastRecordedFlags(ledger: Pick<Ledger, 'read'>, service: string): Promise<Record<string, FlagState> | undefined> {
  for await (const entry of ledger.read({ service, action: 'rollout-start', newestFirst: true })) {
    if (entry.flags?.some((change) => change.recorded)) return recordedFromChanges(entry.flags);
  }
  return undefined;
}

/**
 * The result of a rollback's flag step when the flag service cannot even be connected (its
 * token is not set, say): every flag failed, each with what to set by hand. The traffic
 * rollback has gone out regardless.
 */
export function flagsNotConnected(flags: readonly PlanFlag[], recorded: Readonly<Record<string, FlagState>> | undefined, where: Pick<FlagProvider, 'describe'>, error: string): FlagStepResult {
  return targetsNotSent(rollbackTargets(flags, recorded ?? {}), where, error);
}

/** Every target failed without being sent (the flag service could not be connected), each with what to set by hand. */
export function targetsNotSent(targets: readonly FlagTarget[], where: Pick<FlagProvider, 'describe'>, error: string): FlagStepResult {
  const changes = targets.map((target): LedgerFlagChange => ({
    name: target.name,
    reason: target.reason,
    service: where.describe(),
    target: describeFlagTarget(target),
    outcome: 'failed',
    attempts: 0,
    error,
    manual: manualInstruction(where, target),
  }));
  return { changes, ok: false, manual: changes.map((change) => change.manual!) };
}
