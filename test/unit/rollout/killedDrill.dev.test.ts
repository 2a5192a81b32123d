// Red-team finding 10: a drill killed (kill -9) after injecting its fault left the fault on
// `rollgate dev`, so the stack kept failing requests. The next drill clears faults it finds
// before it starts, says so, and runs as usual.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

import { validatePlan } from '../../../src/core/plan/validate';
import { eventually, useDevStack } from '../../support/devStack';
import { devPlan } from './devPlan';

const token = 'killed-drill-token';
const getStack = useDevStack({ token });
let cli = '';

beforeAll(async () => {
  cli = path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-cli-')), 'cli.js');
  await esbuild.build({ entryPoints: [path.resolve('src/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: cli, logLevel: 'warning' });
});

function runCli(cwd: string, args: string[]) {
  const child = spawn(process.execPath, [cli, 'rollout', ...args], { cwd, env: { ...process.env, ROLLGATE_SECRET_DEPLOY_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

const faultsOn = async () => {
  const response = await fetch(new URL('v1/faults', `${getStack().stack.deploymentUrl}/`), { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as { faults: Array<{ version: string }> }).faults;
};

describe('a drill killed with its fault on', () => {
  it('leaves the fault, which the next drill clears and reports before it runs', async () => {
    const { stack } = getStack();
    const text = devPlan({ deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl!, tokenSecret: 'deploy-token', canaryBake: '60s', automatic: false });
    expect(validatePlan(text).plan).toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-drill-kill-'));
    writeFileSync(path.join(dir, 'plan.rollout.yaml'), text);

    // automatic: false, so the breach pauses instead of rolling back, and the drill is killed while it waits.
    const first = runCli(dir, ['plan.rollout.yaml', '--drill']);
    await eventually(async () => (first.output().stdout.includes('[drill] fault injected') ? true : undefined), 30_000, 'the fault to be injected', 50);
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await faultsOn()).map((fault) => fault.version)).toEqual(['42']);

    const second = runCli(dir, ['plan.rollout.yaml', '--drill', '--restart', '--yes']);
    await eventually(async () => (second.output().stderr.includes('[drill] cleared') ? true : undefined), 30_000, 'the next drill to clear the stale fault', 50);
    expect(second.output().stderr).toContain('[drill] cleared a fault already on rollgate dev before this drill (42 error rate 100%), probably left by a drill that was killed');
    second.child.kill('SIGINT');
    await second.exited;
    // The second drill's own fault is cleared on its way out too.
    await eventually(async () => ((await faultsOn()).length === 0 ? true : undefined), 20_000, 'no faults left', 100);
    await getStack().deployment.rollback('41', 'test cleanup', { idempotencyKey: `cleanup-${Date.now()}` });
  });
});
