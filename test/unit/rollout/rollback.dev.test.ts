// `rollgate rollback` (run in-process through the CLI's main) against the real `rollgate dev`
// deployment endpoint: nothing is sent without --yes; with it, one recorded rollback; a dead
// endpoint is a loud failure that is recorded too; a runner holding the service is named.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { acquireServiceLock, DEFAULT_STATE_DIR, verifyLedgerFile } from '../../../src/core/index';
import { freePort } from '../../../src/dev/index';
import { useDevStack } from '../../support/devStack';
import { devPlan } from './devPlan';

const token = 'rollback-cli-token-7c1e55';
const getStack = useDevStack({ token });

async function rollgate(cwd: string, args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd,
    // One variable serves both spellings: `deploy-token` and `deploy.token` map to the same name.
    env: { ROLLGATE_SECRET_DEPLOY_TOKEN: token },
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

function workspace(deploymentUrl = getStack().stack.deploymentUrl, tokenSecret = 'deploy-token'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-rollback-'));
  writeFileSync(path.join(dir, 'plan.rollout.yaml'), devPlan({ deploymentUrl, prometheusUrl: getStack().stack.prometheusUrl!, tokenSecret }));
  return dir;
}

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

const weights = async () => Object.fromEntries((await getStack().deployment.getService()).versions.map((version) => [version.version, version.weight]));

async function canaryAt(percent: number): Promise<void> {
  await getStack().deployment.setTraffic({ '41': 100 - percent, '42': percent }, {}, { idempotencyKey: `test-canary-${percent}-${Date.now()}` });
}

describe('rollgate rollback against rollgate dev', () => {
  it('without --yes says what it would send and sends nothing', async () => {
    await canaryAt(30);
    const dir = workspace();
    const run = await rollgate(dir, ['rollback', 'plan.rollout.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('/v1/services/churn-scorer/rollback: all traffic of churn-scorer to version 41. Nothing was sent; add --yes');
    expect(await weights()).toEqual({ '41': 70, '42': 30 });
  });

  it('with --yes rolls back in one recorded call, and keeps the token out of output and ledger', async () => {
    await canaryAt(30);
    const dir = workspace();
    const run = await rollgate(dir, ['rollback', 'plan.rollout.yaml', '--yes', '--reason', 'p99 spike after 42']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ROLLED BACK churn-scorer to 41 in \d+ ms \(was 41=70% 42=30%\); recorded in \.rollgate\/ledger\.jsonl as #1\.\n$/);
    expect(await weights()).toEqual({ '41': 100, '42': 0 });
    expect((await getStack().deployment.getService()).phase).toBe('rolled-back');

    const ledgerFile = path.join(dir, '.rollgate', 'ledger.jsonl');
    expect((await verifyLedgerFile(ledgerFile)).ok).toBe(true);
    const [entry] = readFileSync(ledgerFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entry).toMatchObject({
      action: 'rollback',
      service: 'churn-scorer',
      from: { weights: { '41': 70, '42': 30 } },
      to: { version: '41', weights: { '41': 100 } },
      reason: 'p99 spike after 42',
      lineage: { candidate: { version: '42' }, baseline: { version: '41' } },
      details: { outcome: 'ok' },
    });
    expect(entry.actor).toMatch(/^cli:/);
    expect(entry.details.idempotencyKey).toMatch(/^cli:rollback:/);
    expect(`${run.stdout}${run.stderr}${readFileSync(ledgerFile, 'utf8')}`).not.toContain(token);
  });

  it('--format json reports the outcome; --to picks another version', async () => {
    await canaryAt(50);
    const dir = workspace();
    const run = await rollgate(dir, ['rollback', 'plan.rollout.yaml', '--yes', '--to', '42', '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, service: 'churn-scorer', to: '42', from: { weights: { '41': 50, '42': 50 } }, ledger: { seq: 1 }, notes: [] });
    expect(await weights()).toEqual({ '41': 0, '42': 100 });
  });

  it('names a rollout runner that holds the service, and still rolls back', async () => {
    await canaryAt(10);
    const dir = workspace();
    const lock = await acquireServiceLock(path.join(dir, DEFAULT_STATE_DIR), 'churn-scorer');
    try {
      const run = await rollgate(dir, ['rollback', 'plan.rollout.yaml', '--yes']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`A rollout runner (pid ${process.pid}`);
      expect(run.stdout).toContain('it pauses at its next traffic change instead of undoing this rollback');
      expect(await weights()).toEqual({ '41': 100, '42': 0 });
    } finally {
      await lock.release();
    }
  });

  it('reads a secret named deploy.token from the same variable as rollgate run and the editor', async () => {
    await canaryAt(20);
    const dir = workspace(undefined, 'deploy.token');
    const run = await rollgate(dir, ['rollback', 'plan.rollout.yaml', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(await weights()).toEqual({ '41': 100, '42': 0 });
  });

  it('only reads who holds the service: a stale lock is left as it is, not taken over', async () => {
    await canaryAt(10);
    const dir = workspace();
    const stateDir = path.join(dir, DEFAULT_STATE_DIR);
    mkdirSync(stateDir, { recursive: true });
    const lockFile = path.join(stateDir, 'churn-scorer.lock');
    const stale = JSON.stringify({ pid: deadPid(), host: hostname(), since: new Date().toISOString(), token: 'left-by-a-crash' });
    writeFileSync(lockFile, stale);
    const run = await rollgate(dir, ['rollback', 'plan.rollout.yaml', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('A rollout runner');
    expect(readFileSync(lockFile, 'utf8')).toBe(stale);
  });

  it('a dead endpoint is a loud failure (exit 1), recorded as failed', async () => {
    const dir = workspace(`http://127.0.0.1:${await freePort()}`);
    const run = await rollgate(dir, ['rollback', 'plan.rollout.yaml', '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ROLLBACK FAILED for churn-scorer');
    expect(run.stderr).toContain('Roll back by hand to 41 now');
    const [entry] = readFileSync(path.join(dir, '.rollgate', 'ledger.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entry).toMatchObject({ action: 'rollback', details: { outcome: 'failed' } });
    expect(entry.reason).toContain('FAILED');
  });
});
