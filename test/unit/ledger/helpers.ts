import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { LedgerEntryInput } from '../../../src/core/ledger/index';

/** A fresh temporary folder, removed by the returned cleanup. */
export function temporaryFolder(prefix = 'rollgate-ledger-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function sampleEntry(index: number, overrides: Partial<LedgerEntryInput> = {}): LedgerEntryInput {
  return {
    actor: 'alice',
    action: index % 3 === 0 ? 'rollback' : 'traffic-change',
    service: index % 2 === 0 ? 'churn-scorer' : 'fraud-scorer',
    from: { weights: { '41': 100 - index, '42': index } },
    to: { weights: { '41': 99 - index, '42': index + 1 } },
    reason: `step ${index}`,
    evidence: { guardrail: 'error-rate', query: 'sum(rate(x[1m]))', value: 0.001 * index, bound: { max: 0.02 }, window: '1m', outcome: 'pass' },
    planDigest: `sha256:${'a'.repeat(64)}`,
    lineage: { candidate: { version: '42', digest: `sha256:${'b'.repeat(64)}` }, baseline: { version: '41' }, features: [{ name: 'churn-features', version: '7' }] },
    ...overrides,
  };
}
