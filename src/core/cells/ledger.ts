import { lastRecordedFlags } from '../flags/recorded';
import type { JsonValue, Ledger, LedgerEntryInput, LedgerLineage, LedgerTraffic } from '../ledger/index';
import type { CellRunRecord, RunLedger, ServiceTraffic } from './types';

/** Anything with the ledger's `append`, e.g. `new Ledger({ path: recordLocationOf(runbook).ledgerPath })`. */
export interface LedgerAppender {
  append(input: LedgerEntryInput): Promise<unknown>;
  /** Appends several entries under one lock, in order (the cell run and the change it made). */
  appendMany?(inputs: readonly LedgerEntryInput[]): Promise<unknown>;
}

function ledgerTraffic(traffic: ServiceTraffic, stage: string | undefined): LedgerTraffic {
  return {
    weights: { ...traffic.weights },
    ...(traffic.mirror ? { mirror: { ...traffic.mirror } } : {}),
    ...(traffic.stable ? { stable: traffic.stable } : {}),
    ...(stage ? { stage } : {}),
  };
}

/**
 * The entry of the deployment change a cell made (`rollback`, `traffic-change`, `promote`,
 * `pause`, `resume`), beside its `cell-run`: who, why, traffic before → after, and where it came
 * from (`details.source: "runbook"`, the runbook path and the cell's number as the notebook shows it).
 */
export function cellChangeEntry(record: CellRunRecord): LedgerEntryInput | undefined {
  const change = record.change;
  if (!change) return undefined;
  const cell: { [key: string]: JsonValue } = { kind: record.cell.kind };
  if (record.cell.index !== undefined) {
    cell.index = record.cell.index;
    cell.number = record.cell.index + 1;
  }
  if (record.cell.name) cell.name = record.cell.name;
  return {
    actor: record.actor,
    action: change.action,
    ...(record.service ? { service: record.service } : {}),
    ...(change.from ? { from: ledgerTraffic(change.from, undefined) } : {}),
    ...(change.to ? { to: ledgerTraffic(change.to, change.stage) } : {}),
    reason: change.outcome === 'failed' ? `${change.reason}; FAILED: ${record.error ?? record.outcome}` : change.reason,
    ...(record.plan?.digest ? { planDigest: record.plan.digest } : {}),
    ...(record.plan?.lineage ? { lineage: record.plan.lineage as LedgerLineage } : {}),
    request: {
      method: record.request?.method ?? '',
      url: record.request?.url ?? '',
      ...(record.status !== undefined ? { status: record.status } : {}),
      durationMs: record.durationMs,
      outcome: record.outcome,
      ...(record.runbook ? { runbook: record.runbook } : {}),
      ...(cellLabel(record) ? { cell: cellLabel(record)! } : {}),
    },
    details: {
      outcome: change.outcome,
      source: 'runbook',
      ...(record.runbook ? { runbook: record.runbook } : {}),
      cell,
      ...(record.environment ? { environment: record.environment } : {}),
      ...(change.stage ? { stage: change.stage } : {}),
    },
  };
}

function cellLabel(record: CellRunRecord): string | undefined {
  return record.cell.name ?? (record.cell.index !== undefined ? `#${record.cell.index + 1}` : undefined);
}

/** Maps a cell run onto the ledger's entry shape (action `cell-run`). */
export function cellRunEntry(record: CellRunRecord): LedgerEntryInput {
  const label = cellLabel(record);
  return {
    actor: record.actor,
    action: 'cell-run',
    ...(record.service ? { service: record.service } : {}),
    request: {
      method: record.request?.method ?? '',
      url: record.request?.url ?? '',
      ...(record.request?.headers ? { headers: record.request.headers } : {}),
      ...(record.status !== undefined ? { status: record.status } : {}),
      durationMs: record.durationMs,
      outcome: record.outcome,
      ...(record.error ? { error: record.error } : {}),
      ...(record.runbook ? { runbook: record.runbook } : {}),
      ...(label ? { cell: label } : {}),
    },
    ...(record.flags?.length ? { flags: record.flags } : {}),
    details: {
      kind: record.cell.kind,
      ...(record.change ? { change: record.change.action } : {}),
      ...(record.environment ? { environment: record.environment } : {}),
      ...(record.request?.action ? { action: record.request.action } : {}),
      ...(record.request?.body !== undefined ? { body: record.request.body } : {}),
      ...(record.request?.bodyBytes !== undefined ? { bodyBytes: record.request.bodyBytes } : {}),
      ...(record.request?.bodySha256 !== undefined ? { bodySha256: record.request.bodySha256 } : {}),
      ...(record.request?.redirects ? { redirects: record.request.redirects.map((hop) => ({ ...hop })) } : {}),
    },
  };
}

/**
 * A {@link RunLedger} over Rollgate's hash-chained ledger: the cell run, then the change it made
 * (one lock). It also reads the ledger for the flag states a rollout recorded.
 */
export function ledgerRecorder(ledger: LedgerAppender & Partial<Pick<Ledger, 'read'>>): RunLedger {
  const reader = ledger.read ? { read: ledger.read.bind(ledger) } : undefined;
  return {
    async append(record) {
      const change = cellChangeEntry(record);
      if (!change) await ledger.append(cellRunEntry(record));
      else if (ledger.appendMany) await ledger.appendMany([cellRunEntry(record), change]);
      else {
        await ledger.append(cellRunEntry(record));
        await ledger.append(change);
      }
    },
    ...(reader ? { recordedFlags: (service: string) => lastRecordedFlags(reader, service) } : {}),
  };
}
