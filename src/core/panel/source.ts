import type { PanelSourceKind } from './protocol';

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * What a ledger entry can open in the editor: the runbook cell a `cell-run` came from (it names
 * its runbook), or the plan at the stage of a rollout's entry (it has a run, a plan digest and a
 * stage). Read defensively: the entry may come from any writer.
 */
export function sourceKindOf(entry: { action?: unknown; request?: unknown; runId?: unknown; planDigest?: unknown; details?: unknown; to?: unknown; from?: unknown }): PanelSourceKind | undefined {
  if (entry.action === 'cell-run') {
    const request = entry.request as { runbook?: unknown } | undefined;
    return isText(request?.runbook) ? 'cell' : undefined;
  }
  if (!isText(entry.runId) || !isText(entry.planDigest)) return undefined;
  const stage = (entry.details as { stage?: unknown } | undefined)?.stage ?? (entry.to as { stage?: unknown } | undefined)?.stage ?? (entry.from as { stage?: unknown } | undefined)?.stage;
  return isText(stage) ? 'plan' : undefined;
}
