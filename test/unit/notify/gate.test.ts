// Confirm-promotion gates against a real receiver on 127.0.0.1: a gate that holds and then
// releases, one that never releases (the promotion times out), one that cannot be reached, and a
// cancelled wait. Waits are real but short (100 ms intervals).
import { afterEach, describe, expect, it } from 'vitest';

import { askGate, gatesForStage, systemClock, type NotifyTarget } from '../../../src/core/index';
import { freePort } from '../../../src/dev/index';
import { startReceiver, type Receiver } from './receiver';

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

const question = {
  schema: 'rollgate.promotion-gate/v1' as const,
  runId: 'run-9',
  service: 'churn-scorer',
  plan: { name: 'churn-v42', digest: `sha256:${'d'.repeat(64)}` },
  stage: 'canary-10',
  nextStage: 'canary-50',
  versions: { candidate: '42', baseline: '41' },
  traffic: { weights: { '41': 90, '42': 10 } },
};
const noSecrets = { get: async () => undefined };
const gate = (url: string, rest: Partial<NotifyTarget> = {}) => ({ name: 'release', target: { type: 'confirm-promotion', url, interval: '100ms', maxWait: '10s', ...rest } as NotifyTarget });

describe('confirm-promotion gates', () => {
  it('hold while the URL answers non-2xx, and open when it answers 2xx', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    receiver.replies.push({ status: 403, body: 'change freeze' }, { status: 409, body: 'not yet' });
    const holds: string[] = [];
    const answer = await askGate(gate(receiver.url), question, { secrets: noSecrets, clock: systemClock, onHold: (_name, reason) => holds.push(reason) });
    expect(answer).toMatchObject({ gate: 'release', outcome: 'open', attempts: 3, lastHold: 'HTTP 409: not yet' });
    expect(holds).toEqual(['HTTP 403: change freeze', 'HTTP 409: not yet']);
    const bodies = receiver.received.map((request) => JSON.parse(request.body));
    expect(bodies.map((body) => body.attempt)).toEqual([1, 2, 3]);
    expect(bodies[0]).toMatchObject({ schema: 'rollgate.promotion-gate/v1', runId: 'run-9', stage: 'canary-10', nextStage: 'canary-50', versions: { candidate: '42', baseline: '41' } });
    // Asked again each interval: never hammered.
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeGreaterThanOrEqual(90);
  });

  it('time out after maxWait when the gate never opens, and say why it held', async () => {
    const receiver = await startReceiver({ status: 503, body: 'approval pending' });
    receivers.push(receiver);
    const answer = await askGate(gate(receiver.url, { maxWait: '400ms' }), question, { secrets: noSecrets, clock: systemClock });
    expect(answer.outcome).toBe('timeout');
    expect(answer.lastHold).toBe('HTTP 503: approval pending');
    expect(answer.waitedMs).toBeGreaterThanOrEqual(400);
    expect(answer.attempts).toBeGreaterThanOrEqual(2);
  });

  it('an unreachable gate holds (it cannot confirm) and a cancelled wait ends at once', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/gate`;
    const timedOut = await askGate(gate(closed, { maxWait: '250ms' }), question, { secrets: noSecrets, clock: systemClock });
    expect(timedOut.outcome).toBe('timeout');
    expect(timedOut.lastHold).toMatch(/ECONNREFUSED/);
    const abort = new AbortController();
    const waiting = askGate(gate(closed, { interval: '10s', maxWait: '1h' }), question, { secrets: noSecrets, clock: systemClock, signal: abort.signal, onHold: () => abort.abort() });
    expect((await waiting).outcome).toBe('aborted');
  });

  it('a gate whose secret is missing is misconfigured, not open', async () => {
    const answer = await askGate(gate('http://127.0.0.1:9/gate', { headers: { Authorization: { secret: 'gate-token' } } }), question, { secrets: noSecrets, clock: systemClock });
    expect(answer).toMatchObject({ outcome: 'misconfigured', attempts: 0 });
    expect(answer.lastHold).toContain("'gate-token'");
  });

  it('apply to the stages they name, or to every stage', () => {
    const targets = [
      { type: 'event', url: 'http://127.0.0.1:1/a' },
      { type: 'confirm-promotion', name: 'all', url: 'http://127.0.0.1:1/b' },
      { type: 'confirm-promotion', name: 'canary-only', url: 'http://127.0.0.1:1/c', stages: ['canary-10'] },
    ] as NotifyTarget[];
    expect(gatesForStage(targets, 'canary-10').map((found) => found.name)).toEqual(['all', 'canary-only']);
    expect(gatesForStage(targets, 'shadow').map((found) => found.name)).toEqual(['all']);
  });
});
