import type { PanelSourceKind } from './protocol';

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isIndex = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** What a ledger entry can open in the editor. */
export type EntrySource =
  /** The runbook cell that made the entry: by its 0-based index when recorded, else by its name. */
  | { kind: 'cell'; runbook: string; index?: number; name?: string }
  /** The stage of the plan a rollout's entry followed. */
  | { kind: 'plan'; stage: string };

interface EntryFields {
  action?: unknown;
  request?: unknown;
  runId?: unknown;
  planDigest?: unknown;
  details?: unknown;
  to?: unknown;
  from?: unknown;
}

/**
 * What ledger entry `entry` came from: the runbook cell of a `cell-run`, or of a change a cell
 * made (a rollback, a traffic change: their `request` names the runbook too), else the plan stage
 * of a rollout's entry (it has a run, a plan digest and a stage). Read defensively: the entry may
 * come from any writer, and only what is really there is returned.
 */
export function entrySourceOf(entry: EntryFields): EntrySource | undefined {
  const request = entry.request as { runbook?: unknown; cell?: unknown } | undefined;
  const details = entry.details as { runbook?: unknown; cell?: { index?: unknown; name?: unknown }; stage?: unknown } | undefined;
  const runbook = isText(request?.runbook) ? request.runbook : details?.runbook;
  if (isText(runbook)) {
    // A cell is labelled by its name, or `#n` (1-based) when it has none.
    const label = isText(request?.cell) ? request.cell : undefined;
    const numbered = label ? /^#(\d+)$/.exec(label) : null;
    const index = isIndex(details?.cell?.index) ? details.cell.index : numbered ? Number(numbered[1]) - 1 : undefined;
    const name = isText(details?.cell?.name) ? details.cell.name : label && !numbered ? label : undefined;
    if (index === undefined && name === undefined) return undefined;
    return { kind: 'cell', runbook, ...(index !== undefined ? { index } : {}), ...(name !== undefined ? { name } : {}) };
  }
  if (entry.action === 'cell-run' || !isText(entry.runId) || !isText(entry.planDigest)) return undefined;
  const stage = details?.stage ?? (entry.to as { stage?: unknown } | undefined)?.stage ?? (entry.from as { stage?: unknown } | undefined)?.stage;
  return isText(stage) ? { kind: 'plan', stage } : undefined;
}

/** The kind of {@link entrySourceOf}, for the link the panel shows. */
export function sourceKindOf(entry: EntryFields): PanelSourceKind | undefined {
  return entrySourceOf(entry)?.kind;
}
