// Red-team finding 10: a corrupt state file's error did not name the file, and a service lock
// held from another host gave no hint how to clear it. Both messages now say which file and what
// to do, in the core and in `rollgate rollout`.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { FileStateStore, MemoryStateStore, RolloutEngine } from '../../../src/core/rollout/index';
import { validatePlan } from '../../../src/core/plan/validate';

const sample = readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'churn-canary.rollout.yaml'), 'utf8');

function workspace(): { dir: string; stateDir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-messages-'));
  writeFileSync(path.join(dir, 'plan.rollout.yaml'), sample);
  const stateDir = path.join(dir, '.rollgate', 'state');
  mkdirSync(stateDir, { recursive: true });
  return { dir, stateDir };
}

async function rollout(dir: string, args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['rollout', 'plan.rollout.yaml', ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd: dir,
    env: { ROLLGATE_SECRET_DEPLOY_TOKEN: 'messages-token' },
  });
  return { code, stdout, stderr };
}

describe('a corrupt state file', () => {
  it('is named by the store, so by every reader', async () => {
    const { stateDir } = workspace();
    const file = path.join(stateDir, 'churn-scorer.json');
    writeFileSync(file, '{"schema": 1, "service": "churn-scor');
    await expect(new FileStateStore(stateDir).load('churn-scorer')).rejects.toThrow(`${file} is not valid JSON`);
    const plan = validatePlan(sample).plan!;
    const engineStart = RolloutEngine.create({
      plan,
      planDigest: `sha256:${'2'.repeat(64)}`,
      traffic: { getState: async () => ({ weights: { '41': 100 } }), setTraffic: async () => undefined, rollback: async () => undefined },
      metrics: { read: async () => ({ value: 0 }) } as never,
      changeLog: { record: async () => undefined } as never,
      stateStore: new FileStateStore(stateDir),
      actor: 'test',
    });
    await expect(engineStart).rejects.toThrow(file);
    expect(new MemoryStateStore()).toBeDefined();
  });

  it('is named by rollgate rollout, which changes nothing', async () => {
    const { dir, stateDir } = workspace();
    const file = path.join(stateDir, 'churn-scorer.json');
    writeFileSync(file, 'not json at all');
    const result = await rollout(dir, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe('not json at all');
  });
});

describe('a service lock held from another host', () => {
  it('is not taken over, and the message says which file to delete once that runner is gone', async () => {
    const { dir, stateDir } = workspace();
    const lock = path.join(stateDir, 'churn-scorer.lock');
    writeFileSync(lock, JSON.stringify({ pid: 4242, host: 'build-7.example', since: '2026-01-01T00:00:00.000Z', token: 'abc123' }));
    const result = await rollout(dir, []);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('another runner (pid 4242 on build-7.example, since 2026-01-01T00:00:00.000Z) is driving the rollout of churn-scorer');
    expect(result.stderr).toContain(`It was taken on another machine (build-7.example)`);
    expect(result.stderr).toContain(`delete ${lock} and retry`);
    expect(JSON.parse(readFileSync(lock, 'utf8')).host).toBe('build-7.example');
  });
});
