import { lastRecordedFlags } from '../flags/recorded';
import type { Ledger, LedgerEntryInput } from '../ledger/index';
import type { CellRunRecord, RunLedger } from './types';

/** Anything with the ledger's `append`, e.g. `new Ledger({ path: defaultLedgerPath(root) })`. */
export interface LedgerAppender {
  append(input: LedgerEntryInput): Promise<unknown>;
}

/** Maps a cell run onto the ledger's entry shape (action `cell-run`). */
export function cellRunEntry(record: CellRunRecord): LedgerEntryInput {
  const cellLabel = record.cell.name ?? (record.cell.index !== undefined ? `#${record.cell.index + 1}` : undefined);
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
      ...(cellLabel ? { cell: cellLabel } : {}),
    },
    ...(record.flags?.length ? { flags: record.flags } : {}),
    details: {
      kind: record.cell.kind,
      ...(record.environment ? { environment: record.environment } : {}),
      ...(record.request?.action ? { action: record.request.action } : {}),
      ...(record.request?.body !== undefined ? { body: record.request.body } : {}),
      ...(record.request?.bodyBytes !== undefined ? { bodyBytes: record.request.bodyBytes } : {}),
      ...(record.request?.bodySha256 !== undefined ? { bodySha256: record.request.bodySha256 } : {}),
      ...(record.request?.redirects ? { redirects: record.request.redirects.map((hop) => ({ ...hop })) } : {}),
    },
  };
}

/** A {@link RunLedger} over Rollgate's hash-chained ledger (which it also reads for recorded flag states). */
export function ledgerRecorder(ledger: LedgerAppender & Partial<Pick<Ledger, 'read'>>): RunLedger {
  const reader = ledger.read ? { read: ledger.read.bind(ledger) } : undefined;
  return {
    async append(record) {
      await ledger.append(cellRunEntry(record));
    },
    ...(reader ? { recordedFlags: (service: string) => lastRecordedFlags(reader, service) } : {}),
  };
}
