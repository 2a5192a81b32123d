// Hardening: the client stack under endpoint faults.
//  1. A loopback server that fails in every way an endpoint can (500s, 503s, resets, hangs, slow
//     answers, malformed JSON, a stalled body): every DeploymentClient call ends within its
//     timeout budget with an EndpointError of the right kind and a message that says what to do.
//  2. Against the REAL `rollgate dev` deployment API, behind a loopback TCP proxy that forwards a
//     request and then drops its answer: the client retries with the same Idempotency-Key, the
//     dev server replays its first answer instead of applying the action again, and the state
//     shows a single change. The engine's rollback through the same proxy records its attempts in
//     the state file and the outcome in the ledger, which verifies.
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DeploymentClient, EndpointError, PrometheusClient, type EndpointErrorKind } from '../../../src/core/endpoints/index';
import { Ledger, verifyLedgerFile } from '../../../src/core/ledger/index';
import { validatePlan } from '../../../src/core/plan/validate';
import { DeploymentTraffic, FileStateStore, LedgerChangeLog, PrometheusMetrics, RolloutEngine, type RolloutEvent } from '../../../src/core/rollout/index';
import { startDevStack, type DevStack } from '../../../src/dev/index';
import { devPlan } from '../rollout/devPlan';

const TIMEOUT_MS = 400;
const SECRET = 'fault-suite-token-73c1';

// ---------------------------------------------------------------------------------------------
// 1. A misbehaving endpoint. The service name in the path picks the fault.

let faultServer: Server;
let faultBase = '';
const hits = new Map<string, number>();

beforeAll(async () => {
  faultServer = createServer((request, response) => {
    const fault = /^\/v1\/services\/([^/]+)/.exec(request.url ?? '')?.[1] ?? 'none';
    hits.set(fault, (hits.get(fault) ?? 0) + 1);
    request.resume();
    switch (fault) {
      case 'error500':
        response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal', message: 'boom' } }));
        return;
      case 'error503':
        response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unavailable', message: 'restarting' } }));
        return;
      case 'reset':
        request.socket.resetAndDestroy();
        return;
      case 'hang':
        return; // never answers
      case 'slow':
        setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ service: 'slow' })), TIMEOUT_MS * 3).unref();
        return;
      case 'stalledBody':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"service": "stalled", "versions": [');
        return; // headers and half a body, then nothing
      case 'malformedJson':
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"service": "churn-scorer", "versions": [');
        return;
      case 'wrongShape':
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello: 'world' }));
        return;
      case 'echoToken':
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`bad token ${request.headers.authorization ?? ''}`);
        return;
      default:
        response.writeHead(404).end();
    }
  });
  faultServer.listen(0, '127.0.0.1');
  await once(faultServer, 'listening');
  faultBase = `http://127.0.0.1:${(faultServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  faultServer.closeAllConnections();
  await new Promise((resolve) => faultServer.close(resolve));
});

function clientFor(fault: string, retries = 2): DeploymentClient {
  return new DeploymentClient({ baseUrl: faultBase, service: fault, token: SECRET, timeoutMs: TIMEOUT_MS, retries, backoffMs: 10, maxBackoffMs: 20 });
}

/** Runs `call`, which must fail; returns the error and how long it took. */
async function failure(call: () => Promise<unknown>): Promise<{ error: EndpointError; elapsedMs: number }> {
  const started = performance.now();
  let caught: unknown;
  try {
    await call();
  } catch (error) {
    caught = error;
  }
  const elapsedMs = performance.now() - started;
  expect(caught, 'the call should have failed').toBeInstanceOf(EndpointError);
  return { error: caught as EndpointError, elapsedMs };
}

describe('every client call ends within its timeout with a clear error', () => {
  const cases: { fault: string; kind: EndpointErrorKind; attempts: number; call: (client: DeploymentClient) => Promise<unknown>; says: RegExp }[] = [
    { fault: 'error500', kind: 'http', attempts: 1, call: (client) => client.getService(), says: /500/ },
    { fault: 'error503', kind: 'http', attempts: 3, call: (client) => client.getService(), says: /503/ },
    { fault: 'reset', kind: 'unreachable', attempts: 3, call: (client) => client.getService(), says: /unreachable/ },
    { fault: 'hang', kind: 'timeout', attempts: 1, call: (client) => client.getService(), says: /time|timed out|within/i },
    { fault: 'slow', kind: 'timeout', attempts: 1, call: (client) => client.getService(), says: /time|timed out|within/i },
    { fault: 'stalledBody', kind: 'timeout', attempts: 1, call: (client) => client.getService(), says: /time|timed out|within/i },
    { fault: 'malformedJson', kind: 'malformed', attempts: 1, call: (client) => client.getService(), says: /JSON|malformed|not/i },
    { fault: 'wrongShape', kind: 'malformed', attempts: 1, call: (client) => client.getService(), says: /not a service state/ },
    // A plain POST (no key) must not be repeated after a reset: it may have been applied.
    { fault: 'reset', kind: 'unreachable', attempts: 1, call: (client) => client.pause('hardening'), says: /unreachable/ },
    // With an Idempotency-Key it is safe to repeat, and repeated.
    { fault: 'reset', kind: 'unreachable', attempts: 3, call: (client) => client.pause('hardening', { idempotencyKey: 'k-1' }), says: /unreachable/ },
  ];

  for (const entry of cases) {
    it(`${entry.fault}${entry.attempts > 1 ? ` (${entry.attempts} attempts)` : ''}: ${entry.kind} — ${entry.call.toString().replace(/^.*client\./, '')}`, async () => {
      const before = hits.get(entry.fault) ?? 0;
      const { error, elapsedMs } = await failure(() => entry.call(clientFor(entry.fault)));
      expect(error.kind).toBe(entry.kind);
      expect(error.endpoint).toBe('deployment');
      expect(error.message).toMatch(entry.says);
      expect(error.message.length).toBeGreaterThan(30);
      expect(error.message).not.toContain(SECRET);
      expect((hits.get(entry.fault) ?? 0) - before).toBe(entry.attempts);
      // The budget: one timeout per attempt plus the (tiny) backoffs, with room for a busy machine.
      expect(elapsedMs).toBeLessThan(entry.attempts * TIMEOUT_MS + 1_500);
    });
  }

  it('a token the server echoes back never reaches the error message', async () => {
    const { error } = await failure(() => clientFor('echoToken').getService());
    expect(error.kind).toBe('http');
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(SECRET);
  });

  it('many concurrent failing calls all end, none lingers', async () => {
    const faults = ['error500', 'error503', 'reset', 'hang', 'slow', 'stalledBody', 'malformedJson', 'wrongShape'];
    const started = performance.now();
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_unused, index) => clientFor(faults[index % faults.length]!).getService()));
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof EndpointError)).toBe(true);
    expect(performance.now() - started).toBeLessThan(3 * TIMEOUT_MS + 3_000);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Idempotency against the real dev deployment API, through a proxy that eats one answer.

interface ProxyRequest {
  line: string;
  idempotencyKey?: string;
  answered: boolean;
  replayed: boolean;
}

/**
 * A loopback TCP proxy in front of `upstreamPort`. Requests whose request line matches
 * `dropAnswerOf` are forwarded, and then their answer is dropped and the client's connection
 * destroyed, `drops` times; every request and whether its answer was a replay is recorded.
 */
class AnswerDroppingProxy {
  readonly requests: ProxyRequest[] = [];
  drops = 0;
  dropAnswerOf: RegExp = /^$/;
  private server: TcpServer;
  private sockets = new Set<Socket>();

  constructor(private readonly upstreamPort: number) {
    this.server = createTcpServer((client) => this.handle(client));
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    // Requests on this connection, oldest first, waiting for their answers (HTTP/1.1 keeps order).
    const pending: { request: ProxyRequest; drop: boolean }[] = [];
    client.on('data', (chunk: Buffer) => {
      // Each request of these small JSON calls arrives as one chunk holding its head.
      const text = chunk.toString('latin1');
      const line = /^[A-Z]+ [^\r\n]+/.exec(text)?.[0];
      if (line) {
        const key = /\r\nidempotency-key: *([^\r\n]+)/i.exec(text)?.[1];
        const request: ProxyRequest = { line, ...(key ? { idempotencyKey: key } : {}), answered: false, replayed: false };
        this.requests.push(request);
        const drop = this.drops > 0 && this.dropAnswerOf.test(line);
        if (drop) this.drops -= 1;
        pending.push({ request, drop });
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const current = /^HTTP\/1\.1 /.test(text) ? pending.shift() : undefined;
      if (current) {
        current.request.answered = true;
        current.request.replayed = /\r\nidempotent-replayed: *true/i.test(text);
        if (current.drop) {
          // The action was applied upstream; the client never learns of it.
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('idempotency-keyed retries against rollgate dev never apply an action twice', () => {
  let stack: DevStack;
  let proxy: AnswerDroppingProxy;
  let proxied = '';
  let direct: DeploymentClient;

  beforeAll(async () => {
    // The deployment API is what is under test here; no Prometheus is needed.
    stack = await startDevStack({ port: 0, prometheus: 'off', token: SECRET, requestsPerSecond: 5 });
    proxy = new AnswerDroppingProxy(Number(new URL(stack.deploymentUrl).port));
    proxied = await proxy.listen();
    direct = new DeploymentClient({ baseUrl: stack.deploymentUrl, service: stack.service, token: SECRET });
  });

  afterAll(async () => {
    await proxy?.close();
    await stack?.stop();
  });

  const throughProxy = (retries: number) => new DeploymentClient({ baseUrl: proxied, service: stack.service, token: SECRET, timeoutMs: 3_000, retries, backoffMs: 20 });

  it('a registration whose answer is lost is retried with the same key and applied once', async () => {
    proxy.dropAnswerOf = /^POST \/v1\/services\/[^/]+\/versions /;
    proxy.drops = 1;
    const seen = proxy.requests.length;
    const state = await throughProxy(2).registerVersion({ version: '43', artifact: 's3://models/churn/43', digest: `sha256:${'4'.repeat(64)}` }, { idempotencyKey: 'hardening-register-43' });
    const attempts = proxy.requests.slice(seen).filter((request) => request.line.startsWith('POST'));
    expect(attempts.length).toBe(2);
    expect(attempts.map((request) => request.idempotencyKey)).toEqual(['hardening-register-43', 'hardening-register-43']);
    // The first was applied (its answer came back to the proxy), the second was a replay.
    expect(attempts.map((request) => [request.answered, request.replayed])).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(state.versions.filter((version) => version.version === '43')).toHaveLength(1);
    const after = await direct.getService();
    expect(after.versions.filter((version) => version.version === '43')).toHaveLength(1);
  });

  it('the same loss without a key is reported, not repeated (the action did happen once)', async () => {
    proxy.dropAnswerOf = /^POST \/v1\/services\/[^/]+\/pause /;
    proxy.drops = 1;
    const seen = proxy.requests.length;
    const { error } = await failure(() => throughProxy(2).pause('no key'));
    expect(error.kind).toBe('unreachable');
    expect(proxy.requests.slice(seen).filter((request) => request.line.startsWith('POST'))).toHaveLength(1);
    expect((await direct.getService()).phase).toBe('paused');
    await direct.resume();
  });

  it('the engine rolls back through the lossy proxy once; state records the attempts, the ledger the outcome', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-hardening-'));
    const text = devPlan({ deploymentUrl: proxied, prometheusUrl: 'http://127.0.0.1:9', tokenSecret: 'deploy-token' });
    const { plan } = validatePlan(text);
    if (!plan) throw new Error('the test plan is invalid');
    // Start from candidate 42 at 50 percent, set directly on the dev server.
    await direct.registerVersion({ version: '42', artifact: plan.model.candidate.artifact, digest: plan.model.candidate.digest }).catch(() => undefined);
    await direct.setTraffic({ '41': 50, '42': 50 });

    const ledgerPath = join(dir, 'ledger.jsonl');
    const ledger = new Ledger({ path: ledgerPath, secrets: { 'deploy-token': SECRET } });
    const client = throughProxy(2);
    const rollbackClient = throughProxy(0);
    const engine = await RolloutEngine.create({
      plan,
      planDigest: `sha256:${'0'.repeat(64)}`,
      traffic: new DeploymentTraffic(client, { candidate: plan.model.candidate, baseline: plan.model.baseline }, rollbackClient),
      metrics: new PrometheusMetrics(new PrometheusClient({ baseUrl: 'http://127.0.0.1:9' })),
      changeLog: new LedgerChangeLog(ledger),
      stateStore: new FileStateStore(join(dir, 'state')),
      actor: 'hardening',
      rollbackRetryDelayMs: 20,
    });
    const events: RolloutEvent[] = [];
    engine.onEvent((event) => events.push(event));

    proxy.dropAnswerOf = /^POST \/v1\/services\/[^/]+\/rollback /;
    proxy.drops = 1;
    const seen = proxy.requests.length;
    const result = await engine.rollbackNow('hardening: lossy network', 'tester');
    expect(result).toMatchObject({ ok: true, to: '41', attempts: 2 });

    const rollbacks = proxy.requests.slice(seen).filter((request) => request.line.startsWith('POST') && request.line.includes('/rollback'));
    expect(rollbacks).toHaveLength(2);
    expect(new Set(rollbacks.map((request) => request.idempotencyKey)).size).toBe(1);
    expect(rollbacks[0]!.idempotencyKey).toMatch(/:rollback:/);
    expect(rollbacks.map((request) => request.replayed)).toEqual([false, true]);
    expect(events.some((event) => event.kind === 'rollback-retry')).toBe(true);

    const after = await direct.getService();
    expect(after.versions.find((version) => version.version === '41')?.weight).toBe(100);
    expect(after.phase).toBe('rolled-back');

    // The state file holds the attempt count and the key; the ledger holds one outcome, and verifies.
    const stored = JSON.parse(readFileSync(join(dir, 'state', `${plan.metadata.service}.json`), 'utf8')) as { rollback: { attempts: number; idempotencyKey: string; completedAt?: string } };
    expect(stored.rollback).toMatchObject({ attempts: 2, idempotencyKey: rollbacks[0]!.idempotencyKey });
    expect(stored.rollback.completedAt).toBeTruthy();
    const entries = readFileSync(ledgerPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; reason?: string });
    expect(entries.filter((entry) => entry.action === 'rollback')).toHaveLength(1);
    expect(entries.find((entry) => entry.action === 'rollback')?.reason).toContain('lossy network');
    expect((await verifyLedgerFile(ledgerPath)).ok).toBe(true);
    expect(readFileSync(ledgerPath, 'utf8')).not.toContain(SECRET);
  });

  it('a rollback whose every answer is lost fails loudly and the ledger records the failed outcome', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-hardening-'));
    const { plan } = validatePlan(devPlan({ deploymentUrl: proxied, prometheusUrl: 'http://127.0.0.1:9', tokenSecret: 'deploy-token' }));
    if (!plan) throw new Error('the test plan is invalid');
    const ledgerPath = join(dir, 'ledger.jsonl');
    const ledger = new Ledger({ path: ledgerPath, secrets: { 'deploy-token': SECRET } });
    const engine = await RolloutEngine.create({
      plan,
      planDigest: `sha256:${'1'.repeat(64)}`,
      traffic: new DeploymentTraffic(throughProxy(2), { candidate: plan.model.candidate, baseline: plan.model.baseline }, throughProxy(0)),
      metrics: new PrometheusMetrics(new PrometheusClient({ baseUrl: 'http://127.0.0.1:9' })),
      changeLog: new LedgerChangeLog(ledger),
      stateStore: new FileStateStore(join(dir, 'state')),
      actor: 'hardening',
      rollbackAttempts: 3,
      rollbackRetryDelayMs: 20,
    });
    proxy.dropAnswerOf = /^POST \/v1\/services\/[^/]+\/rollback /;
    proxy.drops = 3;
    const result = await engine.rollbackNow('hardening: network gone', 'tester');
    proxy.drops = 0;
    expect(result).toMatchObject({ ok: false, attempts: 3 });
    expect(result.error).toMatch(/unreachable/);
    const entries = readFileSync(ledgerPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; reason?: string; details?: unknown });
    const recorded = entries.filter((entry) => entry.action === 'rollback');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.reason).toMatch(/FAILED/);
    expect((await verifyLedgerFile(ledgerPath)).ok).toBe(true);
  });
});
