// Starting a rollout from the editor: what the panel decides before anything is sent (the stored
// state it finds, the runner that holds the service) and how its engine sends a rollback. Runs
// against a `rollgate dev` deployment endpoint (no Prometheus: these plans measure nothing)
// behind a loopback proxy that can refuse rollbacks.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import * as vscode from 'vscode';

import type { PanelState } from '../../src/core/panel/protocol';
import { freePort, startDevStack, type DevStack } from '../../src/dev/index';
import { rollgateExtensionId, workspaceFile } from './hostSupport';
import { waitFor } from '../support/poll';

interface CommandResult {
  ok: boolean;
  message: string;
  status?: string;
}
interface RolloutStateReply {
  panel: PanelState;
  driving: boolean;
}

const CHECKS_SERVICE = 'host-start-checks';
const CHECKS_PLAN = 'host-start-checks.rollout.yaml';
const REFUSED_ROLLBACK_PLAN = 'host-refused-rollback.rollout.yaml';

function plan(options: { name: string; service: string; deploymentUrl: string; metricsUrl: string }): string {
  return `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: ${options.name}, service: ${options.service}, owner: ml-platform, environment: staging }
model:
  name: churn
  candidate: { version: "42", artifact: s3://models/churn/42, digest: "sha256:4f2a9c1e8b7d6054a3f21e9c8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b" }
  baseline: { version: "41", artifact: s3://models/churn/41, digest: "sha256:9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c" }
endpoints:
  deployment: { url: "${options.deploymentUrl}", timeout: 5s }
  metrics: { url: "${options.metricsUrl}" }
guardrails:
  - { name: error-rate, query: 'sum(rate(rollgate_dev_requests_total{version="{{version}}",code=~"5.."}[15s]))', max: 1, interval: 5s }
stages:
  - { name: canary-50, kind: canary, traffic: 50, bake: 10m }
  - { name: full, kind: full, traffic: 100 }
rollback: { to: baseline, automatic: true }
`;
}

/** Polls `probe` until it returns a value, failing after `timeoutMs` (the shared helper, its arguments in this suite's order). */
const poll = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => waitFor(what, timeoutMs, probe);

const rolloutState = () => vscode.commands.executeCommand<RolloutStateReply>('rollgate.rollout.state');
const start = (file: string) => vscode.commands.executeCommand<CommandResult>('rollgate.rollout.start', workspaceFile(file));
const stateFile = (service: string) => workspaceFile(`.rollgate/state/${service}.json`).fsPath;

/** A proxy to the deployment endpoint that answers every rollback with 503 and counts them. */
async function refusingProxy(target: string): Promise<{ url: string; rollbacks: () => number; close: () => Promise<void> }> {
  let rollbacks = 0;
  const upstream = new URL(target);
  const server: Server = createServer((incoming, outgoing) => {
    if (incoming.method === 'POST' && incoming.url?.endsWith('/rollback')) {
      rollbacks += 1;
      incoming.resume();
      outgoing.writeHead(503, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ error: { code: 'unavailable', message: 'rollbacks are refused by the test proxy' } }));
      return;
    }
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rollbacks: () => rollbacks,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

suite('side panel: starting a rollout', function () {
  this.timeout(120_000);
  let stack: DevStack;
  let proxy: Awaited<ReturnType<typeof refusingProxy>>;
  let holder: ChildProcess | undefined;

  suiteSetup(async function () {
    this.timeout(60_000);
    stack = await startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 0 });
    proxy = await refusingProxy(stack.deploymentUrl);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const write = (name: string, text: string) => vscode.workspace.fs.writeFile(workspaceFile(name), new TextEncoder().encode(text));
    await write(CHECKS_PLAN, plan({ name: 'host-start-checks', service: CHECKS_SERVICE, deploymentUrl: closed, metricsUrl: closed }));
    await write(REFUSED_ROLLBACK_PLAN, plan({ name: 'host-refused-rollback', service: stack.service, deploymentUrl: proxy.url, metricsUrl: closed }));
    await vscode.extensions.getExtension(rollgateExtensionId)?.activate();
  });

  teardown(async () => {
    // Only code that started a rollout it should not have leaves one driving: stop it.
    if ((await rolloutState()).driving) await vscode.commands.executeCommand('rollgate.rollout.rollback', { confirmed: true });
  });

  suiteTeardown(async () => {
    holder?.kill();
    await proxy?.close();
    await stack?.stop();
  });

  test('a stored state that cannot be read stops the start, names the file, and is left as it is', async () => {
    fs.mkdirSync(workspaceFile('.rollgate/state').fsPath, { recursive: true });
    const broken = '{"schema":1,"service":"host-start-checks","status":"runn';
    fs.writeFileSync(stateFile(CHECKS_SERVICE), broken);
    const result = await start(CHECKS_PLAN);
    assert.equal(result.ok, false, `the start went ahead over an unreadable state: ${result.message}`);
    assert.match(result.message, /host-start-checks\.json/);
    assert.equal(fs.readFileSync(stateFile(CHECKS_SERVICE), 'utf8'), broken);
    assert.equal((await rolloutState()).driving, false);
  });

  test('a runner holding the service is reported before anything is asked about its stored rollout', async () => {
    // A live process of this machine holds the service; its unfinished rollout (another plan) is on disk.
    holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
    const since = new Date().toISOString();
    fs.writeFileSync(workspaceFile(`.rollgate/state/${CHECKS_SERVICE}.lock`).fsPath, JSON.stringify({ pid: holder.pid, host: hostname(), since, token: 'held-by-the-test' }));
    fs.writeFileSync(
      stateFile(CHECKS_SERVICE),
      JSON.stringify({
        schema: 1,
        runId: 'other-run',
        service: CHECKS_SERVICE,
        planName: 'another-plan',
        planDigest: 'sha256:other',
        candidateVersion: '42',
        baselineVersion: '41',
        rollbackTo: '41',
        automaticRollback: true,
        status: 'running',
        stageIndex: 0,
        stages: [],
        startedAt: since,
        updatedAt: since,
      }),
    );
    // Asking "discard that rollout?" would open a modal dialog and never answer here.
    const answer = await Promise.race([start(CHECKS_PLAN), new Promise<'asked'>((resolve) => setTimeout(() => resolve('asked'), 15_000))]);
    assert.notEqual(answer, 'asked', 'the panel asked to discard a rollout that a live runner drives before it looked at the lock');
    const result = answer as CommandResult;
    assert.equal(result.ok, false);
    assert.match(result.message, new RegExp(`pid ${holder.pid}`));
    assert.equal((await rolloutState()).driving, false);
  });

  test('the engine sends each rollback attempt once: a refused rollback fails after its attempts, without retries inside them', async function () {
    this.timeout(90_000);
    const started = await start(REFUSED_ROLLBACK_PLAN);
    assert.equal(started.ok, true, started.message);
    await poll('the canary to bake', 30_000, async () => {
      const reply = await rolloutState();
      return reply.panel.rollout?.stages[0]?.status === 'baking' ? reply : undefined;
    });
    const result = await vscode.commands.executeCommand<CommandResult>('rollgate.rollout.rollback', { confirmed: true });
    assert.equal(result.ok, false);
    assert.match(result.message, /ROLLBACK FAILED after 6 attempt/);
    // Six engine attempts, one request each: a client retrying inside every attempt sends more, later.
    assert.equal(proxy.rollbacks(), 6);
    await poll('the engine to stop', 20_000, async () => ((await rolloutState()).driving ? undefined : true));
  });
});
