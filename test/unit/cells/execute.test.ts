// Every cell kind executed against the real `rollgate dev` stack and a real Prometheus scraping it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { CellRunResult, ConfirmationRequest } from '../../../src/core/cells/index';
import { verifyLedgerFile } from '../../../src/core/ledger/index';
import type { Plan } from '../../../src/core/plan/schema';
import { validatePlan } from '../../../src/core/plan/validate';
import { eventually, useDevStack } from '../../support/devStack';
import { newSession, planFor, planTextFor, startLoopback } from './support';

const SECRET = 'tok-7f3a9c2e51d8b64aa0';
const dev = useDevStack({ token: SECRET, requestsPerSecond: 40 });
const ledgerDir = mkdtempSync(join(tmpdir(), 'rollgate-cells-'));
const ledgerPath = join(ledgerDir, '.rollgate', 'ledger.jsonl');

let cachedPlan: Plan | undefined;
const plan = () => (cachedPlan ??= planFor({ deploymentUrl: dev().stack.deploymentUrl, prometheusUrl: dev().stack.prometheusUrl! }));
const session = (extra: Parameters<typeof newSession>[0] = {}) => newSession({ plan: plan(), secret: SECRET, ledgerPath, ...extra });
const cell = (language: string, value: string, attributes: Record<string, unknown> = {}) => ({ language, value, attributes });
const tableColumn = (result: CellRunResult, column: string) => {
  const table = result.outputs.find((output) => output.kind === 'table');
  if (table?.kind !== 'table') throw new Error('no table output');
  const index = table.columns.indexOf(column);
  return table.rows.map((row) => row[index]);
};

describe('http cell', () => {
  it('GETs the deployment endpoint with a secret header; a named output feeds a later cell', async () => {
    const run = session();
    const status = await run.run(cell('http', 'GET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}\nAuthorization: Bearer {{secret:deploy-token}}', { name: 'status' }));
    expect(status.error).toBeUndefined();
    expect(status).toMatchObject({ outcome: 'success', ok: true, status: 200, mutating: false });
    // Like REST Client: status and time, the headers folded, then the body.
    expect(status.outputs[0]).toMatchObject({ kind: 'text', text: expect.stringMatching(/^HTTP 200 OK · \d+ ms$/) });
    expect(status.outputs[1]).toMatchObject({ kind: 'json', collapsed: true, title: expect.stringMatching(/^Response headers \(\d+\)$/), value: { 'content-type': 'application/json' } });
    expect(status.outputs[2]).toMatchObject({ kind: 'json', value: { service: 'churn-scorer', stable: '41' } });
    // Every header as sent, in order: the ones Rollgate adds too.
    expect(status.request!.headers).toEqual([
      ['Host', new URL(plan().endpoints.deployment.url).host],
      ['Authorization', 'Bearer {{secret:deploy-token}}'],
      ['Accept', '*/*'],
      ['User-Agent', 'rollgate'],
      ['Connection', 'keep-alive'],
    ]);

    const echo = await startLoopback((_request, response) => response.end('ok'));
    try {
      const next = await run.run(cell('http', `GET ${echo.url}/stable/{{status.body.stable}}?phase={{status.body.phase}}`));
      expect(next.outcome).toBe('success');
      expect(echo.requests[0]!.url).toBe('/stable/41?phase=stable');
    } finally {
      await echo.close();
    }
  });

  it("fails on an HTTP error status with the endpoint's message", async () => {
    const result = await session().run(cell('http', 'GET {{endpoints.deployment.url}}/v1/services/nope\nAuthorization: Bearer {{secret:deploy-token}}'));
    expect(result).toMatchObject({ outcome: 'failure', ok: false, status: 404 });
    expect(result.error).toMatch(/^HTTP 404/);
  });

  it('fails before sending anything when a variable is unresolved, naming it', async () => {
    const server = await startLoopback((_request, response) => response.end());
    try {
      const result = await session().run(cell('http', `POST ${server.url}/x?v={{status.body.nothing}}\n\n{"a":"{{also.missing}}"}`), { confirmed: true });
      expect(result.outcome).toBe('failure');
      expect(result.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['cell/unresolved-variable', 'cell/unresolved-variable']);
      expect(result.error).toContain('{{status.body.nothing}}');
      expect(result.error).toContain('{{also.missing}}');
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('fails when a referenced secret is not set, before sending', async () => {
    const server = await startLoopback((_request, response) => response.end());
    try {
      const result = await newSession({}).run(cell('http', `GET ${server.url}/\nAuthorization: Bearer {{secret:deploy-token}}`));
      expect(result.outcome).toBe('failure');
      expect(result.error).toContain('ROLLGATE_SECRET_DEPLOY_TOKEN');
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('aborts the request when the cell is cancelled', async () => {
    const hanging = await startLoopback(() => {
      /* never answers */
    });
    try {
      const controller = new AbortController();
      const arrived = hanging.nextRequest();
      const running = session().run(cell('http', `GET ${hanging.url}/slow`), { signal: controller.signal });
      await arrived;
      controller.abort();
      const result = await running;
      expect(result.outcome).toBe('cancelled');
      expect(result.ok).toBe(false);
    } finally {
      await hanging.close();
    }
  });

  it('times out after the cell\'s "timeout" attribute with a message saying so', async () => {
    const hanging = await startLoopback(() => {
      /* never answers */
    });
    try {
      const result = await session().run(cell('http', `GET ${hanging.url}/slow`, { timeout: '300ms' }));
      expect(result.outcome).toBe('failure');
      expect(result.error).toContain('did not answer within 300 ms');
      expect(result.durationMs).toBeLessThan(5_000);
    } finally {
      await hanging.close();
    }
  });

  it('asks before a non-GET request and sends nothing when declined', async () => {
    const server = await startLoopback((_request, response) => response.end('{}'));
    try {
      const asked: ConfirmationRequest[] = [];
      const declined = await session().run(cell('http', `DELETE ${server.url}/v1/thing`), {
        confirmer: { confirm: async (request) => (asked.push(request), false) },
      });
      expect(declined.outcome).toBe('declined');
      expect(asked[0]).toMatchObject({ method: 'DELETE', url: `${server.url}/v1/thing`, environment: 'staging' });
      expect(asked[0]!.typeToConfirm).toBeUndefined();
      expect(server.requests).toHaveLength(0);

      const noConfirmer = await session().run(cell('http', `DELETE ${server.url}/v1/thing`));
      expect(noConfirmer.outcome).toBe('declined');
      expect(noConfirmer.error).toContain('--yes');

      const prodAsked: ConfirmationRequest[] = [];
      const accepted = await session({ environment: 'prod' }).run(cell('http', `DELETE ${server.url}/v1/thing`), {
        confirmer: { confirm: async (request) => (prodAsked.push(request), true) },
      });
      expect(accepted.outcome).toBe('success');
      expect(prodAsked[0]!.typeToConfirm).toBe('churn-scorer');
      expect(server.requests.map((request) => request.method)).toEqual(['DELETE']);
    } finally {
      await server.close();
    }
  });

  it('dry run resolves and shows the request without sending or recording', async () => {
    const server = await startLoopback((_request, response) => response.end());
    try {
      const result = await session().run(cell('http', `PUT ${server.url}/{{metadata.service}}\nAuthorization: Bearer {{secret:deploy-token}}\n\n{"v":"{{candidate.version}}"}`), { dryRun: true });
      expect(result.outcome).toBe('dry-run');
      expect(result.ok).toBe(true);
      const text = result.outputs[0]!.kind === 'text' ? result.outputs[0]!.text : '';
      expect(text).toContain(`PUT ${server.url}/churn-scorer`);
      expect(text).toContain('Authorization: Bearer {{secret:deploy-token}}');
      expect(text).toContain('{"v":"42"}');
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});

describe('promql cell', () => {
  it('runs an instant query into a table and checks expect on every value', async () => {
    const run = session();
    const query = cell('promql', 'sum by (version) (rollgate_dev_requests_total{version="{{baseline.version}}"})', { name: 'served', expect: '>= 1' });
    const result = await eventually(
      async () => {
        const attempt = await run.run(query);
        return attempt.ok ? attempt : undefined;
      },
      30_000,
      'Prometheus to have scraped the baseline',
    );
    expect(tableColumn(result, 'version')).toEqual(['41']);
    expect(tableColumn(result, 'expect')).toEqual(['ok']);
    expect(Number(tableColumn(result, 'value')[0])).toBeGreaterThanOrEqual(1);
    expect(result.request!.url).toContain('/api/v1/query?query=');
    expect(run.outputs.served).toMatchObject({ value: expect.any(Number) });

    const broken = await run.run(cell('promql', 'sum(rollgate_dev_requests_total{version="41"})', { expect: '< 0' }));
    expect(broken.outcome).toBe('failure');
    // What was expected and what came back, in words.
    expect(broken.error).toMatch(/^expected < 0, got \d+$/);
    expect(tableColumn(broken, 'expect')).toEqual(['FAIL']);

    const empty = await run.run(cell('promql', 'rollgate_dev_requests_total{version="no-such-version"}', { expect: '== 0' }));
    expect(empty.outcome).toBe('failure');
    expect(empty.error).toContain('no data');
  });

  it('runs a range query into a table and chart series', async () => {
    const result = await eventually(
      async () => {
        const attempt = await session().run(cell('promql', 'sum by (version) (rollgate_dev_requests_total)', { range: '1m', step: '2s', expect: '>= 0' }));
        const chart = attempt.outputs.find((output) => output.kind === 'chart');
        return attempt.ok && chart?.kind === 'chart' && chart.series.some((one) => one.points.length >= 2) ? attempt : undefined;
      },
      30_000,
      'two range points',
    );
    expect(result.request!.url).toContain('/api/v1/query_range');
    expect(tableColumn(result, 'points').every((count) => Number(count) >= 1)).toBe(true);
  });

  it('"wait" re-measures until the expectation holds, or fails saying how long it waited', async () => {
    const started = Date.now();
    const never = await session().run(cell('promql', 'sum(rollgate_dev_requests_total)', { expect: '< 0', wait: '2s' }));
    expect(never.outcome).toBe('failure');
    expect(never.error).toMatch(/still failing after waiting 2 s, [2-9]\d* attempts/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);

    // Prometheus' time() passes a threshold two seconds from now: the cell succeeds once it does.
    const threshold = Math.floor(Date.now() / 1000) + 2;
    const waitedFrom = Date.now();
    const holds = await session().run(cell('promql', 'time()', { expect: `> ${threshold}`, wait: '15s' }));
    expect(holds.error).toBeUndefined();
    expect(holds.outcome).toBe('success');
    expect(Date.now() - waitedFrom).toBeGreaterThanOrEqual(1_000);

    const badWait = await session().run(cell('promql', 'up', { wait: 'soon' }));
    expect(badWait.diagnostics[0]).toMatchObject({ code: 'cell/attribute' });
  });

  it('reports a PromQL syntax error from Prometheus', async () => {
    const result = await session().run(cell('promql', 'sum(rate(rollgate_dev_requests_total[1m])'));
    expect(result.outcome).toBe('failure');
    expect(result.error).toMatch(/bad_data|parse/i);
  });
});

describe('rollout and check cells', () => {
  it('status reads the service; set-traffic needs confirmation and then changes weights', async () => {
    const status = await session().run(cell('rollout', 'status', { name: 'now' }));
    expect(status).toMatchObject({ outcome: 'success', mutating: false });
    expect(status.value).toMatchObject({ body: { service: 'churn-scorer' } });

    const declined = await session().run(cell('rollout', 'set-traffic 50'));
    expect(declined.outcome).toBe('declined');
    expect(
      dev()
        .stack.state()
        .versions.find((version) => version.version === '42')!.weight,
    ).toBe(0);

    const asked: ConfirmationRequest[] = [];
    const applied = await session().run(cell('rollout', 'set-traffic 50'), { confirmer: { confirm: async (request) => (asked.push(request), true) } });
    expect(applied.error).toBeUndefined();
    expect(applied.outcome).toBe('success');
    expect(asked[0]).toMatchObject({ method: 'PUT', url: `${dev().stack.deploymentUrl}/v1/services/churn-scorer/traffic`, service: 'churn-scorer' });
    expect(asked[0]!.target).toContain('42 50%');
    expect(
      dev()
        .stack.state()
        .versions.find((version) => version.version === '42')!.weight,
    ).toBe(50);
  });

  it("promote uses the stage's traffic from the plan; unknown stages fail at the stage name", async () => {
    const promoted = await session().run(cell('rollout', 'promote canary-10'), { confirmed: true });
    expect(promoted.error).toBeUndefined();
    const stage = plan().stages.find((one) => one.name === 'canary-10');
    expect(stage?.traffic).toBeDefined();
    expect(
      dev()
        .stack.state()
        .versions.find((version) => version.version === '42')!.weight,
    ).toBe(stage!.traffic);

    const text = 'promote canary-99';
    const unknown = await session().run(cell('rollout', text), { confirmed: true });
    expect(unknown.outcome).toBe('failure');
    expect(text.slice(unknown.diagnostics[0]!.start, unknown.diagnostics[0]!.end)).toBe('canary-99');
  });

  it('promote sends what the engine sends for the stage: a shadow stage mirrors 100 percent by default, the next stage clears the mirror', async () => {
    // The sample's shadow stage without its explicit `mirror: 100`: the engine's default applies.
    const text = planTextFor({ deploymentUrl: dev().stack.deploymentUrl, prometheusUrl: dev().stack.prometheusUrl! }).replace(/(kind: shadow\n)\s+mirror: 100\n/, '$1');
    const validation = validatePlan(text);
    expect(validation.plan?.stages.find((stage) => stage.name === 'shadow')?.mirror).toBeUndefined();
    const shadowPlan = validation.plan!;
    const version = (name: string) =>
      dev()
        .stack.state()
        .versions.find((one) => one.version === name)!;

    const shadow = await session({ plan: shadowPlan }).run(cell('rollout', 'promote shadow'), { confirmed: true });
    expect(shadow.error).toBeUndefined();
    expect(shadow.outcome).toBe('success');
    expect(version('41').weight).toBe(100);
    expect(version('42').mirror).toBe(100);

    const canary = await session({ plan: shadowPlan }).run(cell('rollout', 'promote canary-10'), { confirmed: true });
    expect(canary.outcome).toBe('success');
    expect(version('42').weight).toBe(10);
    expect(version('42').mirror).toBe(0);
  });

  it('check measures named guardrails now: not enough data right after a traffic change, then passes, then fails under an injected fault', async () => {
    await session().run(cell('rollout', 'set-traffic 50'), { confirmed: true });
    // The guardrail's 30 s window still holds the old split: no verdict, and it says how much data there is.
    const early = await session().run(cell('check', 'error-rate'));
    expect(early.ok).toBe(false);
    expect(tableColumn(early, 'result')).toEqual(['not enough data yet']);
    expect(tableColumn(early, 'data')[0]).toMatch(/^\d+ samples? · [01] series · 30s window · deployment last changed \d+(ms|s) ago$/);
    expect(early.error).toMatch(/^error-rate: not enough data yet: the 30s window reaches back before the deployment's last change/);
    const passed = await eventually(
      async () => {
        const attempt = await session().run(cell('check', 'error-rate'));
        return attempt.ok ? attempt : undefined;
      },
      60_000,
      'error-rate to pass with candidate traffic',
    );
    expect(tableColumn(passed, 'guardrail')).toEqual(['error-rate']);
    expect(tableColumn(passed, 'result')).toEqual(['pass']);
    expect(tableColumn(passed, 'data')[0]).toMatch(/^[1-9]\d* samples · 1 series · 30s window · deployment last changed (3\d|[4-9]\d)s ago$/);

    dev().stack.injectFault({ version: '42', errorRate: 0.6 });
    try {
      const failed = await eventually(
        async () => {
          const attempt = await session().run(cell('check', ''));
          return attempt.outcome === 'failure' && tableColumn(attempt, 'result')[0] === 'FAIL' ? attempt : undefined;
        },
        45_000,
        'error-rate to fail under the fault',
      );
      expect(tableColumn(failed, 'guardrail')).toEqual(['error-rate', 'p99-latency', 'score-drift']);
      expect(failed.error).toContain('error-rate: failed');
    } finally {
      dev().stack.clearFaults();
    }

    const text = 'error-rate, latency';
    const unknown = await session().run(cell('check', text));
    expect(text.slice(unknown.diagnostics[0]!.start, unknown.diagnostics[0]!.end)).toBe('latency');
  }, 150_000);

  it('check measures a drift guardrail: PSI of the two score histograms against its max, then a scoreShift fails it', async () => {
    // The sample's 2m window would hold "not enough data yet" for two minutes after the traffic
    // change (issue 17); a 30s window keeps the test short and shows that state first.
    const base = plan();
    const drift = { ...base, guardrails: base.guardrails.map((guardrail) => (guardrail.name === 'score-drift' ? { ...guardrail, window: '30s' } : guardrail)) } as typeof base;
    const driftSession = () => session({ plan: drift });
    await driftSession().run(cell('rollout', 'set-traffic 50'), { confirmed: true });
    const early = await driftSession().run(cell('check', 'score-drift'));
    expect(early.ok).toBe(false);
    expect(tableColumn(early, 'result')).toEqual(['not enough data yet']);
    const passed = await eventually(
      async () => {
        const attempt = await driftSession().run(cell('check', 'score-drift'));
        return attempt.ok ? attempt : undefined;
      },
      100_000,
      'score-drift to pass with candidate traffic',
    );
    expect(tableColumn(passed, 'bound')).toEqual(['max 0.2']);
    const measurement = (passed.value as { results: Record<string, { kind: string; value: number; query: string; drift: { buckets: string[] } }> }).results['score-drift']!;
    expect(measurement).toMatchObject({ kind: 'drift', query: 'sum by (le) (increase(rollgate_dev_prediction_score_bucket{version="42"}[30s]))' });
    expect(Number(tableColumn(passed, 'value')[0])).toBeCloseTo(measurement.value, 3);
    expect(measurement.drift.buckets).toHaveLength(11);

    dev().stack.injectFault({ version: '42', scoreShift: 0.4 });
    try {
      const failed = await eventually(
        async () => {
          const attempt = await driftSession().run(cell('check', 'score-drift'));
          return attempt.outcome === 'failure' && !tableColumn(attempt, 'result').includes('not enough data yet') ? attempt : undefined;
        },
        100_000,
        'score-drift to fail after the scoreShift',
      );
      expect(failed.error).toMatch(/^score-drift: failed, PSI [\d.]+ is above max 0\.2/);
    } finally {
      dev().stack.clearFaults();
    }
  }, 240_000);

  it('pause and resume act on the service phase', async () => {
    await session().run(cell('rollout', 'pause reason "looking"'), { confirmed: true });
    expect(dev().stack.state().phase).toBe('paused');
    const resumed = await session().run(cell('rollout', 'resume'), { confirmed: true });
    expect(resumed.error).toBeUndefined();
    expect(dev().stack.state().phase).not.toBe('paused');
  });

  it('rollback to baseline sends the baseline version and the reason', async () => {
    const result = await session().run(cell('rollout', 'rollback to baseline reason "5xx above guardrail"'), { confirmed: true });
    expect(result.error).toBeUndefined();
    expect(result.request).toMatchObject({ method: 'POST', url: `${dev().stack.deploymentUrl}/v1/services/churn-scorer/rollback` });
    const state = dev().stack.state();
    expect(state.stable).toBe('41');
    expect(state.versions.find((version) => version.version === '41')!.weight).toBe(100);
    // The output leads with traffic before → after, then what was asked, then the endpoint's answer folded.
    expect(result.outputs[0]).toEqual({ kind: 'text', text: expect.stringMatching(/^41 \d+%, 42 \d+% → 41 100%, 42 0%$/) });
    expect(result.outputs[1]).toEqual({ kind: 'text', text: 'roll back churn-scorer to 41 (baseline) (reason: 5xx above guardrail)' });
    expect(result.outputs[2]).toMatchObject({ kind: 'json', collapsed: true, value: { stable: '41' } });
    expect(result.change).toMatchObject({ action: 'rollback', reason: '5xx above guardrail', to: { weights: { '41': 100, '42': 0 } }, outcome: 'ok' });
  });

  it('set-traffic refuses before sending when the endpoint serves another artifact than the plan declares, naming both digests', async () => {
    const reviewed = `sha256:${'ab'.repeat(32)}`;
    const other = validatePlan(
      planTextFor({ deploymentUrl: dev().stack.deploymentUrl, prometheusUrl: dev().stack.prometheusUrl! }).replace(/(candidate:[^\n]*\n(?:.*\n)*?\s+digest: )"sha256:[0-9a-f]{64}"/, `$1"${reviewed}"`),
    ).plan!;
    expect(other.model.candidate.digest).toBe(reviewed);
    const before = dev().stack.state();
    const refused = await session({ plan: other }).run(cell('rollout', 'set-traffic 30'), { confirmed: true });
    expect(refused.outcome).toBe('failure');
    expect(refused.error).toContain(`version 42: the plan declares ${reviewed}, the deployment endpoint serves ${before.versions.find((version) => version.version === '42')!.digest}`);
    expect(dev().stack.state().versions).toEqual(before.versions);
    expect(refused.change).toMatchObject({ action: 'traffic-change', outcome: 'failed' });
  });

  it('an http PUT to the deployment endpoint is recorded as the traffic change it is', async () => {
    const result = await session().run(
      cell('http', 'PUT {{endpoints.deployment.url}}/v1/services/{{metadata.service}}/traffic\nAuthorization: Bearer {{secret:deploy-token}}\nContent-Type: application/json\n\n{"weights":{"41":90,"42":10}}'),
      { confirmed: true, index: 4 },
    );
    expect(result.outcome).toBe('success');
    expect(result.outputs[0]).toEqual({ kind: 'text', text: '41 100%, 42 0% → 41 90%, 42 10%' });
    expect(result.change).toMatchObject({ action: 'traffic-change', reason: 'traffic-change from a runbook cell 5', from: { weights: { '41': 100 } }, to: { weights: { '41': 90, '42': 10 } } });
    await session().run(cell('rollout', 'rollback reason "back to the baseline"'), { confirmed: true });
  });

  it('every run above was recorded in a ledger that verifies', async () => {
    const lines = readFileSync(ledgerPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((entry) => entry.actor === 'test')).toBe(true);
    const runs = lines.filter((entry) => entry.action === 'cell-run');
    const rollback = runs.find((entry) => (entry.request as { url?: string }).url?.endsWith('/rollback'));
    expect(rollback).toMatchObject({ service: 'churn-scorer', request: { method: 'POST', outcome: 'success' }, details: { kind: 'rollout', change: 'rollback' } });
    // Each change a cell made is also its own action, right after its cell-run, traffic before and after.
    const changes = lines.filter((entry) => entry.action !== 'cell-run');
    expect(changes.every((entry) => lines[lines.indexOf(entry) - 1]!.action === 'cell-run')).toBe(true);
    expect(new Set(changes.map((entry) => entry.action))).toEqual(new Set(['traffic-change', 'promote', 'pause', 'resume', 'rollback']));
    const rolledBack = changes.find((entry) => entry.action === 'rollback');
    expect(rolledBack).toMatchObject({ service: 'churn-scorer', to: { weights: { '41': 100 }, stable: '41' }, details: { source: 'runbook', outcome: 'ok' } });
    expect(rolledBack!.reason).toEqual(expect.any(String));
    expect(rolledBack!.lineage).toMatchObject({ candidate: { version: '42' } });
    expect(lines.some((entry) => (entry.request as { outcome?: string }).outcome === 'declined')).toBe(true);
    const verified = await verifyLedgerFile(ledgerPath);
    expect(verified.ok).toBe(true);
  });
});
