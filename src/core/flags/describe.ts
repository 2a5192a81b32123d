// How a ledger's flag change reads for people. Kept apart from recorded.ts (which reads the
// ledger) so the webview's type check never pulls in the ledger's file handling.
import { numberOf, objectOf, stringOf } from '../ledger/fields';
import type { LedgerFlagChange } from '../ledger/types';

function describeRecordedState(state: { enabled: boolean; percent?: number } | undefined): string {
  if (!state) return '?';
  return `${state.enabled ? 'on' : 'off'}${state.percent !== undefined ? ` at ${state.percent}%` : ''}`;
}

/**
 * One flag change of a ledger entry for people (`rollgate ledger show`, the panel's changelog):
 * `new-ranking on at 50% -> on at 20% (rollback: restore)`, or the failure with what to set by hand.
 */
export function describeLedgerFlagChange(change: Pick<LedgerFlagChange, 'name' | 'reason' | 'before' | 'after' | 'target' | 'outcome' | 'manual' | 'error'>, arrow = '->'): string {
  const result =
    change.outcome === 'ok'
      ? `${describeRecordedState(change.before)} ${arrow} ${describeRecordedState(change.after)}`
      : `${describeRecordedState(change.before)} ${arrow} FAILED (wanted ${change.target}; ${change.manual ?? change.error ?? 'set it by hand'})`;
  return `${change.name} ${result} (${change.reason})`;
}

/**
 * The flag changes of a ledger entry's `flags`, read from whatever shape a ledger line has (any
 * writer may have made it; never throws). Used by the panel's changelog and by reports.
 */
export function recordedFlagChanges(value: unknown): RecordedFlagChange[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const change = objectOf(item);
    const read = change ? readFlagChange(change) : undefined;
    return read ? [read] : [];
  });
}

type RecordedFlagChange = Parameters<typeof describeLedgerFlagChange>[0];

function readFlagChange(change: Record<string, unknown>): RecordedFlagChange | undefined {
  const name = stringOf(change.name);
  if (!name) return undefined;
  const state = (value: unknown) => {
    const object = objectOf(value);
    if (!object || typeof object.enabled !== 'boolean') return undefined;
    const percent = numberOf(object.percent);
    return { enabled: object.enabled, ...(percent !== undefined ? { percent } : {}) };
  };
  const before = state(change.before);
  const after = state(change.after);
  const manual = stringOf(change.manual);
  const error = stringOf(change.error);
  return {
    name,
    reason: stringOf(change.reason) ?? '?',
    target: stringOf(change.target) ?? '?',
    outcome: change.outcome === 'ok' ? 'ok' : 'failed',
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    ...(manual ? { manual } : {}),
    ...(error ? { error } : {}),
  };
}
