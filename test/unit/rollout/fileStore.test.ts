import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore, type RolloutSnapshot } from '../../../src/core/index';

function snapshot(stageIndex: number): RolloutSnapshot {
  return {
    schema: 1,
    runId: 'run',
    service: 'churn-scorer',
    planName: 'p',
    planDigest: 'sha256:x',
    candidateVersion: '42',
    baselineVersion: '41',
    rollbackTo: '41',
    automaticRollback: true,
    status: 'running',
    stageIndex,
    stages: [],
    startedAt: 't',
    updatedAt: 't',
  };
}

describe('FileStateStore', () => {
  it('keeps the newest of concurrent saves and leaves no temporary files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-store-'));
    const store = new FileStateStore(dir);
    expect(await store.load('churn-scorer')).toBeUndefined();
    await Promise.all(Array.from({ length: 50 }, (_, index) => store.save(snapshot(index))));
    expect((await store.load('churn-scorer'))!.stageIndex).toBe(49);
    expect(readdirSync(dir)).toEqual(['churn-scorer.json']);
  });

  it('refuses a file that is not rollout state instead of resuming from it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-store-'));
    writeFileSync(path.join(dir, 'churn-scorer.json'), JSON.stringify({ schema: 1, service: 'other' }));
    await expect(new FileStateStore(dir).load('churn-scorer')).rejects.toThrow('not a Rollgate rollout state file');
  });
});
