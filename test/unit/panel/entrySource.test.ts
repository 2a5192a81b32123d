import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { cellChangeEntry } from '../../../src/core/cells/ledger';
import { Ledger } from '../../../src/core/ledger/index';
import { toChangelogEntry } from '../../../src/core/panel/model';
import { entrySourceOf } from '../../../src/core/panel/source';
import { parseViewMessage } from '../../../src/core/panel/validate';

describe('a change made from a runbook cell, in the panel', () => {
  it('is a rollback entry with its reason and the runbook cell it came from', async () => {
    const ledger = new Ledger({ path: path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-source-')), 'ledger.jsonl') });
    const input = cellChangeEntry({
      action: 'cell-run',
      actor: 'vscode:oncall',
      service: 'churn-scorer',
      runbook: 'churn-canary.runbook.md',
      cell: { index: 6, kind: 'rollout' },
      durationMs: 12,
      outcome: 'ok',
      change: { action: 'rollback', reason: '5xx above guardrail on the canary', from: { weights: { '41': 90, '42': 10 } }, to: { weights: { '41': 100, '42': 0 } }, outcome: 'ok' },
    } as unknown as Parameters<typeof cellChangeEntry>[0]);
    expect(input).toBeDefined();
    await ledger.append(input!);
    const [stored] = await ledger.list();
    const shown = toChangelogEntry(stored!);
    expect(shown.action).toBe('rollback');
    expect(shown.reason).toBe('5xx above guardrail on the canary');
    expect(shown.origin).toBe('churn-canary.runbook.md, cell 7');
    expect(shown.change).toContain('→ 41 100%');
    expect(shown.source).toBe('cell');
    expect(entrySourceOf(stored!)).toEqual({ kind: 'cell', runbook: 'churn-canary.runbook.md', index: 6 });
  });

  it('a cell-run names its cell by number or name; the change entry of a named cell by both', () => {
    expect(entrySourceOf({ action: 'cell-run', request: { runbook: 'a.runbook.md', cell: '#3' } })).toEqual({ kind: 'cell', runbook: 'a.runbook.md', index: 2 });
    expect(entrySourceOf({ action: 'cell-run', request: { runbook: 'a.runbook.md', cell: 'undo' } })).toEqual({ kind: 'cell', runbook: 'a.runbook.md', name: 'undo' });
    const change = { action: 'rollback', request: { runbook: 'a.runbook.md', cell: 'undo' }, details: { source: 'runbook', runbook: 'a.runbook.md', cell: { index: 3, name: 'undo' } } };
    expect(entrySourceOf(change)).toEqual({ kind: 'cell', runbook: 'a.runbook.md', index: 3, name: 'undo' });
    expect(toChangelogEntry({ seq: 4, time: '', actor: 'a', prevHash: '', hash: '', ...change } as never).origin).toBe('a.runbook.md, cell 4 (undo)');
    // A cell-run is its cell's own record: no "From" line.
    expect(
      toChangelogEntry({ seq: 5, time: '', actor: 'a', prevHash: '', hash: '', action: 'cell-run', request: { runbook: 'a.runbook.md', cell: '#3', method: 'GET', url: 'http://127.0.0.1/' } } as never).origin,
    ).toBeUndefined();
  });

  it('has no source when an entry did not come from a runbook', () => {
    expect(entrySourceOf({ action: 'rollback', details: { source: 'panel' } })).toBeUndefined();
    expect(entrySourceOf({ action: 'rollback', details: { source: 'runbook', runbook: 'x.runbook.md', cell: { index: -1 } } })).toBeUndefined();
    expect(entrySourceOf({ action: 'cell-run', request: { runbook: 'x.runbook.md', cell: 7 } })).toBeUndefined();
  });

  it("the view may ask to open an entry's cell by seq only", () => {
    expect(parseViewMessage({ type: 'openSource', seq: 3 }).ok).toBe(true);
    expect(parseViewMessage({ type: 'openSource', seq: 3, runbook: '/etc/passwd' }).ok).toBe(false);
    expect(parseViewMessage({ type: 'openSource', seq: 0 }).ok).toBe(false);
    expect(parseViewMessage({ type: 'openSource', seq: 1.5 }).ok).toBe(false);
  });
});
