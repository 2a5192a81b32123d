// How a ledger's flag change reads for people. Kept apart from recorded.ts (which reads the
// ledger) so the webview's type check never pulls in the ledger's file handling.
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
