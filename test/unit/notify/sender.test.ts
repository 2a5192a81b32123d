// The notification sender against a real HTTP receiver on 127.0.0.1: order per target, retries on
// 500 and on timeouts, no retry on 4xx or redirects, a dead receiver, the Slack message shape,
// secrets resolved into headers but never into bodies or the ledger, and a never-blocking notify.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { KnownBlock } from '@slack/types';
import { afterEach, describe, expect, it } from 'vitest';

import { buildReport, collectFromLedger, Ledger, Notifier, renderMarkdown, type DeliveryRecord, type LedgerEntry, type NotifyTarget } from '../../../src/core/index';
import { freePort } from '../../../src/dev/index';
import { eventually } from '../../support/devStack';
import { startReceiver, type Receiver } from './receiver';

const HOOK_KEY = 'hook-key-secret-5b7c9e';
const SLACK_URL_SECRET = 'T000-B000-XXXXsecretpath';
const lineage = {
  candidate: { version: '42', artifact: 's3://models/churn/42', digest: `sha256:${'a'.repeat(64)}` },
  baseline: { version: '41', artifact: 's3://models/churn/41', digest: `sha256:${'b'.repeat(64)}` },
};

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}

/** A ledger with the entries of a rollout that breached and rolled back, as the engine writes them. */
async function rolloutEntries(): Promise<{ ledger: Ledger; entries: LedgerEntry[] }> {
  const ledger = new Ledger({ path: path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-notify-')), 'ledger.jsonl') });
  const common = { service: 'churn-scorer', runId: 'run-1', planDigest: `sha256:${'c'.repeat(64)}`, lineage };
  const entries = [
    await ledger.append({ ...common, actor: 'engine', action: 'rollout-start', reason: 'plan churn-v42' }),
    await ledger.append({ ...common, actor: 'engine', action: 'traffic-change', to: { weights: { '41': 90, '42': 10 }, stage: 'canary-10' } }),
    await ledger.append({ ...common, actor: 'engine', action: 'promote', reason: 'promote from shadow to canary-10', details: { stage: 'shadow', outcome: 'ok' } }),
    await ledger.append({
      ...common,
      actor: 'engine',
      action: 'guardrail-breach',
      reason: 'guardrail breach in stage canary-10: error-rate 0.05 is above max 0.02 <!channel> <http://evil.example|click>',
      evidence: [{ guardrail: 'error-rate', query: 'sum(rate(x[1m]))', value: 0.05, bound: { max: 0.02 }, outcome: 'fail' }],
      details: { stage: 'canary-10', outcome: 'ok' },
    }),
    await ledger.append({
      ...common,
      actor: 'engine',
      action: 'rollback',
      from: { weights: { '41': 90, '42': 10 } },
      to: { weights: { '41': 100 } },
      reason: 'guardrail breach',
      details: { stage: 'canary-10', outcome: 'ok' },
    }),
    await ledger.append({ ...common, actor: 'engine', action: 'rollout-end', reason: 'rolled back to 41' }),
  ];
  return { ledger, entries };
}

const secrets = {
  async get(name: string) {
    return name === 'hook-key' ? HOOK_KEY : name === 'slack-url' ? SLACK_URL_SECRET : undefined;
  },
};

function notifier(targets: NotifyTarget[], ledger: Ledger, extra: Partial<ConstructorParameters<typeof Notifier>[0]> = {}) {
  const deliveries: DeliveryRecord[] = [];
  const instance = new Notifier({
    targets,
    plan: { name: 'churn-v42', environment: 'staging' },
    secrets,
    ledger,
    backoffMs: 20,
    maxBackoffMs: 100,
    onDelivery: (record) => deliveries.push(record),
    ...extra,
  });
  return { instance, deliveries };
}

const target = (url: string, rest: Partial<NotifyTarget> = {}): NotifyTarget => ({ type: 'event', url, name: 'hook', ...rest }) as NotifyTarget;

describe('Notifier', () => {
  it('delivers each target its events in ledger order, even when one answer is slow, and records each delivery', async () => {
    const hook = await receiver();
    hook.replies.push({ status: 200, delayMs: 300 });
    const { ledger, entries } = await rolloutEntries();
    const { instance } = notifier([target(hook.url, { retries: 0 })], ledger);
    for (const entry of entries) instance.notify(entry);
    // notify only queues: nothing has reached the receiver when it returns.
    expect(hook.received).toHaveLength(0);
    expect(await instance.drain(10_000)).toBe(true);
    const events = hook.received.map((request) => JSON.parse(request.body).event);
    expect(events).toEqual(['start', 'promote', 'breach', 'rollback', 'end']);
    const records = (await ledger.list({ action: 'notification' })).map((entry) => entry.details);
    expect(records.map((details) => details!.event)).toEqual(events);
    expect(records.every((details) => details!.outcome === 'delivered' && details!.status === 200 && details!.attempts === 1)).toBe(true);
    expect(records[2]).toMatchObject({ target: 'hook', entrySeq: entries[3]!.seq, entryHash: entries[3]!.hash, url: `${hook.url}/` });
    // The run's report lists the deliveries with the rest of the run.
    const report = buildReport(await collectFromLedger({ file: ledger.path, selector: { kind: 'run', runId: 'run-1' } }));
    expect(report.notifications.map((row) => [row.event, row.target, row.outcome, row.status])).toEqual(events.map((event) => [event, 'hook', 'delivered', 200]));
    expect(renderMarkdown(report)).toContain('## Notifications');
  });

  it('the JSON document carries run, service, versions, traffic, reason, evidence and the ledger entry', async () => {
    const hook = await receiver();
    const { ledger, entries } = await rolloutEntries();
    const { instance } = notifier([target(`${hook.url}/rollgate`, { events: ['rollback'] })], ledger);
    for (const entry of entries) instance.notify(entry);
    await instance.drain(10_000);
    expect(hook.received).toHaveLength(1);
    const [request] = hook.received;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/rollgate');
    expect(request!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(request!.body)).toEqual({
      schema: 'rollgate.notification/v1',
      event: 'rollback',
      time: entries[4]!.time,
      runId: 'run-1',
      service: 'churn-scorer',
      plan: { name: 'churn-v42', environment: 'staging', digest: `sha256:${'c'.repeat(64)}` },
      actor: 'engine',
      stage: 'canary-10',
      versions: lineage,
      traffic: { before: { weights: { '41': 90, '42': 10 } }, after: { weights: { '41': 100 } } },
      reason: 'guardrail breach',
      evidence: [],
      ledger: { seq: entries[4]!.seq, hash: entries[4]!.hash },
    });
  });

  it('retries on 500 with backoff, then delivers; the ledger records the attempts', async () => {
    const hook = await receiver();
    hook.replies.push({ status: 500, body: 'busy' }, { status: 503, body: 'still busy' });
    const { ledger, entries } = await rolloutEntries();
    const { instance, deliveries } = notifier([target(hook.url, { events: ['breach'] })], ledger);
    instance.notify(entries[3]!);
    await instance.drain(10_000);
    expect(hook.received).toHaveLength(3);
    expect(deliveries).toEqual([expect.objectContaining({ outcome: 'delivered', attempts: 3, status: 200, event: 'breach' })]);
    const [record] = await ledger.list({ action: 'notification' });
    expect(record!.reason).toBe('delivered breach notification to hook (HTTP 200, 3 attempts)');
    expect(record!.runId).toBe('run-1');
  });

  it('retries an attempt that timed out', async () => {
    const hook = await receiver();
    hook.replies.push('hang');
    const { ledger, entries } = await rolloutEntries();
    const { instance, deliveries } = notifier([target(hook.url, { events: ['rollback'], timeout: '300ms', retries: 2 })], ledger);
    instance.notify(entries[4]!);
    await instance.drain(10_000);
    expect(hook.received).toHaveLength(2);
    expect(deliveries[0]).toMatchObject({ outcome: 'delivered', attempts: 2 });
  });

  it('gives up after the retries and records the final failure; a 4xx and a redirect are not retried', async () => {
    const failing = await receiver({ status: 500, body: 'internal error' });
    const refusing = await receiver({ status: 400, body: 'bad payload' });
    const elsewhere = await receiver();
    const redirecting = await receiver({ status: 302, headers: { location: `${elsewhere.url}/moved` } });
    const { ledger, entries } = await rolloutEntries();
    const { instance, deliveries } = notifier(
      [target(failing.url, { name: 'failing', events: ['end'], retries: 2 }), target(refusing.url, { name: 'refusing', events: ['end'] }), target(redirecting.url, { name: 'redirecting', events: ['end'] })],
      ledger,
    );
    instance.notify(entries[5]!);
    await instance.drain(10_000);
    expect(failing.received).toHaveLength(3);
    expect(refusing.received).toHaveLength(1);
    expect(redirecting.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
    const byTarget = Object.fromEntries(deliveries.map((record) => [record.target, record]));
    expect(byTarget.failing).toMatchObject({ outcome: 'failed', attempts: 3, status: 500, error: 'HTTP 500: internal error' });
    expect(byTarget.refusing).toMatchObject({ outcome: 'failed', attempts: 1, status: 400 });
    expect(byTarget.redirecting).toMatchObject({ outcome: 'failed', attempts: 1, status: 302 });
    expect(byTarget.redirecting!.error).toContain('not redirected');
    const reasons = (await ledger.list({ action: 'notification' })).map((entry) => entry.reason);
    expect(reasons).toContain('could not deliver end notification to failing: HTTP 500: internal error');
  });

  it('a dead receiver fails fast, is retried, and its failure is recorded', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/hook`;
    const { ledger, entries } = await rolloutEntries();
    const { instance, deliveries } = notifier([target(closed, { events: ['breach'], retries: 1 })], ledger);
    instance.notify(entries[3]!);
    await instance.drain(10_000);
    expect(deliveries[0]).toMatchObject({ outcome: 'failed', attempts: 2 });
    expect(deliveries[0]!.error).toMatch(/ECONNREFUSED/);
    expect((await ledger.list({ action: 'notification' }))[0]!.details!.outcome).toBe('failed');
  });

  it('Slack: an incoming-webhook message (text and blocks within Slack limits), its control characters escaped', async () => {
    const slack = await receiver();
    const { ledger, entries } = await rolloutEntries();
    const { instance } = notifier([{ type: 'event', name: 'oncall', urlSecret: { secret: 'slack-url' }, format: 'slack', events: ['breach'] } as NotifyTarget], ledger, {
      secrets: { get: async (name) => (name === 'slack-url' ? `${slack.url}/services/${SLACK_URL_SECRET}` : undefined) },
    });
    instance.notify(entries[3]!);
    await instance.drain(10_000);
    expect(slack.received[0]!.path).toBe(`/services/${SLACK_URL_SECRET}`);
    const message = JSON.parse(slack.received[0]!.body) as { text: string; blocks: KnownBlock[] };
    expect(Object.keys(message).sort()).toEqual(['blocks', 'text']);
    expect(message.text).toContain('churn-scorer: GUARDRAIL BREACH (stage canary-10)');
    // Slack's control characters: no mention or link can be smuggled in through a reason.
    expect(message.text).toContain('&lt;!channel&gt; &lt;http://evil.example|click&gt;');
    expect(JSON.stringify(message.blocks)).not.toMatch(/<!channel>|<http/);
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    const [header, reason, facts, evidence] = message.blocks as unknown as [
      { text: { type: string; text: string } },
      { text: { type: string; text: string } },
      { fields: { type: string; text: string }[] },
      { text: { text: string } },
    ];
    expect(header.text).toMatchObject({ type: 'plain_text' });
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    expect(reason.text.type).toBe('mrkdwn');
    expect(facts.fields.length).toBeLessThanOrEqual(10);
    expect(facts.fields.map((field) => field.text.split('\n')[0])).toEqual(['*Plan*', '*Stage*', '*Candidate*', '*Baseline*', '*Run*']);
    for (const field of facts.fields) expect(field.text.length).toBeLessThanOrEqual(2000);
    expect(evidence.text.text).toContain('• error-rate = 0.05 (≤ 0.02) fail');
    // The webhook URL is a secret: the ledger names it by reference only.
    const [record] = await ledger.list({ action: 'notification' });
    expect(record!.details!.url).toBe('secret:slack-url');
    expect(JSON.stringify(await ledger.list())).not.toContain(SLACK_URL_SECRET);
  });

  it('header secrets are sent as headers only; a missing secret fails the delivery without sending', async () => {
    const hook = await receiver({ status: 401, body: `bad key ${HOOK_KEY}` });
    const { ledger, entries } = await rolloutEntries();
    const { instance, deliveries } = notifier(
      [target(hook.url, { name: 'keyed', events: ['start'], headers: { 'X-Api-Key': { secret: 'hook-key' } } }), target(hook.url, { name: 'unkeyed', events: ['start'], headers: { 'X-Api-Key': { secret: 'not-set' } } })],
      ledger,
    );
    instance.notify(entries[0]!);
    await instance.drain(10_000);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.headers['x-api-key']).toBe(HOOK_KEY);
    expect(hook.received[0]!.body).not.toContain(HOOK_KEY);
    const unkeyed = deliveries.find((record) => record.target === 'unkeyed')!;
    expect(unkeyed).toMatchObject({ outcome: 'failed', attempts: 0 });
    expect(unkeyed.error).toContain("the secret 'not-set' (header X-Api-Key) is not set");
    // The receiver echoed the key in its error: the record says «redacted:hook-key» instead.
    const keyed = deliveries.find((record) => record.target === 'keyed')!;
    expect(keyed.error).toBe('HTTP 401: bad key «redacted:hook-key»');
    expect(JSON.stringify(await ledger.list())).not.toContain(HOOK_KEY);
  });

  it('a hung receiver holds its own queue only; past maxQueue, events are dropped and the drop recorded', async () => {
    const hung = await receiver('hang');
    const healthy = await receiver();
    const { ledger, entries } = await rolloutEntries();
    const both = notifier([target(hung.url, { name: 'hung', timeout: '5s', retries: 0 }), target(healthy.url, { name: 'healthy' })], ledger);
    for (const entry of entries) both.instance.notify(entry);
    await eventually(async () => (healthy.received.length === 5 ? true : undefined), 10_000, 'the healthy target to get all five events', 20);
    expect(hung.received).toHaveLength(1);
    both.instance.close();
    expect(await both.instance.drain(10_000)).toBe(true);

    const bounded = notifier([target(hung.url, { name: 'bounded', timeout: '5s', retries: 0 })], ledger, { maxQueue: 2 });
    for (const entry of entries) bounded.instance.notify(entry);
    await eventually(async () => (bounded.deliveries.filter((record) => record.outcome === 'dropped').length === 3 ? true : undefined), 10_000, 'three drops', 20);
    bounded.instance.close();
    expect(await bounded.instance.drain(10_000)).toBe(true);
    await eventually(async () => ((await ledger.list({ action: 'notification' })).filter((entry) => entry.details!.target === 'bounded').length === 5 ? true : undefined), 10_000, 'five records', 20);
    const outcomes = (await ledger.list({ action: 'notification' })).filter((entry) => entry.details!.target === 'bounded').map((entry) => String(entry.details!.outcome));
    expect(outcomes.sort()).toEqual(['dropped', 'dropped', 'dropped', 'failed', 'failed']);
  });
});
