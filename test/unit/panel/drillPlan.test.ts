// The drill plan the host suite and the e2e check use, opened here the way the editor's
// controller opens it (`openRollout` with a drill) against the real rollgate dev stack and
// Prometheus; then the panel model is built from what it left behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/core/ledger/index';
import { toChangelogEntry, toPanelRollout } from '../../../src/core/panel/model';
import { validatePlan } from '../../../src/core/plan/validate';
import { openRollout } from '../../../src/core/rollout/index';
import { environmentSecretResolver } from '../../../src/core/secrets';
import { startTestDevStack, type TestDevStack } from '../../support/devStack';
import { sidePanelDrillPlan } from '../../host/sidePanelPlan';

let dev: TestDevStack;
let folder: string;
beforeAll(async () => {
  dev = await startTestDevStack({ requestsPerSecond: 20 });
  folder = mkdtempSync(join(tmpdir(), 'rollgate-panel-drill-'));
});
afterAll(async () => {
  await dev?.stack.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('the side panel drill plan against rollgate dev', () => {
  it('has a valid manual-gate variant', () => {
    const text = sidePanelDrillPlan({ name: 'panel-gate', deploymentUrl: 'http://127.0.0.1:1', prometheusUrl: 'http://127.0.0.1:2', gate: true });
    expect(validatePlan(text).diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
  });

  it('is valid, rolls back after the injected fault, and the panel model shows it', async () => {
    const text = sidePanelDrillPlan({ name: 'panel-drill', deploymentUrl: dev.stack.deploymentUrl, prometheusUrl: dev.stack.prometheusUrl! });
    const { plan, diagnostics } = validatePlan(text);
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
    if (!plan) throw new Error('no plan');
    const ledger = new Ledger({ path: join(folder, 'ledger.jsonl') });
    const opened = await openRollout({
      plan,
      planDigest: 'sha256:' + 'b'.repeat(64),
      secrets: environmentSecretResolver({}),
      workspaceRoot: folder,
      ledgerPath: ledger.path,
      actor: 'drill:test',
      drill: {},
      rerunFinished: true,
      engine: { waitForPeople: false },
    });
    expect(opened.drill?.stage).toBe('canary-50');
    const result = await opened.drill!.run().finally(() => opened.close());
    expect(result.snapshot.status).toBe('rolled-back');
    expect(result.faultToRollbackMs).toBeDefined();
    const panel = toPanelRollout(result.snapshot, { guardrails: plan.guardrails, driving: false, drill: true });
    expect(panel.stages.map((item) => item.status)).toEqual(['rolled-back', 'pending']);
    expect(panel.stages[0]!.guardrails[0]!.outcome).toBe('fail');
    expect(panel.stages[0]!.guardrails[0]!.trend.length).toBeGreaterThan(1);
    const changelog = (await ledger.list({ newestFirst: true })).map(toChangelogEntry);
    const rollback = changelog.find((entry) => entry.action === 'rollback')!;
    expect(rollback.change).toBe('41 50%, 42 50% → 41 100%');
    expect(dev.stack.state().versions.find((version) => version.version === '41')?.weight).toBe(100);
  }, 120_000);
});
