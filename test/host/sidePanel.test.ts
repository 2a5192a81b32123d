// The Rollgate side panel, rollout commands and status bar inside a real VS Code, against a real
// `rollgate dev` stack and Prometheus started here (on free loopback ports).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';

import { DeploymentClient } from '../../src/core/endpoints/index';
import type { PanelState } from '../../src/core/panel/protocol';
import { startDevStack, type DevStack } from '../../src/dev/index';
import { rollgateExtensionId, workspaceFile, workspaceRoot } from './hostSupport';
import { sidePanelDrillPlan } from './sidePanelPlan';
import { waitFor } from '../support/poll';

interface RolloutStateReply {
  panel: PanelState;
  statusBar?: string;
  driving: boolean;
}
interface CommandResult {
  ok: boolean;
  message: string;
  status?: string;
}
interface Inspection {
  resolved: boolean;
  html?: string;
  stats: { invalidMessages: number; validMessages: number };
}

const DRILL_PLAN = 'host-side-panel.rollout.yaml';
const TOKEN_PLAN = 'host-side-panel-token.rollout.yaml';
const GATE_PLAN = 'host-side-panel-gate.rollout.yaml';
/** The dev stack's bearer token: set through "Rollgate: Set Secret" and searched for afterwards. */
const SECRET_NAME = 'side-panel-deploy-token';
const SECRET = 'side-panel-secret-5d1c9a77e2f04b';

/** Polls `probe` until it returns a value, failing after `timeoutMs` (the shared helper, its arguments in this suite's order). */
const poll = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => waitFor(what, timeoutMs, probe);

const rolloutState = () => vscode.commands.executeCommand<RolloutStateReply>('rollgate.rollout.state');
const inspect = (message?: unknown) => vscode.commands.executeCommand<Inspection>('rollgate.sidePanel.inspect', ...(message === undefined ? [] : [{ message }]));

function ledgerLines(): Record<string, unknown>[] {
  const file = workspaceFile('.rollgate/ledger.jsonl').fsPath;
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

suite('side panel', function () {
  this.timeout(120_000);
  let stack: DevStack;

  suiteSetup(async function () {
    this.timeout(90_000);
    assert.equal(vscode.workspace.isTrusted, true, 'this suite runs in a trusted folder');
    stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin: process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus', requestsPerSecond: 20, token: SECRET });
    assert.ok(stack.prometheusUrl, `rollgate dev started without Prometheus: ${stack.notices.join(' ')}`);
    const write = (name: string, text: string) => vscode.workspace.fs.writeFile(workspaceFile(name), new TextEncoder().encode(text));
    await write(DRILL_PLAN, sidePanelDrillPlan({ name: 'host-side-panel', deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl, tokenSecret: SECRET_NAME }));
    await write(GATE_PLAN, sidePanelDrillPlan({ name: 'host-side-panel-gate', deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl, tokenSecret: SECRET_NAME, gate: true }));
    await write(TOKEN_PLAN, sidePanelDrillPlan({ name: 'host-side-panel-token', deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl, tokenSecret: 'side-panel-missing-secret' }));
    const extension = vscode.extensions.getExtension(rollgateExtensionId);
    assert.ok(extension, `${rollgateExtensionId} is installed`);
    await extension.activate();
    assert.equal(await vscode.commands.executeCommand<boolean>('rollgate.setSecret', SECRET_NAME, SECRET), true, 'the token is in SecretStorage');
  });

  suiteTeardown(async () => {
    await stack?.stop();
  });

  test('the panel opens with a strict CSP, a nonce on its one script and no inline script or style', async () => {
    await vscode.commands.executeCommand('rollgate.rollout.openPanel');
    const inspection = await poll('the side panel to resolve', 20_000, async () => {
      const reply = await inspect();
      return reply.resolved ? reply : undefined;
    });
    const html = inspection.html ?? '';
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    assert.ok(csp, 'the page declares a CSP');
    assert.match(csp, /^default-src 'none';/);
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]{16,})'/.exec(csp)?.[1];
    assert.ok(nonce, `script-src allows only a nonce: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1, 'one script');
    assert.match(scripts[0]![1]!, new RegExp(`nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
    assert.match(scripts[0]![1]!, /src="[^"]*media\/panel\.js"/);
    assert.equal(scripts[0]![2]!.trim(), '', 'the script tag has no inline code');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
    // The view reported `ready`: the host counted a valid message.
    await poll('the view to send ready', 20_000, async () => ((await inspect()).stats.validMessages > 0 ? true : undefined));
  });

  test('messages that fail validation are ignored and counted, and a plan id the host never issued changes nothing', async () => {
    const before = await inspect();
    const stateBefore = await rolloutState();
    await inspect({ type: 'action', action: 'rm -rf' });
    await inspect({ type: 'selectPlan', planId: '../../etc/passwd' });
    await inspect({ type: 'ready', extra: 1 });
    await inspect({ type: 'selectPlan', planId: 'plan-999999' });
    const after = await inspect();
    assert.equal(after.stats.invalidMessages - before.stats.invalidMessages, 4);
    assert.equal((await rolloutState()).panel.selectedPlanId, stateBefore.panel.selectedPlanId);
  });

  test('the panel lists the workspace plans by host-issued ids', async () => {
    const state = await poll('the plan list', 10_000, async () => {
      const reply = await rolloutState();
      return reply.panel.plans.some((plan) => plan.label === DRILL_PLAN) ? reply : undefined;
    });
    assert.ok(state.panel.plans.length >= 3, 'the examples and the suite plans');
    for (const plan of state.panel.plans) assert.match(plan.id, /^plan-\d+$/);
    assert.ok(state.panel.plans.some((plan) => plan.label === 'churn-canary.rollout.yaml'));
  });

  test('a missing token secret stops the start and says how to set it; nothing is sent', async () => {
    const result = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.start', workspaceFile(TOKEN_PLAN));
    assert.equal(result.ok, false);
    assert.match(result.message, /side-panel-missing-secret/);
    assert.match(result.message, /Set Secret/);
    assert.equal((await rolloutState()).driving, false);
  });

  test('a drill started from the palette rolls back automatically; panel, status bar and ledger show it', async function () {
    this.timeout(120_000);
    const ledgerBefore = ledgerLines().length;
    const started = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.startDrill', workspaceFile(DRILL_PLAN));
    assert.equal(started.ok, true, started.message);
    // While it runs, the panel shows the stage baking and the status bar names it.
    const running = await poll('the drill to bake canary-50', 30_000, async () => {
      const reply = await rolloutState();
      return reply.panel.rollout?.stages[0]?.status === 'baking' ? reply : undefined;
    });
    assert.equal(running.driving, true);
    assert.match(running.statusBar ?? '', /^canary-50/);
    assert.equal(running.panel.enabled.startDrill, false, 'no second run while one drives');
    const done = await poll('the drill to roll back', 90_000, async () => {
      const reply = await rolloutState();
      return reply.panel.rollout?.status === 'rolled-back' && !reply.driving ? reply : undefined;
    });
    const rollout = done.panel.rollout!;
    assert.deepEqual(
      rollout.stages.map((stage) => stage.status),
      ['rolled-back', 'pending'],
    );
    assert.equal(rollout.headline, 'Rolled back to 41');
    assert.equal(rollout.stages[0]!.guardrails[0]!.outcome, 'fail');
    // A chart per guardrail: timed points, its bound as a line value, the breach marked, the stage start as a marker.
    const chart = rollout.charts?.find((candidate) => candidate.guardrail === rollout.stages[0]!.guardrails[0]!.name);
    assert.ok(chart, `a chart for the failing guardrail among ${(rollout.charts ?? []).map((one) => one.guardrail).join(', ')}`);
    assert.ok(chart.points.length > 0 && chart.points.every((point) => Number.isFinite(point.t)));
    assert.ok(
      chart.points.some((point) => point.outcome === 'fail'),
      'the breach is among the points',
    );
    assert.ok(chart.max !== undefined || chart.min !== undefined, 'the bound is drawn');
    assert.ok(
      chart.markers.some((marker) => marker.label.startsWith('canary-50')),
      'the stage start is a marker',
    );
    assert.equal(done.statusBar, 'rolled back to 41');
    assert.match(done.panel.notice?.text ?? '', /Drill finished: rolled-back \(fault to rollback \d+ ms\)/);
    assert.equal(stack.state().versions.find((version) => version.version === '41')?.weight, 100);
    const written = ledgerLines().slice(ledgerBefore);
    const rollback = written.find((entry) => entry.action === 'rollback');
    assert.ok(rollback, `a rollback entry among ${written.map((entry) => entry.action).join(', ')}`);
    assert.equal((rollback.lineage as { candidate: { digest: string } }).candidate.digest, 'sha256:4f2a9c1e8b7d6054a3f21e9c8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b');
    assert.ok(written.some((entry) => entry.action === 'guardrail-breach'));
  });

  test('"Roll back now" without a running engine sends one rollback through the deployment endpoint and records it', async () => {
    // Put the candidate back on some traffic first, as a person might have.
    await new DeploymentClient({ baseUrl: stack.deploymentUrl, service: stack.service, token: SECRET }).setTraffic({ '41': 70, '42': 30 }, undefined, { idempotencyKey: `host-side-panel-${Date.now()}` });
    const ledgerBefore = ledgerLines().length;
    const result = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.rollback', { plan: workspaceFile(DRILL_PLAN), confirmed: true, reason: 'error rate up after 42, INC-7' });
    assert.equal(result.ok, true, result.message);
    assert.equal(stack.state().versions.find((version) => version.version === '41')?.weight, 100);
    const written = ledgerLines().slice(ledgerBefore);
    assert.deepEqual(
      written.map((entry) => entry.action),
      ['rollback'],
    );
    assert.match(String(written[0]!.actor), /^vscode/);
    assert.equal(written[0]!.reason, 'error rate up after 42, INC-7', "the reason given is the ledger entry's reason, as with the CLI's --reason");
    assert.deepEqual((written[0]!.from as { weights: Record<string, number> }).weights, { '41': 70, '42': 30 });
  });

  test('the panel shows the service live from its deployment endpoint with no rollout running, and follows a traffic change', async () => {
    await vscode.commands.executeCommand('rollgate.rollout.openPanel');
    const before = await rolloutState();
    assert.equal(before.driving, false);
    const planId = before.panel.plans.find((plan) => plan.label.endsWith(DRILL_PLAN))?.id;
    assert.ok(planId, 'the drill plan is listed');
    await inspect({ type: 'selectPlan', planId });
    const client = new DeploymentClient({ baseUrl: stack.deploymentUrl, service: stack.service, token: SECRET });
    await client.setTraffic({ '41': 80, '42': 20 }, undefined, { idempotencyKey: `host-live-${Date.now()}` });
    let live;
    try {
      live = await poll('the live picture to show 41 80%, 42 20%', 20_000, async () => {
        const reply = await rolloutState();
        return reply.panel.live?.trafficText === '41 80%, 42 20%' ? reply.panel.live : undefined;
      });
    } finally {
      // A split service refuses the next rollout's start (another rollout may be driving it): put it back.
      await client.setTraffic({ '41': 100, '42': 0 }, undefined, { idempotencyKey: `host-live-back-${Date.now()}` });
    }
    assert.equal(live.service, stack.service);
    assert.equal(live.stable, '41');
    assert.ok(
      live.versions.every((version) => version.digestMatches !== false),
      'the plan declares the digests rollgate dev serves',
    );
    assert.equal(JSON.stringify(live).includes(SECRET), false, 'no token in the live picture');
  });

  test('a rollout waits at its manual gate; approve, pause, resume and "Roll back now" go through the engine and the ledger', async function () {
    this.timeout(120_000);
    const ledgerBefore = ledgerLines().length;
    const started = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.start', workspaceFile(GATE_PLAN));
    assert.equal(started.ok, true, started.message);
    const waiting = await poll('the manual gate', 30_000, async () => {
      const reply = await rolloutState();
      return reply.panel.rollout?.status === 'waiting-approval' ? reply : undefined;
    });
    assert.equal(waiting.panel.enabled.approve, true);
    assert.equal(waiting.statusBar, 'canary-50 awaits approval');
    assert.equal((await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.approve')).ok, true);
    await poll('the full stage to bake', 30_000, async () => {
      const reply = await rolloutState();
      return reply.panel.rollout?.stages[1]?.status === 'baking' ? reply : undefined;
    });
    const paused = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.pause');
    assert.equal(paused.ok, true, paused.message);
    assert.equal((await rolloutState()).panel.rollout?.status, 'paused');
    const resumed = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.resume');
    assert.equal(resumed.ok, true, resumed.message);
    assert.equal((await rolloutState()).panel.rollout?.status, 'running');
    const rolledBack = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.rollback', { confirmed: true });
    assert.equal(rolledBack.ok, true, rolledBack.message);
    const done = await poll('the engine to stop after the rollback', 20_000, async () => {
      const reply = await rolloutState();
      return reply.panel.rollout?.status === 'rolled-back' && !reply.driving ? reply : undefined;
    });
    assert.deepEqual(
      done.panel.rollout!.stages.map((stage) => stage.status),
      ['passed', 'rolled-back'],
    );
    assert.equal(stack.state().versions.find((version) => version.version === '41')?.weight, 100);
    const actions = ledgerLines()
      .slice(ledgerBefore)
      .map((entry) => `${String(entry.action)}`);
    for (const expected of ['rollout-start', 'approve', 'promote', 'pause', 'resume', 'rollback', 'rollout-end']) assert.ok(actions.includes(expected), `${expected} in ${actions.join(', ')}`);
    assert.equal(actions.filter((action) => action === 'rollback').length, 1, 'one rollback entry');
  });

  test('the token from SecretStorage reaches no panel state, page, ledger line or state file', async () => {
    const statePath = workspaceFile('.rollgate/state/churn-scorer.json').fsPath;
    assert.ok(fs.existsSync(statePath), 'the rollout state is in the workspace');
    const places: [string, string][] = [
      ['panel state', JSON.stringify(await rolloutState())],
      ['panel page', (await inspect()).html ?? ''],
      ['ledger', fs.readFileSync(workspaceFile('.rollgate/ledger.jsonl').fsPath, 'utf8')],
      ...fs.readdirSync(workspaceFile('.rollgate/state').fsPath).map((name): [string, string] => [name, fs.readFileSync(workspaceFile(`.rollgate/state/${name}`).fsPath, 'utf8')]),
    ];
    assert.ok(places.length >= 4);
    for (const [where, text] of places) assert.equal(text.includes(SECRET), false, `the secret is in ${where}`);
    assert.ok(workspaceFile('.rollgate/ledger.jsonl').fsPath.startsWith(workspaceRoot().fsPath));
  });
});
