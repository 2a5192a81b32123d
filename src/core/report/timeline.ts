// The timeline of a report: one row per ledger entry (time, actor, action, traffic before → after,
// reason), the runbook cell runs and notification deliveries among them, the time from the first
// breach to traffic back on the known-good version, and how the run ended.
import { describeLedgerFlagChange, recordedFlagChanges } from '../flags/describe';
import { sameReportTraffic, soleVersion, formatDuration } from './text';
import { numberOf, objectOf, objectsOf, recordedTraffic, stringOf } from '../ledger/fields';
import type { CellRunRow, CollectedEntry, NotificationRow, ReportLineage, ReportOutcome, ReportRecovery, ReportScope, ReportTraffic, TimelineRow } from './types';

/** Actions recorded once per measurement round: charted, not listed in the timeline. */
export const MEASUREMENT_ACTIONS: ReadonlySet<string> = new Set(['guardrail-measurement']);

/** Actions that record a notification delivery or a promotion gate's answer. */
export const NOTIFICATION_ACTIONS: ReadonlySet<string> = new Set(['notification', 'promotion-gate']);

function stageOf(entry: Record<string, unknown>): string | undefined {
  return stringOf(objectOf(entry.details)?.stage) ?? stringOf(objectOf(entry.to)?.stage) ?? stringOf(objectOf(entry.from)?.stage);
}

function outcomeOf(entry: Record<string, unknown>): string | undefined {
  return stringOf(objectOf(entry.details)?.outcome) ?? stringOf(objectOf(entry.request)?.outcome);
}

const failedOutcomes = new Set(['failed', 'failure', 'error']);

/** The version a successful runbook rollback moved traffic to: from its action text or its JSON body. */
function cellRollbackTarget(entry: Record<string, unknown>): { isRollback: boolean; to?: string } {
  const request = objectOf(entry.request);
  const details = objectOf(entry.details);
  const action = stringOf(details?.action);
  const url = stringOf(request?.url) ?? '';
  const isRollback = (action !== undefined && /^roll back /.test(action)) || (stringOf(request?.method) === 'POST' && /\/rollback\/?(?:\?|$)/.test(url));
  if (!isRollback) return { isRollback };
  const fromAction = action ? /^roll back \S+ to (\S+)/.exec(action)?.[1] : undefined;
  if (fromAction) return { isRollback, to: fromAction };
  try {
    const body = objectOf(JSON.parse(stringOf(details?.body) ?? ''));
    const to = stringOf(body?.to);
    return to ? { isRollback, to } : { isRollback };
  } catch {
    return { isRollback };
  }
}

/**
 * When the failing measurement of a breach entry was taken: the breach is recorded while the
 * rollback is already on its way, so the measurement time, not the entry's, starts the clock.
 */
function breachMeasuredAt(entry: Record<string, unknown>): string | undefined {
  const extras = objectsOf(objectOf(entry.details)?.measurements);
  const times = objectsOf(entry.evidence)
    .map((item, index) => (stringOf(item.outcome) === 'fail' && stringOf(extras[index]?.guardrail) === stringOf(item.guardrail) ? stringOf(extras[index]?.at) : undefined))
    .filter((at): at is string => at !== undefined && Number.isFinite(Date.parse(at)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  return times[0];
}

function cellSucceeded(entry: Record<string, unknown>): boolean {
  const request = objectOf(entry.request);
  const status = numberOf(request?.status);
  return stringOf(request?.outcome) === 'success' && (status === undefined || (status >= 200 && status < 300));
}

function cellDetail(entry: Record<string, unknown>): string | undefined {
  const request = objectOf(entry.request);
  if (!request) return undefined;
  const action = stringOf(objectOf(entry.details)?.action);
  const status = numberOf(request.status);
  const sent = `${stringOf(request.method) ?? '?'} ${stringOf(request.url) ?? '?'}${status !== undefined ? ` → ${status}` : ''}`;
  return action ? `${action} (${sent})` : sent;
}

function notificationDetail(entry: Record<string, unknown>): string | undefined {
  const details = objectOf(entry.details);
  if (!details) return undefined;
  const target = stringOf(details.target) ?? '?';
  const event = stringOf(details.event);
  const status = numberOf(details.status);
  const attempts = numberOf(details.attempts);
  return `${event ? `${event} → ` : ''}${target}${status !== undefined ? ` (HTTP ${status})` : ''}${attempts !== undefined ? `, ${attempts} attempt${attempts === 1 ? '' : 's'}` : ''}`;
}

/** One line summing up a cell run's result: status, time taken, outcome or error. */
function cellSummary(row: Omit<CellRunRow, 'summary'>): string {
  const parts: string[] = [];
  if (row.status !== undefined) parts.push(`HTTP ${row.status}`);
  if (row.durationMs !== undefined) parts.push(formatDuration(row.durationMs));
  parts.push(row.outcome);
  return row.error ? `${parts.join(', ')}: ${row.error}` : parts.join(', ');
}

export interface TimelineParts {
  timeline: TimelineRow[];
  cellRuns: CellRunRow[];
  notifications: NotificationRow[];
  recovery: ReportRecovery;
  measurementEntries: number;
}

/** Builds the rows from the covered entries (in ledger order), carrying traffic forward. */
export function buildTimeline(entries: readonly CollectedEntry[]): TimelineParts {
  const startMs = Date.parse(stringOf(entries[0]?.entry.time) ?? '');
  const offsetOf = (time: string): number => {
    const at = Date.parse(time);
    return Number.isFinite(at) && Number.isFinite(startMs) ? Math.max(0, at - startMs) : 0;
  };
  const timeline: TimelineRow[] = [];
  const cellRuns: CellRunRow[] = [];
  const notifications: NotificationRow[] = [];
  const recovery: ReportRecovery = { status: 'no-breach' };
  let candidateAtBreach: string | undefined;
  let measurementEntries = 0;
  let current: ReportTraffic | undefined;

  for (const { entry, line, verified } of entries) {
    const action = stringOf(entry.action) ?? '?';
    if (MEASUREMENT_ACTIONS.has(action)) {
      measurementEntries += 1;
      continue;
    }
    const time = stringOf(entry.time) ?? '';
    const offsetMs = offsetOf(time);
    const outcome = outcomeOf(entry);
    const failed = outcome !== undefined && failedOutcomes.has(outcome);
    const from = recordedTraffic(entry.from);
    let to = recordedTraffic(entry.to);
    const cellRollback = action === 'cell-run' ? cellRollbackTarget(entry) : { isRollback: false };
    if (cellRollback.isRollback && cellRollback.to && cellSucceeded(entry)) to = { weights: { [cellRollback.to]: 100 } };

    const before = from ?? current;
    const after = to && !failed ? to : before;
    if (to && !failed) current = to;
    const row: TimelineRow = {
      seq: entry.seq,
      line,
      time,
      offsetMs,
      actor: stringOf(entry.actor) ?? '?',
      action,
      trafficChanged: !sameReportTraffic(before, after),
      hash: entry.hash,
      verified,
    };
    const stage = stageOf(entry);
    if (stage) row.stage = stage;
    if (before) row.trafficBefore = before;
    if (after) row.trafficAfter = after;
    const reason = stringOf(entry.reason);
    if (reason) row.reason = reason;
    if (outcome) row.outcome = outcome;
    const runId = stringOf(entry.runId);
    if (runId) row.runId = runId;
    const planDigest = stringOf(entry.planDigest);
    if (planDigest) row.planDigest = planDigest;
    const detail = action === 'cell-run' ? cellDetail(entry) : NOTIFICATION_ACTIONS.has(action) ? notificationDetail(entry) : undefined;
    if (detail) row.detail = detail;
    const flags = recordedFlagChanges(entry.flags);
    if (flags.length > 0) row.flags = flags.map((change) => describeLedgerFlagChange(change, '→'));
    const request = objectOf(entry.request);
    if (action === 'cell-run' && request) {
      const runbook = stringOf(request.runbook);
      const cell = stringOf(request.cell);
      if (runbook || cell) row.source = { ...(runbook ? { runbook } : {}), ...(cell ? { cell } : {}) };
      cellRuns.push(cellRunRow(entry, line, time, offsetMs, verified));
    }
    if (NOTIFICATION_ACTIONS.has(action)) notifications.push(notificationRow(entry, time, offsetMs, verified));
    timeline.push(row);

    // Breach → recovery: the first breach, then the first entry putting all traffic on another version.
    if (action === 'guardrail-breach' && recovery.status === 'no-breach') {
      const lineage = objectOf(entry.lineage);
      candidateAtBreach = stringOf(objectOf(lineage?.candidate)?.version);
      const baseline = stringOf(objectOf(lineage?.baseline)?.version);
      Object.assign(recovery, { status: 'not-recovered', breachAt: breachMeasuredAt(entry) ?? time, breachSeq: entry.seq, ...(reason ? { breachReason: reason } : {}), ...(baseline ? { knownGood: baseline } : {}) });
      continue;
    }
    if (recovery.status !== 'not-recovered' || failed) continue;
    const sole = soleVersion(to);
    const runbookRollback = cellRollback.isRollback && cellSucceeded(entry);
    if ((sole !== undefined && sole !== candidateAtBreach) || (runbookRollback && cellRollback.to === undefined)) {
      recovery.status = 'recovered';
      recovery.recoveredAt = time;
      recovery.recoveredSeq = entry.seq;
      recovery.recoveredBy = action;
      if (sole) recovery.knownGood = sole;
      const ms = Date.parse(time) - Date.parse(recovery.breachAt ?? '');
      if (Number.isFinite(ms)) recovery.ms = Math.max(0, ms);
    }
  }
  return { timeline, cellRuns, notifications, recovery, measurementEntries };
}

function cellRunRow(entry: Record<string, unknown>, line: number, time: string, offsetMs: number, verified: boolean): CellRunRow {
  const request = objectOf(entry.request) ?? {};
  const details = objectOf(entry.details) ?? {};
  const headers = recordedHeaders(request.headers);
  const row: Omit<CellRunRow, 'summary'> = {
    seq: entry.seq as number,
    line,
    time,
    offsetMs,
    actor: stringOf(entry.actor) ?? '?',
    method: stringOf(request.method) ?? '?',
    url: stringOf(request.url) ?? '',
    headers,
    outcome: stringOf(request.outcome) ?? 'unknown',
    verified,
  };
  const optional = {
    runbook: stringOf(request.runbook),
    cell: stringOf(request.cell),
    kind: stringOf(details.kind),
    environment: stringOf(details.environment),
    body: stringOf(details.body),
    action: stringOf(details.action),
    status: numberOf(request.status),
    durationMs: numberOf(request.durationMs),
    error: stringOf(request.error),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (row as Record<string, unknown>)[key] = value;
  return { ...row, summary: cellSummary(row) };
}

function notificationRow(entry: Record<string, unknown>, time: string, offsetMs: number, verified: boolean): NotificationRow {
  const details = objectOf(entry.details) ?? {};
  const row: NotificationRow = {
    seq: entry.seq as number,
    time,
    offsetMs,
    target: stringOf(details.target) ?? '?',
    outcome: stringOf(details.outcome) ?? 'unknown',
    verified,
  };
  const event = stringOf(details.event);
  if (event) row.event = event;
  const status = numberOf(details.status);
  if (status !== undefined) row.status = status;
  const attempts = numberOf(details.attempts);
  if (attempts !== undefined) row.attempts = attempts;
  const error = stringOf(details.error);
  if (error) row.error = error;
  return row;
}

/** How the covered run ended, from its last decisive entry. */
export function reportOutcome(scope: ReportScope, entries: readonly CollectedEntry[]): ReportOutcome {
  if (scope.kind === 'window') {
    const rollbacks = entries.filter(({ entry }) => entry.action === 'rollback' && outcomeOf(entry) !== 'failed').length;
    const runs = scope.runIds.length;
    return { status: 'window', text: `${runs} rollout run${runs === 1 ? '' : 's'}, ${rollbacks} rollback${rollbacks === 1 ? '' : 's'} in the window` };
  }
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    const { entry } = entries[index]!;
    const reason = stringOf(entry.reason) ?? '';
    switch (entry.action) {
      case 'rollout-end':
        if (reason === 'promoted') return { status: 'promoted', text: 'Promoted: the candidate serves all traffic' };
        if (reason.startsWith('rolled back')) return { status: 'rolled-back', text: `Rolled back (${reason})` };
        return { status: 'ended', text: reason ? `Ended: ${reason}` : 'Ended' };
      case 'rollback':
        return outcomeOf(entry) === 'failed' ? { status: 'rollback-failed', text: 'ROLLBACK FAILED: traffic may still reach the candidate' } : { status: 'rolled-back', text: 'Rolled back' };
      case 'pause':
        return { status: 'paused', text: reason ? `Paused: ${reason}` : 'Paused' };
      default:
    }
  }
  return { status: 'in-progress', text: 'In progress (no end recorded yet)' };
}

/** The distinct lineage blocks of the covered entries, first seen first. */
export function collectLineage(entries: readonly CollectedEntry[]): ReportLineage[] {
  const blocks = new Map<string, ReportLineage>();
  for (const { entry } of entries) {
    const lineage = objectOf(entry.lineage);
    if (!lineage) continue;
    const version = (value: unknown) => {
      const item = objectOf(value);
      const name = stringOf(item?.version);
      if (!item || !name) return undefined;
      return { version: name, ...(stringOf(item.artifact) ? { artifact: stringOf(item.artifact)! } : {}), ...(stringOf(item.digest) ? { digest: stringOf(item.digest)! } : {}) };
    };
    const candidate = version(lineage.candidate);
    const baseline = version(lineage.baseline);
    const training = objectOf(lineage.training);
    const block: ReportLineage = {
      ...(candidate ? { candidate } : {}),
      ...(baseline ? { baseline } : {}),
      data: objectsOf(lineage.data).map((item) => ({
        name: stringOf(item.name) ?? '?',
        ...(stringOf(item.snapshot) ? { snapshot: stringOf(item.snapshot)! } : {}),
        ...(stringOf(item.digest) ? { digest: stringOf(item.digest)! } : {}),
      })),
      features: objectsOf(lineage.features).map((item) => ({ name: stringOf(item.name) ?? '?', ...(stringOf(item.version) ? { version: stringOf(item.version)! } : {}) })),
      ...(training
        ? {
            training: {
              ...(stringOf(training.run) ? { run: stringOf(training.run)! } : {}),
              ...(stringOf(training.commit) ? { commit: stringOf(training.commit)! } : {}),
              ...(stringOf(training.pipeline) ? { pipeline: stringOf(training.pipeline)! } : {}),
            },
          }
        : {}),
      planDigests: [],
      runIds: [],
    };
    const key = JSON.stringify([block.candidate, block.baseline, block.data, block.features, block.training]);
    const existing = blocks.get(key) ?? block;
    blocks.set(key, existing);
    const digest = stringOf(entry.planDigest);
    if (digest && !existing.planDigests.includes(digest)) existing.planDigests.push(digest);
    const runId = stringOf(entry.runId);
    if (runId && !existing.runIds.includes(runId)) existing.runIds.push(runId);
  }
  return [...blocks.values()];
}

/**
 * A recorded request's headers: a list of name/value pairs (in the order sent, repeats kept), or an
 * object in ledgers written before headers were recorded as pairs.
 */
function recordedHeaders(value: unknown): Array<[string, string]> {
  if (Array.isArray(value)) {
    return value.flatMap((pair) => (Array.isArray(pair) && typeof pair[0] === 'string' ? [[pair[0], stringOf(pair[1]) ?? ''] as [string, string]] : []));
  }
  return Object.entries(objectOf(value) ?? {}).map(([name, item]) => [name, stringOf(item) ?? '']);
}
