// Rollouts that move feature flags, end to end: the CLI (in-process) drives the real `rollgate dev`
// stack with a real Prometheus, and the plan's flags live on the real Unleash of this test run.
// Every flag state is read back through Unleash's own admin API, and every action from the ledger.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { verifyLedgerFile, type LedgerEntry } from '../../../src/core/index';
import { useDevStack } from '../../support/devStack';
import { createFlag, unleashApi, uniqueFlagName, useFlagService } from '../../support/flagService';
import { waitFor } from '../../support/poll';
import { startTcpProxy } from '../../support/tcpProxy';
import { devPlan } from '../rollout/devPlan';

const deployToken = 'flags-rollout-deploy-token';
const getStack = useDevStack({ token: deployToken });
const unleash = useFlagService();

interface Raw {
  enabled: boolean;
  strategies: Array<{ id: string; name: string; parameters: Record<string, string> }>;
}
const raw = (flag: string): Promise<Raw> => unleashApi(unleash(), 'GET', `/api/admin/projects/default/features/${flag}/environments/production`) as Promise<Raw>;
const percentOf = (state: Raw): string | undefined => state.strategies.find((strategy) => strategy.name === 'flexibleRollout')?.parameters.rollout;

// The flag endpoint's timeout leaves room for Unleash on a machine loaded by the whole parallel
// suite. The service-down case refuses connections, which no timeout waits for.
function workspace(flag: string, options: { flagsUrl?: string; canaryBake?: string; approval?: 'manual' } = {}): string {
  const { stack } = getStack();
  const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-flags-'));
  const plan = devPlan({
    deploymentUrl: stack.deploymentUrl,
    prometheusUrl: stack.prometheusUrl!,
    tokenSecret: 'deploy-token',
    canaryBake: options.canaryBake ?? '2s',
    ...(options.approval ? { approval: options.approval } : {}),
  })
    .replace(/^( {2}metrics: .*\n)/m, `$1  flags: { type: unleash, url: "${options.flagsUrl ?? unleash().url}", token: { secret: unleash-token }, environment: production, timeout: 10s }\n`)
    .concat(`flags:\n  - { name: ${flag}, default: off, followTraffic: true, onRollback: restore }\n`);
  writeFileSync(path.join(dir, 'plan.rollout.yaml'), plan);
  return dir;
}

/** Runs the CLI in-process; `output` keeps stdout and stderr lines in the order they were written. */
async function rollgate(dir: string, args: string[]) {
  const output: { stream: 'out' | 'err'; text: string }[] = [];
  const code = await main(args, {
    cwd: dir,
    env: { ROLLGATE_SECRET_DEPLOY_TOKEN: deployToken, ROLLGATE_SECRET_UNLEASH_TOKEN: unleash().adminToken },
    stdout: (text) => void output.push({ stream: 'out', text }),
    stderr: (text) => void output.push({ stream: 'err', text }),
  });
  const of = (stream: 'out' | 'err') =>
    output
      .filter((line) => line.stream === stream)
      .map((line) => line.text)
      .join('');
  return { code, stdout: of('out'), stderr: of('err'), output };
}

function ledger(dir: string): LedgerEntry[] {
  return readFileSync(path.join(dir, '.rollgate', 'ledger.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LedgerEntry);
}

async function rolloutFlagsOf(flag: string, percent: string) {
  await createFlag(unleash(), flag, { enabledIn: ['production'], strategies: { production: [{ name: 'flexibleRollout', parameters: { rollout: percent, stickiness: 'default', groupId: flag } }] } });
  return raw(flag);
}

describe('rollouts with feature flags on a real Unleash', () => {
  it('the flag follows traffic to 100 % when the rollout is promoted, in the same ledger entries as the traffic', async () => {
    const flag = uniqueFlagName('promote');
    await createFlag(unleash(), flag);
    const dir = workspace(flag);
    const run = await rollgate(dir, ['rollout', 'plan.rollout.yaml', '--yes']);
    expect(run.code, run.stderr || run.stdout).toBe(0);
    const after = await raw(flag);
    expect(after.enabled).toBe(true);
    expect(after.strategies.map((strategy) => [strategy.name, strategy.parameters.rollout])).toEqual([['flexibleRollout', '100']]);

    const entries = ledger(dir);
    const start = entries.find((entry) => entry.action === 'rollout-start')!;
    expect(start.flags).toEqual([expect.objectContaining({ name: flag, reason: 'default', before: { enabled: false }, after: { enabled: false, percent: 0 }, outcome: 'ok', recorded: { enabled: false, rules: [] } })]);
    const traffic = entries.filter((entry) => entry.action === 'traffic-change');
    expect(traffic.map((entry) => [entry.to?.weights, entry.flags?.map((change) => change.after)])).toEqual([
      [{ '41': 50, '42': 50 }, [{ enabled: true, percent: 50 }]],
      [{ '41': 0, '42': 100 }, [{ enabled: true, percent: 100 }]],
    ]);
    expect(traffic[0]!.flags![0]!.service).toBe(`Unleash ${unleash().url} (project default, environment production)`);
    expect((await verifyLedgerFile(path.join(dir, '.rollgate', 'ledger.jsonl'))).ok).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(unleash().adminToken);
  });

  it('a drill: the flag is at 50 % during the canary, and the automatic rollback restores the recorded state in the rollback entry', async () => {
    const flag = uniqueFlagName('drill');
    const before = await rolloutFlagsOf(flag, '20');
    const dir = workspace(flag, { canaryBake: '30s' });
    const seen = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const state = await raw(flag);
        seen.add(`${state.enabled ? 'on' : 'off'} at ${percentOf(state)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const run = await rollgate(dir, ['rollout', 'plan.rollout.yaml', '--drill']);
    sampling = false;
    await sampler;
    expect(run.code, run.stderr || run.stdout).toBe(0);
    expect(seen).toContain('on at 50');
    expect(await raw(flag)).toEqual(before);
    expect(run.stdout).toContain(`feature flags restored on Unleash ${unleash().url} (project default, environment production): ${flag} on at 20% (rollback: restore)`);

    const rollbacks = ledger(dir).filter((entry) => entry.action === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({
      from: { weights: { '41': 50, '42': 50 } },
      to: { weights: { '41': 100 } },
      flags: [{ name: flag, reason: 'rollback: restore', before: { enabled: true, percent: 50 }, target: 'on at 20%', after: { enabled: true, percent: 20 }, outcome: 'ok' }],
    });

    // The incident report shows the flag moves beside the traffic they went with.
    const report = await rollgate(dir, ['report', '--format', 'md']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(`flag \`${flag} on at 50% → on at 20% (rollback: restore)\``);
    expect(report.stdout).toMatch(new RegExp(`flag \`${flag} [^\`]*→ on at 50%`));
  });

  it('the flag service down during the rollback: traffic rolls back first, the flag failure is recorded in the same entry and said loudly', async () => {
    const flag = uniqueFlagName('down');
    await rolloutFlagsOf(flag, '20');
    const proxy = await startTcpProxy(Number(new URL(unleash().url).port));
    const dir = workspace(flag, { flagsUrl: proxy.url, canaryBake: '30s' });
    // The flag service goes down once the canary's flags are set, before the fault strikes.
    const cutter = waitFor('the canary flags in the ledger', 120_000, () => {
      try {
        return ledger(dir).some((entry) => entry.action === 'traffic-change' && entry.flags?.[0]?.after?.percent === 50) ? true : undefined;
      } catch {
        return undefined;
      }
    }).then(() => proxy.cut());
    const run = await rollgate(dir, ['rollout', 'plan.rollout.yaml', '--drill']);
    await cutter;
    await proxy.close();

    expect(run.code, run.stderr || run.stdout).toBe(0);
    expect(
      getStack()
        .stack.state()
        .versions.find((version) => version.version === '41')?.weight,
    ).toBe(100);
    // Traffic first: its rollback was done and said before the flag restore gave up.
    const trafficDone = run.output.findIndex((line) => line.stream === 'out' && line.text.includes('traffic rolled back to 41'));
    const flagsFailed = run.output.findIndex((line) => line.stream === 'err' && line.text.includes('FLAGS NOT RESTORED'));
    expect(trafficDone).toBeGreaterThanOrEqual(0);
    expect(flagsFailed).toBeGreaterThan(trafficDone);
    expect(run.stderr).toContain(`Set by hand now: In Unleash ${proxy.url} (project default, environment production), flag '${flag}': set its gradual rollout to 20%, then turn it on.`);
    // And it did not wait for the flag service: the drill's own verdict on fault -> endpoint at
    // baseline (with the flag service down, the restore's four tries alone take 3.5 s of backoff).
    expect(run.stdout).toMatch(/fault -> endpoint at baseline +[\d.,]+ ms/);
    expect(run.stdout).toMatch(/bound +[\d.,]+ ms +within bound/);

    // Nothing pretends the flag was restored: Unleash still has the canary's 50 %.
    expect(percentOf(await raw(flag))).toBe('50');
    const [rollback] = ledger(dir).filter((entry) => entry.action === 'rollback');
    expect(rollback).toMatchObject({ to: { weights: { '41': 100 } }, details: { outcome: 'ok' } });
    expect(rollback!.flags).toEqual([
      expect.objectContaining({ name: flag, reason: 'rollback: restore', target: 'on at 20%', outcome: 'failed', attempts: 4, manual: expect.stringContaining('set its gradual rollout to 20%') }),
    ]);
    expect(rollback!.flags![0]!.error).toContain('is unreachable');
  });

  it('rollgate rollback and runbook cells: a flag set by hand, then the rollback restores the state the rollout recorded', async () => {
    const flag = uniqueFlagName('manual');
    const before = await rolloutFlagsOf(flag, '10');
    const dir = workspace(flag, { approval: 'manual' });
    const waiting = await rollgate(dir, ['rollout', 'plan.rollout.yaml']);
    expect(waiting.code, waiting.stderr).toBe(3);
    expect(percentOf(await raw(flag))).toBe('50');

    writeFileSync(path.join(dir, 'incident.runbook.md'), `---\nplan: ./plan.rollout.yaml\n---\n# Incident\n\n\`\`\`rollout {"name":"more"}\nflag ${flag} 80\n\`\`\`\n`);
    const cell = await rollgate(dir, ['run', 'incident.runbook.md', '--yes']);
    expect(cell.code, cell.stderr + cell.stdout).toBe(0);
    expect(percentOf(await raw(flag))).toBe('80');
    const cellRun = ledger(dir)
      .filter((entry) => entry.action === 'cell-run')
      .at(-1)!;
    expect(cellRun.flags).toEqual([expect.objectContaining({ name: flag, reason: 'runbook', before: { enabled: true, percent: 50 }, target: 'on at 80%', after: { enabled: true, percent: 80 }, outcome: 'ok' })]);

    const rolledBack = await rollgate(dir, ['rollback', 'plan.rollout.yaml', '--yes', '--reason', 'flag trouble']);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.stdout).toContain(`Feature flags restored: ${flag} on at 10% (rollback: restore).`);
    expect(await raw(flag)).toEqual(before);
    const rollback = ledger(dir)
      .filter((entry) => entry.action === 'rollback')
      .at(-1)!;
    expect(rollback).toMatchObject({ reason: 'flag trouble', to: { weights: { '41': 100 } }, flags: [{ name: flag, before: { enabled: true, percent: 80 }, after: { enabled: true, percent: 10 }, outcome: 'ok' }] });

    // A runbook's rollback cell restores from the rollout's start entry in the ledger too.
    writeFileSync(
      path.join(dir, 'again.runbook.md'),
      `---\nplan: ./plan.rollout.yaml\n---\n# Again\n\n\`\`\`rollout {"name":"off"}\nflag ${flag} off\n\`\`\`\n\n\`\`\`rollout {"name":"back"}\nrollback reason "restore the flag from a runbook"\n\`\`\`\n`,
    );
    const again = await rollgate(dir, ['run', 'again.runbook.md', '--yes']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(await raw(flag)).toEqual(before);
    const back = ledger(dir)
      .filter((entry) => entry.action === 'cell-run')
      .at(-1)!;
    expect(back.flags).toEqual([expect.objectContaining({ name: flag, reason: 'rollback: restore', before: { enabled: false, percent: 10 }, after: { enabled: true, percent: 10 }, outcome: 'ok' })]);
  });
});
