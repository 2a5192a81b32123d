// Opening a rollout (`openRollout`): the one place that connects a plan, takes the service lock
// and decides, after the lock, what to do with the stored state. The endpoints are the real
// `rollgate dev` stack, reached through a loopback proxy that can refuse rollbacks.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  connectPlan,
  DEFAULT_STATE_DIR,
  DrillNotPossibleError,
  DryRunTraffic,
  environmentSecretResolver,
  LockHeldError,
  openRollout,
  RecordedMetrics,
  RolloutConflictError,
  SecretNotSetError,
  StoredStateUnreadableError,
  type LedgerEntry,
  type OpenRolloutOptions,
  type PlanConnection,
  type RolloutSnapshot,
} from '../../../src/core/index';
import type { Plan } from '../../../src/core/plan/schema';
import { planDigest, validatePlan } from '../../../src/core/plan/validate';
import { useDevStack } from '../../support/devStack';
import { devPlan } from './devPlan';

const token = 'open-rollout-token-31f9';
const getStack = useDevStack({ token, requestsPerSecond: 0 });

/** A proxy to the dev stack's deployment endpoint that answers every rollback with 503 and counts them. */
let proxy: { url: string; rollbacks: number; server: Server };
/** A live process of this machine, to hold a service lock the way another runner would. */
let otherRunner: ChildProcess;

beforeAll(async () => {
  const server = createServer((incoming, outgoing) => {
    if (incoming.method === 'POST' && incoming.url?.endsWith('/rollback')) {
      proxy.rollbacks += 1;
      incoming.resume();
      outgoing.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unavailable', message: 'refused by the test proxy' } }));
      return;
    }
    const upstream = new URL(getStack().stack.deploymentUrl);
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, rollbacks: 0, server };
  otherRunner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
});

afterAll(async () => {
  otherRunner?.kill();
  proxy?.server.closeAllConnections();
  await new Promise<void>((resolve) => proxy?.server.close(() => resolve()));
});

function planVia(deploymentUrl: string): { plan: Plan; digest: string } {
  const text = devPlan({ deploymentUrl, prometheusUrl: getStack().stack.prometheusUrl!, tokenSecret: 'deploy-token', canaryBake: '10m' });
  return { plan: validatePlan(text).plan!, digest: planDigest(text) };
}

function workspace(): { root: string; stateDir: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'rollgate-open-'));
  const stateDir = path.join(root, DEFAULT_STATE_DIR);
  mkdirSync(stateDir, { recursive: true });
  return { root, stateDir };
}

function options(root: string, plan: Plan, digest: string, extra: Partial<OpenRolloutOptions> = {}): OpenRolloutOptions {
  return {
    plan,
    planDigest: digest,
    secrets: environmentSecretResolver({ ROLLGATE_SECRET_DEPLOY_TOKEN: token }),
    workspaceRoot: root,
    ledgerPath: path.join(root, '.rollgate', 'ledger.jsonl'),
    actor: 'test',
    ...extra,
  };
}

/** Endpoints that send nothing, for tests about what happens before anything would be sent. */
const offline = async (plan: Plan): Promise<PlanConnection> => ({
  deployment: { traffic: new DryRunTraffic(plan.model.baseline.version), target: 'nowhere', rollbackRequest: () => 'nothing' },
  metrics: new RecordedMetrics({}),
  secrets: {},
});

function unfinishedOtherPlan(service: string): RolloutSnapshot {
  const now = new Date().toISOString();
  return {
    schema: 1,
    runId: 'other-run',
    service,
    planName: 'another-plan',
    planDigest: 'sha256:other',
    candidateVersion: '42',
    baselineVersion: '41',
    rollbackTo: '41',
    automaticRollback: true,
    status: 'running',
    stageIndex: 0,
    stages: [],
    startedAt: now,
    updatedAt: now,
  };
}

describe('openRollout', () => {
  it("connects the plan: the engine's rollback attempts are sent once each, never retried inside an attempt", async () => {
    const { root } = workspace();
    const { plan, digest } = planVia(proxy.url);
    const opened = await openRollout(options(root, plan, digest, { engine: { rollbackAttempts: 3, rollbackRetryDelayMs: 10 } }));
    try {
      proxy.rollbacks = 0;
      const result = await opened.engine.rollbackNow('test: the endpoint refuses rollbacks');
      expect(result).toMatchObject({ ok: false, attempts: 3 });
      expect(proxy.rollbacks).toBe(3);
    } finally {
      await opened.close();
    }
  });

  it('hands the ledger the secret values it resolved, and calls onRecorded after each entry is on disk', async () => {
    const { root } = workspace();
    const { plan, digest } = planVia(getStack().stack.deploymentUrl);
    const recorded: LedgerEntry[] = [];
    const opened = await openRollout(options(root, plan, digest, { onRecorded: (entry) => recorded.push(entry) }));
    try {
      expect(opened.connection.secrets).toEqual({ 'deploy-token': token });
      expect((await opened.engine.rollbackNow('two ledger entries')).ok).toBe(true);
      expect(recorded.map((entry) => entry.action)).toEqual(['rollback', 'rollout-end']);
      expect(readFileSync(path.join(root, '.rollgate', 'ledger.jsonl'), 'utf8')).toContain('"seq":1');
    } finally {
      await opened.close();
    }
  });

  it('a missing secret stops before the lock is taken or anything is sent', async () => {
    const { root, stateDir } = workspace();
    const { plan, digest } = planVia(getStack().stack.deploymentUrl);
    const attempt = openRollout({ ...options(root, plan, digest), secrets: environmentSecretResolver({}) });
    await expect(attempt).rejects.toBeInstanceOf(SecretNotSetError);
    await expect(attempt).rejects.toThrow("endpoints.deployment.token needs the secret 'deploy-token'");
    expect(existsSync(path.join(stateDir, 'churn-scorer.lock'))).toBe(false);
  });

  it('decides after the lock: a live runner is reported, and nobody is asked about the state it drives', async () => {
    const { root, stateDir } = workspace();
    const { plan, digest } = planVia(getStack().stack.deploymentUrl);
    writeFileSync(path.join(stateDir, 'churn-scorer.lock'), JSON.stringify({ pid: otherRunner.pid, host: hostname(), since: new Date().toISOString(), token: 'other' }));
    writeFileSync(path.join(stateDir, 'churn-scorer.json'), JSON.stringify(unfinishedOtherPlan('churn-scorer')));
    const asked: unknown[] = [];
    const attempt = openRollout(options(root, plan, digest, { connect: offline, confirmDiscard: async (question) => void asked.push(question) }));
    await expect(attempt).rejects.toBeInstanceOf(LockHeldError);
    expect(asked).toEqual([]);
  });

  it('a stored state that cannot be read is reported with its file and left as it is; the lock is released', async () => {
    const { root, stateDir } = workspace();
    const { plan, digest } = planVia(getStack().stack.deploymentUrl);
    const stateFile = path.join(stateDir, 'churn-scorer.json');
    writeFileSync(stateFile, '{"schema":1,"serv');
    const attempt = openRollout(options(root, plan, digest, { connect: offline }));
    await expect(attempt).rejects.toBeInstanceOf(StoredStateUnreadableError);
    await expect(attempt).rejects.toThrow(stateFile);
    expect(readFileSync(stateFile, 'utf8')).toBe('{"schema":1,"serv');
    expect(existsSync(path.join(stateDir, 'churn-scorer.lock'))).toBe(false);
    // An explicit restart discards it.
    const restarted = await openRollout(options(root, plan, digest, { connect: offline, restart: true }));
    expect(restarted.engine.snapshot().status).toBe('pending');
    await restarted.close();
  });

  it("another plan's unfinished rollout is a conflict, or a question when someone can be asked; declining keeps it", async () => {
    const { root, stateDir } = workspace();
    const { plan, digest } = planVia(getStack().stack.deploymentUrl);
    const stateFile = path.join(stateDir, 'churn-scorer.json');
    const other = JSON.stringify(unfinishedOtherPlan('churn-scorer'));
    writeFileSync(stateFile, other);
    await expect(openRollout(options(root, plan, digest, { connect: offline }))).rejects.toBeInstanceOf(RolloutConflictError);

    const declined = openRollout(options(root, plan, digest, { connect: offline, confirmDiscard: async () => Promise.reject(new Error('no, keep it')) }));
    await expect(declined).rejects.toThrow('no, keep it');
    expect(readFileSync(stateFile, 'utf8')).toBe(other);
    expect(existsSync(path.join(stateDir, 'churn-scorer.lock'))).toBe(false);

    const questions: string[] = [];
    const accepted = await openRollout(options(root, plan, digest, { connect: offline, confirmDiscard: async (question) => void questions.push(question.kind) }));
    expect(questions).toEqual(['unfinished']);
    expect(accepted.engine.snapshot()).toMatchObject({ status: 'pending', planDigest: digest });
    await accepted.close();
  });

  it('resumes an unfinished rollout of the same plan; a finished one is reported, or run again when asked to', async () => {
    const { root } = workspace();
    const { plan, digest } = planVia(getStack().stack.deploymentUrl);
    const first = await openRollout(options(root, plan, digest, { connect: offline }));
    const runId = first.engine.snapshot().runId;
    await first.engine.rollbackNow('finish it');
    await first.close();

    const again = await openRollout(options(root, plan, digest, { connect: offline }));
    expect(again.resumed?.runId).toBe(runId);
    expect(again.engine.snapshot().status).toBe('rolled-back');
    await again.close();
    const rerun = await openRollout(options(root, plan, digest, { connect: offline, rerunFinished: true }));
    expect(rerun.resumed).toBeUndefined();
    expect(rerun.engine.snapshot().runId).not.toBe(runId);
    await rerun.close();
  });

  it('a drill needs rollgate dev on this machine and a stage to drill, checked before anything is connected', async () => {
    const { root } = workspace();
    const { plan, digest } = planVia('https://deploy.example.com');
    let connected = false;
    const connect = async (target: Plan) => ((connected = true), offline(target));
    await expect(openRollout(options(root, plan, digest, { connect, drill: {} }))).rejects.toMatchObject({ reason: 'not-local' });
    const local = planVia(getStack().stack.deploymentUrl);
    await expect(openRollout(options(root, local.plan, local.digest, { connect, drill: { stage: 'nope' } }))).rejects.toBeInstanceOf(DrillNotPossibleError);
    expect(connected).toBe(false);
  });

  it('connectPlan resolves each endpoint token through the one secret rule', async () => {
    const { plan } = planVia(getStack().stack.deploymentUrl);
    const connection = await connectPlan(plan, environmentSecretResolver({ ROLLGATE_SECRET_DEPLOY_TOKEN: token }));
    expect(connection.secrets).toEqual({ 'deploy-token': token });
    expect(connection.deployment.rollbackRequest('41')).toBe(`POST ${getStack().stack.deploymentUrl}/v1/services/churn-scorer/rollback`);
    expect((await connection.deployment.traffic.getState()).weights).toMatchObject({ '41': expect.any(Number) });
  });
});
