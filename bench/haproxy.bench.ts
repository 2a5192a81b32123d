// HAProxy backend benchmark, in one run against `rollgate dev` with its real HAProxy and a real
// Prometheus scraping HAProxy's exporter:
// - "roll back now" (read the state, one rollback call, one fsynced ledger entry: the panel's
//   button and `rollgate rollback`) through HAProxy's runtime API against the same through the
//   Rollgate deployment API, median and p95, and their ratio;
// - fault to rollback with the HAProxy plan: the real engine, a fault injected into the
//   candidate's model server, until HAProxy itself reports the baseline at 100 %, against the
//   drill bound (guardrail interval x failureLimit + one scrape + 500 ms).
// Standalone: bundled with esbuild and run in its own process by scripts/bench.mjs.
// Flags: --json (machine-readable), --quick (fewer runs).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { connectDeployment, drillBoundMs, environmentSecretResolver, Ledger, openRollout, rollBackService, type Plan } from '../src/core/index';
import { planDigest, validatePlan } from '../src/core/plan/validate';
import { startDevStack, type DevStack } from '../src/dev/index';
import { devPlan } from '../test/unit/rollout/devPlan';
import { haproxyDevPlan } from '../test/unit/rollout/haproxyDevPlan';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const pressRuns = quick ? 50 : 300;
const drillRuns = quick ? 2 : 5;
const scrapeIntervalMs = 1000;
const prometheusBin = process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const haproxyBin = process.env.ROLLGATE_HAPROXY_BIN ?? '/usr/sbin/haproxy';
const noSecrets = environmentSecretResolver({});

interface Row {
  name: string;
  median: number;
  p95: number;
  runs: number;
}

function summarise(name: string, values: number[]): Row {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (quantile: number): number => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? Number.NaN;
  return { name, median: at(0.5), p95: at(0.95), runs: values.length };
}

function parsed(text: string): { plan: Plan; digest: string } {
  const { plan, diagnostics } = validatePlan(text);
  if (!plan) throw new Error(`bench plan invalid: ${JSON.stringify(diagnostics)}`);
  return { plan, digest: planDigest(text) };
}

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** "Roll back now" without an engine, as the panel's button and `rollgate rollback` send it; the canary is set (untimed) before each press. */
async function presses(plan: Plan, digest: string, folder: string, label: string): Promise<number[]> {
  const { deployment } = await connectDeployment(plan, noSecrets);
  const ledger = new Ledger({ path: join(folder, `${label}.jsonl`) });
  const times: number[] = [];
  for (let run = 0; run < pressRuns; run += 1) {
    await deployment.traffic.setTraffic({ '41': 90, '42': 10 }, undefined, { idempotencyKey: `bench-${label}-canary-${run}` });
    const started = performance.now();
    const result = await rollBackService({ plan, planDigest: digest, traffic: deployment.traffic, ledger, actor: 'bench', reason: 'bench: roll back now', keyPrefix: 'bench' });
    times.push(performance.now() - started);
    if (!result.ok) throw new Error(`${label} rollback failed: ${result.error}`);
  }
  const state = await deployment.traffic.getState();
  if (state.weights['41'] !== 100) throw new Error(`${label}: after the presses the endpoint shows ${JSON.stringify(state.weights)}`);
  return times;
}

/** Baseline at 100 %, no faults, no 5xx of an earlier fault in the guardrail's 5 s window. */
async function reset(stack: DevStack, plan: Plan): Promise<void> {
  stack.clearFaults();
  const { deployment } = await connectDeployment(plan, noSecrets);
  await deployment.traffic.rollback('41', 'bench reset', { idempotencyKey: 'bench-reset' });
  const prometheus = stack.prometheusUrl!;
  await poll(
    async () => {
      const query = encodeURIComponent('sum(increase(haproxy_server_http_responses_total{proxy="churn-scorer",code="5xx"}[6s]))');
      const body = (await (await fetch(`${prometheus}/api/v1/query?query=${query}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
      const value = Number(body.data.result[0]?.value[1] ?? 0);
      return value < 3 ? true : undefined;
    },
    30_000,
    'earlier faults to leave the rate window',
  );
}

async function faultToRollback(stack: DevStack, plan: Plan, digest: string, folder: string, run: number): Promise<{ endpoint: number; breach: number }> {
  await reset(stack, plan);
  const root = mkdtempSync(join(folder, `drill-${run}-`));
  const opened = await openRollout({ plan, planDigest: digest, secrets: noSecrets, workspaceRoot: root, ledgerPath: join(root, 'ledger.jsonl'), actor: 'bench', drill: {} });
  try {
    const result = await opened.drill!.run();
    if (result.snapshot.status !== 'rolled-back' || result.faultToRollbackMs === undefined) {
      throw new Error(`drill run ${run} ended ${result.snapshot.status}: ${result.snapshot.pauseReason ?? result.error ?? ''}`);
    }
    return { endpoint: result.faultToRollbackMs, breach: result.faultToBreachMs ?? Number.NaN };
  } finally {
    await opened.close();
  }
}

async function main(): Promise<void> {
  for (const bin of [prometheusBin, haproxyBin]) if (!existsSync(bin)) throw new Error(`${bin} is missing: install the Debian packages prometheus and haproxy`);
  const folder = mkdtempSync(join(tmpdir(), 'rollgate-haproxy-bench-'));
  const stack = await startDevStack({
    port: 0,
    prometheusPort: 0,
    prometheus: 'required',
    prometheusBin,
    haproxy: 'required',
    haproxyBin,
    haproxyPort: 0,
    haproxyApiPort: 0,
    haproxyMetricsPort: 0,
    requestsPerSecond: 80,
  });
  try {
    const haproxy = parsed(haproxyDevPlan({ runtimeUrl: stack.haproxy!.runtimeUrl, prometheusUrl: stack.prometheusUrl!, canaryBake: '60s' }));
    const rollgate = parsed(devPlan({ deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl! }));

    // Alternate the two so that a slow moment of the machine does not land on one side only.
    const throughHaproxy: number[] = [];
    const throughApi: number[] = [];
    for (let round = 0; round < 2; round += 1) {
      throughApi.push(...(await presses(rollgate.plan, rollgate.digest, folder, `api-${round}`)));
      throughHaproxy.push(...(await presses(haproxy.plan, haproxy.digest, folder, `haproxy-${round}`)));
    }
    const bound = drillBoundMs(haproxy.plan, 'canary-50', scrapeIntervalMs);
    const drills: { endpoint: number; breach: number }[] = [];
    for (let run = 0; run < drillRuns; run += 1) drills.push(await faultToRollback(stack, haproxy.plan, haproxy.digest, folder, run));

    const api = summarise('"roll back now" through the Rollgate deployment API', throughApi);
    const viaHaproxy = summarise('"roll back now" through HAProxy\'s runtime API', throughHaproxy);
    const drill = summarise(
      'HAProxy plan: fault -> HAProxy reports baseline at 100%',
      drills.map((entry) => entry.endpoint),
    );
    const breach = summarise(
      'HAProxy plan: fault -> breach decided',
      drills.map((entry) => entry.breach),
    );
    const withinBound = drill.median <= bound;
    const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version };
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ bench: 'haproxy', machine, rollbackNow: { api, haproxy: viaHaproxy, ratioMedian: viaHaproxy.median / api.median, ratioP95: viaHaproxy.p95 / api.p95 }, drill: { ...drill, breach, boundMs: bound, withinBound, runs: drills } })}\n`,
      );
    } else {
      const format = (value: number) => value.toFixed(1).padStart(8);
      process.stdout.write(`"Roll back now" (read state, one rollback call, fsynced ledger entry), ${api.runs} presses each, after a 90/10 canary\n`);
      for (const row of [api, viaHaproxy]) process.stdout.write(`  ${row.name.padEnd(56)} median ${format(row.median)} ms  p95 ${format(row.p95)} ms\n`);
      process.stdout.write(`  HAProxy / Rollgate API: median ${(viaHaproxy.median / api.median).toFixed(2)}x, p95 ${(viaHaproxy.p95 / api.p95).toFixed(2)}x\n`);
      process.stdout.write(`Drill with the HAProxy plan (guardrail on haproxy_server_http_responses_total, interval 1 s, failureLimit 1, scrape ${scrapeIntervalMs} ms), ${drills.length} runs\n`);
      for (const row of [drill, breach])
        process.stdout.write(`  ${row.name.padEnd(56)} median ${format(row.median)} ms  max ${format(Math.max(...drills.map((entry) => (row === drill ? entry.endpoint : entry.breach))))} ms\n`);
      process.stdout.write(`  runs (fault -> baseline): ${drills.map((entry) => entry.endpoint.toFixed(0)).join(', ')} ms\n`);
      process.stdout.write(`  ${withinBound ? 'within' : 'OVER'} the drill bound ${bound} ms (median/bound ${(drill.median / bound).toFixed(2)})\n`);
    }
    // The drill bound is the promise the docs make: a median over it fails the bench.
    if (!withinBound) process.exitCode = 1;
  } finally {
    await stack.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`haproxy bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
