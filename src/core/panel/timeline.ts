// The side panel's timeline of a run: the rows of the run's report (`rollgate report`), as plain
// strings the webview shows with textContent. Same data, one place that builds it.
import { recoveryText, trafficCell, verificationWarning } from '../report/markdown';
import { formatClock, formatOffset } from '../report/text';
import type { ReportModel } from '../report/types';
import type { PanelTimeline, PanelTimelineRow } from './protocol';

const failedOutcomes = new Set(['failed', 'failure', 'error']);

export function toPanelTimeline(model: ReportModel): PanelTimeline {
  const rows: PanelTimelineRow[] = model.timeline.map((row) => {
    const item: PanelTimelineRow = {
      seq: row.seq,
      clock: formatClock(row.time),
      offset: formatOffset(row.offsetMs),
      actor: row.actor,
      action: row.action,
      traffic: trafficCell(row),
      failed: row.action === 'guardrail-breach' || (row.outcome !== undefined && failedOutcomes.has(row.outcome)),
      verified: row.verified,
    };
    if (row.stage) item.stage = row.stage;
    if (row.reason) item.reason = row.reason;
    if (row.detail) item.detail = row.detail;
    if (row.source?.runbook) item.source = 'cell';
    else if (row.runId && row.planDigest && row.stage) item.source = 'plan';
    return item;
  });
  const { verification } = model;
  const head = verification.lastCovered;
  const timeline: PanelTimeline = {
    title: model.title,
    outcome: model.outcome.text,
    recovery: recoveryText(model.recovery),
    verified: verification.ok,
    verification: verificationWarning(verification) ?? `Ledger chain intact (${verification.verifiedEntries} entries)${head ? `; last entry of this run #${head.seq}, hash ${head.hash.slice(0, 16)}…` : ''}`,
    rows,
    measurementEntries: model.measurementEntries,
  };
  const runId = model.scope.runIds[0];
  if (runId) timeline.runId = runId;
  return timeline;
}
