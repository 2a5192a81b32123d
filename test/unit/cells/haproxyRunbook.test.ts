// Runbook `rollout` cells on the HAProxy plan (examples/churn-haproxy.*), run with `rollgate run`
// against rollgate dev's real HAProxy: each action is one runtime API line, shown and recorded
// with the socket and the exact command.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { HaproxyTraffic } from '../../../src/core/backends/haproxy/index';
import type { LedgerEntry } from '../../../src/core/index';
import { useDevStack } from '../../support/devStack';
import { haproxyBin } from '../../support/haproxy';

const dev = useDevStack({ haproxy: 'required', haproxyBin, haproxyPort: 0, haproxyApiPort: 0, haproxyMetricsPort: 0, requestsPerSecond: 40 });
const examples = join(__dirname, '../../../examples');

let folder = '';
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'rollgate-haproxy-run-'));
  // The example plan and runbook, pointed at this test's dev stack instead of the default ports.
  const plan = readFileSync(join(examples, 'churn-haproxy.rollout.yaml'), 'utf8').replace('tcp://127.0.0.1:9999', dev().stack.haproxy!.runtimeUrl).replace('http://127.0.0.1:9090', dev().stack.prometheusUrl!);
  writeFileSync(join(folder, 'churn-haproxy.rollout.yaml'), plan);
  writeFileSync(join(folder, 'churn-haproxy.runbook.md'), readFileSync(join(examples, 'churn-haproxy.runbook.md'), 'utf8'));
});

async function rollgate(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd: folder, env: { ROLLGATE_ACTOR: 'ci' } });
  return { code, stdout, stderr };
}

const weights = async () => {
  const { runtimeUrl, backend, servers } = dev().stack.haproxy!;
  return (await new HaproxyTraffic({ url: runtimeUrl, backend, servers }).read()).weights;
};

describe('rollout cells on the HAProxy plan', () => {
  it('--dry-run shows the socket and the exact set-weight lines, and sends nothing', async () => {
    const result = await rollgate(['run', 'churn-haproxy.runbook.md', '--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const socket = dev().stack.haproxy!.runtimeUrl;
    expect(result.stdout).toContain(`HAPROXY ${socket}`);
    expect(result.stdout).toContain('set weight churn-scorer/v41 90; set weight churn-scorer/v42 10, and weight 0 for every other server of churn-scorer');
    expect(result.stdout).toContain('set weight churn-scorer/v41 100; set weight churn-scorer/v42 0, and weight 0 for every other server of churn-scorer');
    expect(await weights()).toEqual({ '41': 100, '42': 0 });
  });

  it('runs the example runbook: canary through HAProxy, guardrail check on its metrics, rollback; recorded with the socket and command', async () => {
    const result = await rollgate(['run', 'churn-haproxy.runbook.md', '--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await weights()).toEqual({ '41': 100, '42': 0 });
    const entries = readFileSync(join(folder, '.rollgate', 'ledger.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LedgerEntry);
    const mutations = entries.filter((entry) => entry.action === 'cell-run' && entry.request?.method === 'HAPROXY' && entry.details?.body !== 'show servers state churn-scorer');
    expect(mutations.map((entry) => [entry.request?.url, entry.request?.outcome, entry.details?.body])).toEqual([
      [dev().stack.haproxy!.runtimeUrl, 'success', 'set weight churn-scorer/v41 90; set weight churn-scorer/v42 10, and weight 0 for every other server of churn-scorer'],
      [dev().stack.haproxy!.runtimeUrl, 'success', 'set weight churn-scorer/v41 100; set weight churn-scorer/v42 0, and weight 0 for every other server of churn-scorer'],
    ]);
  });

  it('pause, a mirror and an inexact split are refused before anything is sent, naming HAProxy', async () => {
    const refusals: Array<[string, string]> = [
      ['pause reason "hold"', 'HAProxy (runtime API) cannot pause; use set-traffic or rollback.'],
      ['set-traffic 10 mirror 50', 'HAProxy (runtime API) has no native mirroring; remove the mirror.'],
      ['set-traffic 33.33', 'HAProxy (runtime API) cannot set this split: whole HAProxy weights from 0 to 256 cannot split traffic exactly as 41=66.67% 42=33.33%'],
    ];
    for (const [action, message] of refusals) {
      writeFileSync(join(folder, 'refused.runbook.md'), `---\nplan: ./churn-haproxy.rollout.yaml\n---\n\`\`\`rollout {"effect":"mutate"}\n${action}\n\`\`\`\n`);
      const result = await rollgate(['run', 'refused.runbook.md', '--yes']);
      expect(result.code, action).toBe(1);
      expect(result.stdout + result.stderr, action).toContain(message);
    }
    expect(await weights()).toEqual({ '41': 100, '42': 0 });
  });
});
