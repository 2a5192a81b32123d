// The side panel's run timeline and source links, from a real ledger: the same report model as
// `rollgate report`, as rows the webview shows; and the two new view messages, validated.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildReport, collectFromLedger, Ledger } from '../../../src/core/index';
import { toChangelogEntry } from '../../../src/core/panel/model';
import { sourceKindOf } from '../../../src/core/panel/source';
import { toPanelTimeline } from '../../../src/core/panel/timeline';
import { parseViewMessage } from '../../../src/core/panel/validate';

async function ledgerOfAnIncident() {
  const ledger = new Ledger({ path: path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-timeline-')), 'ledger.jsonl') });
  const run = { service: 'churn-scorer', runId: 'run-7', planDigest: `sha256:${'f'.repeat(64)}`, lineage: { candidate: { version: '42' }, baseline: { version: '41' } } };
  await ledger.append({ ...run, actor: 'vscode:alice', action: 'rollout-start', reason: 'plan churn' });
  await ledger.append({ ...run, actor: 'vscode:alice', action: 'traffic-change', to: { weights: { '41': 90, '42': 10 }, stage: 'canary-10' }, details: { stage: 'canary-10', outcome: 'ok' } });
  await ledger.append({
    ...run,
    actor: 'vscode:alice',
    action: 'guardrail-measurement',
    evidence: [{ guardrail: 'error-rate', value: 0.01, bound: { max: 0.02 }, outcome: 'pass' }],
    details: { stage: 'canary-10', outcome: 'ok' },
  });
  await ledger.append({ ...run, actor: 'vscode:alice', action: 'guardrail-breach', reason: 'error-rate 0.05 is above max 0.02', details: { stage: 'canary-10', outcome: 'ok' } });
  await ledger.append({ ...run, actor: 'vscode:alice', action: 'pause', reason: 'rollback.automatic is false', details: { stage: 'canary-10', outcome: 'ok' } });
  await ledger.append({
    service: 'churn-scorer',
    actor: 'vscode:bob',
    action: 'cell-run',
    request: { method: 'POST', url: 'http://127.0.0.1:8700/v1/services/churn-scorer/rollback', status: 200, outcome: 'success', runbook: 'incident.runbook.md', cell: 'back' },
    details: { kind: 'rollout', action: 'roll back churn-scorer to 41 (baseline) (reason: 5xx)' },
  });
  return ledger;
}

describe('the panel timeline', () => {
  it("shows the run report's rows: traffic before → after, failures, sources, verification", async () => {
    const ledger = await ledgerOfAnIncident();
    const timeline = toPanelTimeline(buildReport(await collectFromLedger({ file: ledger.path, selector: { kind: 'run', runId: 'run-7' } })));
    expect(timeline.runId).toBe('run-7');
    expect(timeline.rows.map((row) => row.action)).toEqual(['rollout-start', 'traffic-change', 'guardrail-breach', 'pause', 'cell-run']);
    expect(timeline.measurementEntries).toBe(1);
    expect(timeline.rows[1]).toMatchObject({ stage: 'canary-10', traffic: '— → 41 90%, 42 10%', source: 'plan', failed: false, verified: true });
    expect(timeline.rows[2]).toMatchObject({ failed: true, source: 'plan' });
    expect(timeline.rows[4]).toMatchObject({ source: 'cell', traffic: '41 90%, 42 10% → 41 100%', actor: 'vscode:bob' });
    expect(timeline.rows[4]!.detail).toContain('roll back churn-scorer to 41');
    expect(timeline.rows[0]!.offset).toBe('+0 ms');
    expect(timeline.outcome).toBe('Paused: rollback.automatic is false');
    expect(timeline.recovery).toMatch(/^\d+ ms: breach measured at .* all traffic on 41 at .*cell-run\)$/);
    expect(timeline.verified).toBe(true);
    expect(timeline.verification).toMatch(/^Ledger chain intact \(6 entries\); last entry of this run #6, hash [0-9a-f]{16}…$/);
  });

  it('gives changelog entries a source: the runbook cell of a cell run, the plan stage of a rollout entry', async () => {
    const entries = await (await ledgerOfAnIncident()).list();
    expect(entries.map((entry) => toChangelogEntry(entry).source)).toEqual([undefined, 'plan', 'plan', 'plan', 'plan', 'cell']);
    // Other writers' entries: nothing to open unless the fields are really there.
    expect(sourceKindOf({ action: 'cell-run', request: { runbook: 5 } })).toBeUndefined();
    expect(sourceKindOf({ action: 'rollback', runId: 'r', planDigest: 'd' })).toBeUndefined();
    expect(sourceKindOf({ action: 'rollback', runId: 'r', planDigest: 'd', to: { stage: 'full' } })).toBe('plan');
  });
});

describe('view messages of the timeline', () => {
  it('accepts an export in md or html and an entry number to open; refuses anything else', () => {
    expect(parseViewMessage({ type: 'exportReport', format: 'html' })).toEqual({ ok: true, message: { type: 'exportReport', format: 'html' } });
    expect(parseViewMessage({ type: 'exportReport', format: 'md' }).ok).toBe(true);
    expect(parseViewMessage({ type: 'openSource', seq: 12 })).toEqual({ ok: true, message: { type: 'openSource', seq: 12 } });
    for (const bad of [
      { type: 'exportReport', format: 'pdf' },
      { type: 'exportReport', format: 'html', path: '/etc/passwd' },
      { type: 'openSource', seq: 0 },
      { type: 'openSource', seq: 1.5 },
      { type: 'openSource', seq: '3' },
      { type: 'openSource', seq: 3, runbook: '../../secret.runbook.md' },
    ]) {
      expect(parseViewMessage(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });
});
