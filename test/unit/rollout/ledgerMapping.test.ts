import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger, LedgerChangeLog, toLedgerEntry, type ChangeEntry } from '../../../src/core/index';

const entry: ChangeEntry = {
  action: 'guardrail-breach',
  actor: 'test',
  service: 'churn-scorer',
  stage: 'canary-5',
  reason: 'breach',
  outcome: 'ok',
  planDigest: `sha256:${'c'.repeat(64)}`,
  runId: 'run-1',
  lineage: { candidate: { version: '42', artifact: 's3://m/42', digest: 'sha256:a' }, baseline: { version: '41', artifact: 's3://m/41', digest: 'sha256:b' }, features: [{ name: 'f', version: '7' }] },
  from: { weights: { '41': 100, '42': 0 }, mirror: { version: '42', percent: 100 } },
  to: { weights: { '41': 95, '42': 5 } },
  evidence: [
    {
      guardrail: 'p99',
      outcome: 'fail',
      noData: false,
      query: 'q42',
      value: 0.2,
      baselineQuery: 'q41',
      baselineValue: 0,
      ratio: Infinity,
      bound: { maxRatio: 1.2, minRatio: 0.5 },
      reason: 'ratio +Inf',
      at: '2025-01-01T00:00:00.000Z',
      dryRun: false,
    },
    { guardrail: 'errors', outcome: 'inconclusive', noData: true, query: 'e42', bound: { max: 0.02 }, reason: 'no data', error: 'timeout', at: '2025-01-01T00:00:00.000Z', dryRun: false },
    { guardrail: 'new', outcome: 'fail', noData: true, query: 'n42', bound: { max: 1 }, reason: 'no data; onNoData: fail', at: '2025-01-01T00:00:00.000Z', dryRun: true },
  ],
};

describe('engine entries in the ledger', () => {
  it('maps evidence without losing what the ledger type has no field for', () => {
    const mapped = toLedgerEntry(entry);
    expect(mapped.evidence).toEqual([
      { guardrail: 'p99', query: 'q42', value: 0.2, baselineValue: 0, bound: { maxRatio: 1.2 }, outcome: 'fail' },
      { guardrail: 'errors', query: 'e42', value: null, bound: { max: 0.02 }, outcome: 'inconclusive' },
      { guardrail: 'new', query: 'n42', value: null, bound: { max: 1 }, outcome: 'no-data' },
    ]);
    expect(mapped.details!.measurements).toEqual([
      expect.objectContaining({ guardrail: 'p99', ratio: 'Infinity', minRatio: 0.5, baselineQuery: 'q41', dryRun: false }),
      expect.objectContaining({ guardrail: 'errors', error: 'timeout' }),
      expect.objectContaining({ guardrail: 'new', dryRun: true }),
    ]);
    expect(mapped.from).toEqual({ weights: { '41': 100, '42': 0 }, mirror: { version: '42', percent: 100 }, stage: 'canary-5' });
    expect(mapped).toMatchObject({ planDigest: entry.planDigest, runId: 'run-1', lineage: { features: [{ name: 'f', version: '7' }] } });
  });

  it('is accepted by the real ledger and verifies', async () => {
    const ledger = new Ledger({ path: path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-map-')), 'ledger.jsonl') });
    await new LedgerChangeLog(ledger).append(entry);
    expect((await ledger.verify()).ok).toBe(true);
    const [written] = await ledger.list();
    expect(written!.action).toBe('guardrail-breach');
    expect(written!.details!.outcome).toBe('ok');
  });
});
