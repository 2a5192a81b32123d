// The rollout core with the HAProxy backend against `rollgate dev` behind a real HAProxy and a
// real Prometheus scraping HAProxy's exporter: a drill rolls back by itself, a down server pauses
// the rollout or refuses the rollback, a change made by hand pauses it, a manual rollback is
// recorded with the backend and socket.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { HaproxyTraffic } from '../../../src/core/backends/haproxy/index';
import { environmentSecretResolver, openRollout, rollBackPlan, verifyLedgerFile, type LedgerEntry, type RolloutEvent } from '../../../src/core/index';
import { planDigest, validatePlan } from '../../../src/core/plan/validate';
import { eventually, useDevStack } from '../../support/devStack';
import { haproxyBin } from '../../support/haproxy';
import { haproxyDevPlan, type HaproxyDevPlanOptions } from './haproxyDevPlan';

const getStack = useDevStack({ haproxy: 'required', haproxyBin, haproxyPort: 0, haproxyApiPort: 0, haproxyMetricsPort: 0, requestsPerSecond: 60 });
const noSecrets = environmentSecretResolver({});

function planFor(overrides: Partial<HaproxyDevPlanOptions> = {}) {
  const { stack } = getStack();
  const text = haproxyDevPlan({ runtimeUrl: stack.haproxy!.runtimeUrl, prometheusUrl: stack.prometheusUrl!, ...overrides });
  const { plan, diagnostics } = validatePlan(text);
  if (!plan) throw new Error(`test plan invalid: ${JSON.stringify(diagnostics)}`);
  return { plan, digest: planDigest(text) };
}

function haproxy(): HaproxyTraffic {
  const { runtimeUrl, backend, servers } = getStack().stack.haproxy!;
  return new HaproxyTraffic({ url: runtimeUrl, backend, servers });
}

function workspace(): { root: string; ledgerPath: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'rollgate-haproxy-rollout-'));
  return { root, ledgerPath: path.join(root, 'ledger.jsonl') };
}

function ledgerEntries(file: string): LedgerEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LedgerEntry);
}

afterEach(async () => {
  // Every test starts from the dev stack's start: 41 at 100, both servers ready, no fault, and
  // no 5xx of an earlier fault left in the guardrail's 5 s window.
  getStack().stack.clearFaults();
  await sendLine('set server churn-scorer/v41 state ready; set server churn-scorer/v42 state ready');
  await haproxy().runtime.setWeights({ v41: 100, v42: 0 });
  await eventually(
    async () => {
      const { result } = await getStack().prometheus.query('sum(increase(haproxy_server_http_responses_total{proxy="churn-scorer",code="5xx"}[6s]))');
      return result.resultType === 'vector' && (result.samples.length === 0 || result.samples[0]!.value < 3) ? true : undefined;
    },
    20_000,
    'earlier faults to leave the rate window',
    200,
  );
});

async function sendLine(line: string): Promise<void> {
  const { sendRuntimeLine, parseRuntimeApiUrl } = await import('../../../src/core/backends/haproxy/index');
  await sendRuntimeLine(parseRuntimeApiUrl(getStack().stack.haproxy!.runtimeUrl)!, line.split('; '), { timeoutMs: 5000 });
}

describe('a rollout through HAProxy', () => {
  it('a drill on the HAProxy plan rolls back automatically, and the ledger names the backend and socket', async () => {
    const { plan, digest } = planFor({ canaryBake: '30s' });
    const { root, ledgerPath } = workspace();
    const opened = await openRollout({ plan, planDigest: digest, secrets: noSecrets, workspaceRoot: root, ledgerPath, actor: 'test', drill: {} });
    const events: RolloutEvent[] = [];
    opened.engine.onEvent((event) => events.push(event));
    try {
      const result = await opened.drill!.run();
      expect(result.injected).toBe(true);
      expect(result.snapshot.status).toBe('rolled-back');
      // Timed end to end; `npm run bench -- haproxy` compares these with the drill bound.
      expect(result.faultToRollbackMs).toBeGreaterThan(0);
      expect((await haproxy().read()).weights).toEqual({ '41': 100, '42': 0 });
      expect(events.map((event) => event.kind)).toContain('breach');
    } finally {
      await opened.close();
    }
    expect(
      getStack()
        .stack.state()
        .versions.find((version) => version.version === '42')?.weight,
    ).toBe(0);
    expect((await verifyLedgerFile(ledgerPath)).ok).toBe(true);
    const entries = ledgerEntries(ledgerPath);
    const rollback = entries.find((entry) => entry.action === 'rollback')!;
    expect(rollback.to?.weights).toEqual({ '41': 100 });
    for (const entry of entries) expect(entry.details?.deployment).toEqual({ type: 'haproxy', socket: getStack().stack.haproxy!.runtimeUrl, backend: 'churn-scorer', servers: { '41': 'v41', '42': 'v42' } });
  });

  it('a candidate server HAProxy reports down pauses the rollout, naming the server; nothing is sent', async () => {
    await sendLine('set server churn-scorer/v42 state maint');
    const { plan, digest } = planFor();
    const { root, ledgerPath } = workspace();
    const opened = await openRollout({ plan, planDigest: digest, secrets: noSecrets, workspaceRoot: root, ledgerPath, actor: 'test' });
    try {
      const snapshot = await opened.engine.run();
      expect(snapshot.status).toBe('paused');
      expect(snapshot.pauseReason).toContain('could not set traffic for stage canary-50: HAProxy reports churn-scorer/v42 in maintenance');
      expect((await haproxy().read()).weights).toEqual({ '41': 100, '42': 0 });
    } finally {
      await opened.close();
    }
  });

  it('a rollback to a server HAProxy reports down is refused loudly, with what to do by hand', async () => {
    const { plan, digest } = planFor({ canaryBake: '10m' });
    const { root, ledgerPath } = workspace();
    const opened = await openRollout({ plan, planDigest: digest, secrets: noSecrets, workspaceRoot: root, ledgerPath, actor: 'test', engine: { waitForPeople: true, rollbackRetryDelayMs: 10 } });
    const running = opened.engine.run();
    try {
      await eventually(async () => (opened.engine.snapshot().stages[0]?.status === 'baking' ? true : undefined), 20_000, 'the canary to bake');
      await sendLine('set server churn-scorer/v41 state maint');
      const result = await opened.engine.rollbackNow('test: roll back to a server in maintenance');
      expect(result.ok).toBe(false);
      expect(result.attempts).toBe(1);
      expect(result.error).toContain('ROLLBACK REFUSED: HAProxy reports churn-scorer/v41 in maintenance');
      expect(result.error).toContain('traffic was left as it is');
      expect((await running).status).toBe('failed');
      expect((await haproxy().read()).weights).toEqual({ '41': 50, '42': 50 });
    } finally {
      await opened.close();
    }
  });

  it('weights changed by hand while the rollout waits pause it instead of being overwritten', async () => {
    const { plan, digest } = planFor({ canaryBake: '1s', approval: 'manual' });
    const { root, ledgerPath } = workspace();
    const opened = await openRollout({ plan, planDigest: digest, secrets: noSecrets, workspaceRoot: root, ledgerPath, actor: 'test' });
    try {
      expect((await opened.engine.run()).status).toBe('waiting-approval');
      await sendLine('set weight churn-scorer/v41 100; set weight churn-scorer/v42 0');
      expect(await opened.engine.approve('test')).toBe(true);
      const snapshot = await opened.engine.run();
      expect(snapshot.status).toBe('paused');
      expect(snapshot.pauseReason).toContain('traffic was changed outside this rollout: the deployment endpoint shows 41=100%, this rollout last set 41=50% 42=50%');
      expect((await haproxy().read()).weights).toEqual({ '41': 100, '42': 0 });
    } finally {
      await opened.close();
    }
  });

  it('roll back now without an engine: one line through HAProxy, recorded with the backend and socket', async () => {
    await haproxy().setShares({ '41': 50, '42': 50 });
    const { plan, digest } = planFor();
    const { root, ledgerPath } = workspace();
    const result = await rollBackPlan({ plan, planDigest: digest, secrets: noSecrets, ledgerPath, stateDir: path.join(root, '.rollgate', 'state'), actor: 'test', reason: 'manual test', keyPrefix: 'test' });
    expect(result.ok).toBe(true);
    expect(result.from?.weights).toEqual({ '41': 50, '42': 50 });
    expect(result.rollbackRequest).toBe(
      `"set weight churn-scorer/v41 100; set weight churn-scorer/v42 0" (and weight 0 for the backend's other servers) on the HAProxy runtime API ${getStack().stack.haproxy!.runtimeUrl}`,
    );
    expect((await haproxy().read()).weights).toEqual({ '41': 100, '42': 0 });
    expect(result.recorded?.details?.deployment).toMatchObject({ type: 'haproxy', socket: getStack().stack.haproxy!.runtimeUrl });
  });

  it("a rollback to another version (rollgate rollback --to) shows and sends that version's line", async () => {
    const { plan, digest } = planFor();
    const { root, ledgerPath } = workspace();
    const result = await rollBackPlan({ plan, planDigest: digest, secrets: noSecrets, ledgerPath, stateDir: path.join(root, '.rollgate', 'state'), actor: 'test', reason: 'manual test', keyPrefix: 'test', to: '42' });
    expect(result.ok).toBe(true);
    expect(result.rollbackRequest).toBe(
      `"set weight churn-scorer/v41 0; set weight churn-scorer/v42 100" (and weight 0 for the backend's other servers) on the HAProxy runtime API ${getStack().stack.haproxy!.runtimeUrl}`,
    );
    expect((await haproxy().read()).weights).toEqual({ '41': 0, '42': 100 });
  });
});
