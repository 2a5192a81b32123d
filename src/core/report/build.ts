import { redact, type SecretValues } from '../ledger/redact';
import { buildGuardrailSeries, buildJudgements } from './measurements';
import { formatTime, shortId } from './text';
import { stringOf } from '../ledger/fields';
import { buildTimeline, collectLineage, reportOutcome } from './timeline';
import type { LedgerCollection, ReportModel, ReportVerification } from './types';

export interface BuildReportOptions {
  /** When the report was made (default now). */
  generatedAt?: Date;
  /**
   * Secret values (by name) to take out of the report wherever they occur. The ledger holds no
   * secrets, but a report is one more place a value could leak to; it is checked again.
   */
  secrets?: SecretValues;
}

function verificationOf(collection: LedgerCollection): ReportVerification {
  const { verification, entries } = collection;
  const last = entries.at(-1);
  const result: ReportVerification = {
    file: collection.file,
    ok: verification.ok,
    verifiedEntries: verification.entries,
    chainHeadSeq: verification.lastSeq,
    chainHeadHash: verification.lastHash,
    tornOnly: verification.torn !== undefined,
    unverifiedCovered: entries.filter((entry) => !entry.verified).length,
    unreadableLines: collection.unreadableLines,
  };
  if (verification.firstBadLine !== undefined) result.firstBadLine = verification.firstBadLine;
  if (verification.problem) result.problem = verification.problem;
  if (last) result.lastCovered = { seq: last.entry.seq, line: last.line, hash: last.entry.hash, verified: last.verified };
  return result;
}

function titleOf(collection: LedgerCollection): string {
  const { scope } = collection;
  const service = scope.service ?? 'unknown service';
  if (scope.kind === 'run') return `Rollout report: ${service}, run ${shortId(scope.runIds[0] ?? '?', 8)}`;
  const until = scope.until ? formatTime(scope.until) : 'now';
  return `Incident report: ${service}, ${formatTime(scope.since ?? '?')} to ${until}`;
}

/** The report model of the collected entries: what every renderer and the side panel show. */
export function buildReport(collection: LedgerCollection, options: BuildReportOptions = {}): ReportModel {
  const { entries } = collection;
  const parts = buildTimeline(entries);
  const startMs = Date.parse(stringOf(entries[0]?.entry.time) ?? '');
  const model: ReportModel = {
    format: 'rollgate-report/v1',
    title: titleOf(collection),
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    scope: collection.scope,
    outcome: reportOutcome(collection.scope, entries),
    verification: verificationOf(collection),
    recovery: parts.recovery,
    timeline: parts.timeline,
    guardrails: buildGuardrailSeries(entries, startMs),
    judgements: buildJudgements(entries, startMs),
    cellRuns: parts.cellRuns,
    notifications: parts.notifications,
    lineage: collectLineage(entries),
    measurementEntries: parts.measurementEntries,
  };
  return options.secrets ? redact(model, options.secrets) : model;
}
