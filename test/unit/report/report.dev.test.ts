// Reports rendered from ledgers that real drills wrote against `rollgate dev` and a real
// Prometheus: an automatic drill (breach, rollback), then an incident the rollout only paused for
// and a runbook resolved (status, query, rollback cells). Then copies of that ledger, one tampered
// with and one with a torn last line. Every report is checked for order, figures, charts and the
// absence of the deployment token.
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import {
  buildReport,
  collectFromLedger,
  defaultLedgerPath,
  DeploymentTraffic,
  FileStateStore,
  Ledger,
  LedgerChangeLog,
  PrometheusMetrics,
  renderHtml,
  renderMarkdown,
  RolloutEngine,
  runDrill,
  type LedgerEntry,
  type ReportModel,
} from '../../../src/core/index';
import { validatePlan } from '../../../src/core/plan/validate';
import { eventually, useDevStack } from '../../support/devStack';
import { devPlan } from '../rollout/devPlan';

const SECRET = 'report-secret-3c9e1f7a52b8';
const encodings = [SECRET, Buffer.from(SECRET).toString('base64'), encodeURIComponent(`Bearer ${SECRET}`)];
const getStack = useDevStack({ token: SECRET });

let dir = '';
let ledgerFile = '';
let drillRun = '';
let incidentRun = '';

const runbookText = [
  '---',
  'title: Canary incident',
  'plan: ./incident.rollout.yaml',
  'environment: staging',
  '---',
  '# Canary incident',
  '',
  '```http {"name":"status"}',
  'GET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}',
  'Authorization: Bearer {{secret:deploy-token}}',
  '```',
  '',
  '```promql {"name":"errors"}',
  'sum(rate(rollgate_dev_requests_total{version="42",code=~"5.."}[5s]))',
  '```',
  '',
  '```rollout {"name":"back"}',
  'rollback to baseline reason "5xx on the canary"',
  '```',
  '',
].join('\n');

async function rollgate(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd: dir,
    env: { ROLLGATE_ACTOR: 'oncall', ROLLGATE_SECRET_DEPLOY_TOKEN: SECRET, PATH: process.env.PATH ?? '' },
  });
  return { code, stdout, stderr };
}

/** An earlier fault stays in the 5 s rate window for a few seconds; wait until it has left. */
async function faultsLeftRateWindow(): Promise<void> {
  const { prometheus } = getStack();
  await eventually(
    async () => {
      const { result } = await prometheus.query('sum(increase(rollgate_dev_requests_total{code=~"5.."}[6s]))');
      return result.resultType === 'vector' && (result.samples.length === 0 || result.samples[0]!.value < 3) ? true : undefined;
    },
    20_000,
    'earlier faults to leave the rate window',
    200,
  );
}

async function engineFor(planText: string) {
  const { deployment, prometheus } = getStack();
  const { plan } = validatePlan(planText);
  if (!plan) throw new Error('test plan invalid');
  const engine = await RolloutEngine.create({
    plan,
    planDigest: `sha256:${'1'.repeat(64)}`,
    traffic: new DeploymentTraffic(deployment, { candidate: plan.model.candidate, baseline: plan.model.baseline }),
    metrics: new PrometheusMetrics(prometheus),
    changeLog: new LedgerChangeLog(new Ledger({ path: ledgerFile, secrets: { 'deploy-token': SECRET } })),
    stateStore: new FileStateStore(path.join(dir, '.rollgate', 'state')),
    actor: 'drill:test',
    restart: true,
  });
  return { engine, plan };
}

function noSecret(text: string, what: string): void {
  for (const encoding of encodings) expect(text.includes(encoding), `${what} holds the secret`).toBe(false);
}

async function reportOf(runId: string): Promise<ReportModel> {
  return buildReport(await collectFromLedger({ file: ledgerFile, selector: { kind: 'run', runId } }));
}

beforeAll(async () => {
  const { stack, deployment } = getStack();
  dir = mkdtempSync(path.join(tmpdir(), 'rollgate-report-'));
  ledgerFile = defaultLedgerPath(dir);
  const urls = { deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl!, tokenSecret: 'deploy-token' };

  // 1. An automatic drill: the fault strikes the canary, the engine rolls back.
  const drill = await engineFor(devPlan({ ...urls, canaryBake: '30s' }));
  const result = await runDrill({
    engine: drill.engine,
    stage: 'canary-50',
    rollbackTo: '41',
    injectFault: async () => void stack.injectFault({ version: '42', errorRate: 1 }),
    readTraffic: async () => new DeploymentTraffic(deployment, { candidate: drill.plan.model.candidate, baseline: drill.plan.model.baseline }).getState(),
  });
  expect(result.snapshot.status).toBe('rolled-back');
  drillRun = result.snapshot.runId;
  stack.clearFaults();
  await faultsLeftRateWindow();

  // 2. An incident the rollout only pauses for (rollback.automatic: false); the runbook rolls back.
  const incidentPlan = devPlan({ ...urls, canaryBake: '30s', automatic: false });
  writeFileSync(path.join(dir, 'incident.rollout.yaml'), incidentPlan);
  writeFileSync(path.join(dir, 'incident.runbook.md'), runbookText);
  const incident = await engineFor(incidentPlan);
  incident.engine.onEvent((event) => {
    if (event.kind === 'measured' && event.measurement?.guardrail === 'error-rate' && event.measurement.outcome === 'pass' && !event.measurement.noData) stack.injectFault({ version: '42', errorRate: 1 });
  });
  const paused = await incident.engine.run();
  expect(paused.status, paused.pauseReason).toBe('paused');
  incidentRun = paused.runId;
  const run = await rollgate(['run', 'incident.runbook.md', '--yes']);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  stack.clearFaults();
}, 120_000);

describe('reports from ledgers of real drills', () => {
  it('an automatic drill: timeline in ledger order, the breach figures, charts, time to recovery', async () => {
    const model = await reportOf(drillRun.slice(0, 8));
    const entries = (await new Ledger({ path: ledgerFile }).list()).filter((entry) => entry.runId === drillRun);
    expect(model.scope.runIds).toEqual([drillRun]);
    expect(model.timeline.map((row) => row.action)).toEqual(['rollout-start', 'traffic-change', 'guardrail-breach', 'rollback', 'rollout-end']);
    expect(model.timeline.map((row) => row.seq)).toEqual(entries.filter((entry) => entry.action !== 'guardrail-measurement').map((entry) => entry.seq));
    // Every measurement round of the canary is charted, not listed.
    expect(model.measurementEntries).toBe(entries.filter((entry) => entry.action === 'guardrail-measurement').length);
    expect(model.measurementEntries).toBeGreaterThanOrEqual(1);
    const times = model.timeline.map((row) => Date.parse(row.time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(model.outcome.status).toBe('rolled-back');

    // Traffic before → after, as the ledger recorded it.
    const canary = model.timeline[1]!;
    expect(canary.trafficAfter?.weights).toEqual({ '41': 50, '42': 50 });
    const rollback = model.timeline[3]!;
    expect(rollback.trafficBefore?.weights).toEqual({ '41': 50, '42': 50 });
    expect(rollback.trafficAfter?.weights).toEqual({ '41': 100 });
    expect(rollback.trafficChanged).toBe(true);

    // The breach's figures are the ledger's.
    const breach = entries.find((entry) => entry.action === 'guardrail-breach')!;
    const evidence = (breach.evidence as NonNullable<LedgerEntry['evidence']> & unknown[]).find((item) => (item as { guardrail?: string }).guardrail === 'error-rate') as { value: number };
    const errorRate = model.guardrails.find((series) => series.guardrail === 'error-rate')!;
    expect(errorRate.bound).toEqual({ max: 0.1 });
    expect(errorRate.failed).toBeGreaterThanOrEqual(1);
    const failing = errorRate.points.find((point) => point.outcome === 'fail')!;
    expect(failing.value).toBe(evidence.value);
    expect(failing.value!).toBeGreaterThan(0.1);

    // First breach → all traffic on 41: from the failing measurement to the rollback entry.
    const measuredAt = (breach.details!.measurements as { guardrail: string; at: string }[]).find((item) => item.guardrail === 'error-rate')!.at;
    const rollbackEntry = entries.find((entry) => entry.action === 'rollback')!;
    expect(model.recovery).toMatchObject({ status: 'recovered', knownGood: '41', recoveredBy: 'rollback', recoveredSeq: rollbackEntry.seq, breachAt: measuredAt });
    expect(model.recovery.ms).toBe(Date.parse(rollbackEntry.time) - Date.parse(measuredAt));

    // The proof: the last covered entry, its hash, and a chain that verifies.
    expect(model.verification).toMatchObject({ ok: true, unverifiedCovered: 0 });
    expect(model.verification.lastCovered).toMatchObject({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash, verified: true });

    const html = renderHtml(model);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(model.guardrails.length);
    expect(html).toContain('class="bound"');
    expect(html).toContain('class="point fail"');
    expect(html).toContain(entries.at(-1)!.hash);
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('| Time (UTC) | Stage | Value | Baseline | Ratio | Outcome |');
    expect(markdown).toMatch(/First breach → traffic back on known good \| \d+(\.\d)? (ms|s): breach measured at/);
    noSecret(html, 'the HTML report');
    noSecret(markdown, 'the Markdown report');
  });

  it('a paused incident: the newest run, with the runbook cells that rolled it back, in order', async () => {
    const model = buildReport(await collectFromLedger({ file: ledgerFile, selector: { kind: 'latest-run' } }));
    expect(model.scope.runIds).toEqual([incidentRun]);
    const actions = model.timeline.map((row) => row.action);
    // The runbook's rollback cell is recorded as a rollback too (issue 17: one record), so the run ends rolled back.
    expect(model.outcome.status).toBe('rolled-back');
    expect(actions.slice(0, 4)).toEqual(['rollout-start', 'traffic-change', 'guardrail-breach', 'pause']);
    expect(actions.slice(4)).toEqual(['cell-run', 'cell-run', 'cell-run', 'rollback']);
    expect(model.cellRuns.map((cell) => cell.cell)).toEqual(['status', 'errors', 'back']);
    expect(model.cellRuns.every((cell) => cell.runbook === 'incident.runbook.md')).toBe(true);
    const [status, errors, back] = model.cellRuns;
    expect(status!.method).toBe('GET');
    expect(status!.status).toBe(200);
    // The request as recorded: the secret as its reference, never its value.
    expect(status!.headers.find(([name]) => name.toLowerCase() === 'authorization')?.[1]).toBe('Bearer {{secret:deploy-token}}');
    expect(errors!.kind).toBe('promql');
    expect(back!.action).toMatch(/^roll back churn-scorer to 41/);
    expect(model.timeline[4]!.source).toEqual({ runbook: 'incident.runbook.md', cell: 'status' });
    // The runbook's rollback put traffic back on the known-good version.
    expect(model.recovery).toMatchObject({ status: 'recovered', knownGood: '41', recoveredBy: 'cell-run', recoveredSeq: back!.seq });
    // The last row is the cell's rollback recorded as a rollback, with every version's weight as the endpoint reported it.
    expect(model.timeline.at(-1)!.action).toBe('rollback');
    expect(model.timeline.at(-1)!.trafficAfter?.weights).toEqual({ '41': 100, '42': 0 });
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('## Runbook cells run');
    expect(markdown.indexOf('cell `status`')).toBeLessThan(markdown.indexOf('cell `back`'));
    noSecret(markdown, 'the Markdown report');
    noSecret(renderHtml(model), 'the HTML report');
  });

  it('rollgate report: a window of the service covers both runs; --out picks the format from the extension', async () => {
    const json = await rollgate(['report', '--service', 'churn-scorer', '--since', '1h', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const model = JSON.parse(json.stdout) as ReportModel;
    expect(model.format).toBe('rollgate-report/v1');
    expect(model.scope.runIds.sort()).toEqual([drillRun, incidentRun].sort());
    // The drill's automatic rollback and the incident's rollback from a runbook cell.
    expect(model.timeline.filter((row) => row.action === 'rollback')).toHaveLength(2);
    expect(model.cellRuns).toHaveLength(3);
    noSecret(json.stdout, 'the JSON report');

    const out = await rollgate(['report', '--run', drillRun, '--out', 'reports/drill.html']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('wrote reports/drill.html');
    const html = readFileSync(path.join(dir, 'reports', 'drill.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain("default-src 'none'");
    noSecret(html, 'the written HTML report');

    expect((await rollgate(['report', '--run', 'no-such-run'])).code).toBe(2);
    expect((await rollgate(['report', '--run', drillRun, '--since', '1h'])).code).toBe(2);
  });

  it('a tampered ledger: the report says so at the top, names the first bad line and marks what follows', async () => {
    const tampered = path.join(dir, 'tampered.jsonl');
    const lines = readFileSync(ledgerFile, 'utf8').split('\n');
    const index = lines.findIndex((line) => line.includes('"action":"guardrail-breach"'));
    // Someone softens the breach after the fact; the JSON stays valid, the hash no longer matches.
    lines[index] = lines[index]!.replace(/guardrail breach in stage/, 'minor blip in stage');
    writeFileSync(tampered, lines.join('\n'));
    const result = await rollgate(['report', '--run', drillRun, '--ledger', 'tampered.jsonl']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`line ${index + 1}`);
    const top = result.stdout.split('\n').slice(0, 4).join('\n');
    expect(top).toContain(`THE LEDGER FAILS VERIFICATION at line ${index + 1}`);
    const model = buildReport(await collectFromLedger({ file: tampered, selector: { kind: 'run', runId: drillRun } }));
    expect(model.verification).toMatchObject({ ok: false, tornOnly: false, firstBadLine: index + 1 });
    const breachRow = model.timeline.find((row) => row.action === 'guardrail-breach')!;
    expect(breachRow.verified).toBe(false);
    expect(model.timeline.filter((row) => row.line < index + 1).every((row) => row.verified)).toBe(true);
    expect(model.verification.unverifiedCovered).toBe(model.timeline.filter((row) => row.line >= index + 1).length);
    const html = renderHtml(model);
    expect(html).toMatch(new RegExp(`<div class="banner error" role="alert">THE LEDGER FAILS VERIFICATION at line ${index + 1}`));
    expect(html.indexOf('banner error')).toBeLessThan(html.indexOf('<h2>Timeline</h2>'));
  });

  it('a torn last line: reported, not counted as an entry, and not a failure', async () => {
    const torn = path.join(dir, 'torn.jsonl');
    copyFileSync(ledgerFile, torn);
    const whole = readFileSync(torn, 'utf8').split('\n').filter(Boolean).length;
    appendFileSync(torn, '{"seq":999,"time":"2030-01-01T00:00:00.000Z","actor":"x","action":"rollback","runId":"' + incidentRun);
    const result = await rollgate(['report', '--ledger', 'torn.jsonl', '--format', 'md']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('torn last line');
    expect(result.stdout).toContain(`The ledger's last line (line ${whole + 1}) is torn`);
    const model = buildReport(await collectFromLedger({ file: torn, selector: { kind: 'latest-run' } }));
    expect(model.verification).toMatchObject({ ok: false, tornOnly: true, verifiedEntries: whole, unverifiedCovered: 0 });
    expect(model.timeline.some((row) => row.seq === 999)).toBe(false);
    expect(model.scope.runIds).toEqual([incidentRun]);
  });
});
