// ML guardrails benchmark, in one run against `rollgate dev` and a real Prometheus (1 s scrape):
//  1. one drift evaluation including its two Prometheus bucket queries, against one threshold
//     evaluation (one scalar query) on the same stack: median and p95, and their ratio;
//  2. Mann–Whitney U over 2 × 1,000 samples (with and without ties);
//  3. detection delay: from a scoreShift fault to the drift guardrail's breach, in guardrail
//     intervals (interval 1 s, failureLimit 1, window 10 s).
// Standalone: bundled with esbuild and run in its own process by scripts/bench.mjs.
// Flags: --json (machine-readable), --quick (fewer runs, for a smoke test).
import { performance } from 'node:perf_hooks';

import { scalarSource } from '../src/core/cells/check';
import { planMetricQuery } from '../src/core/cells/ports';
import { DeploymentClient, GuardrailTracker, mannWhitneyU, measureGuardrail, type MetricSource } from '../src/core/index';
import { guardrailSchema, type Plan } from '../src/core/plan/schema';
import { startDevStack } from '../src/dev/index';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const evaluations = quick ? 30 : 200;
const mwuRepeats = quick ? 30 : 200;
const delayRuns = quick ? 3 : 7;
const prometheusBin = process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const context = { candidateVersion: '42', baselineVersion: '41', service: 'churn-scorer', planName: 'churn-ml-guardrails', modelName: 'churn' };

const drift = guardrailSchema.parse({ name: 'score-drift', kind: 'drift', histogram: 'rollgate_dev_prediction_score', window: '10s', minSamples: 200, interval: '1s', failureLimit: 1 });
const threshold = guardrailSchema.parse({
  name: 'error-rate',
  query: '(sum(rate(rollgate_dev_requests_total{version="{{version}}",code=~"5.."}[10s])) or vector(0)) / sum(rate(rollgate_dev_requests_total{version="{{version}}"}[10s]))',
  max: 0.1,
  interval: '1s',
});

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (position - low);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** A deterministic normal sample (Box–Muller over a small LCG), so runs compare like with like. */
function normals(count: number, mean: number, seed: number): number[] {
  let state = seed >>> 0;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Array.from({ length: count }, () => mean + Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

async function timeEvaluations(metrics: MetricSource): Promise<{ drift: number[]; threshold: number[] }> {
  const times = { drift: [] as number[], threshold: [] as number[] };
  for (let run = 0; run < evaluations; run += 1) {
    for (const [name, guardrail] of [
      ['drift', drift],
      ['threshold', threshold],
    ] as const) {
      const started = performance.now();
      const measurement = await measureGuardrail(guardrail, context, metrics);
      times[name].push(performance.now() - started);
      if (measurement.noData) throw new Error(`${name} evaluation had no data: ${measurement.reason}`);
    }
  }
  return times;
}

function timeMannWhitney(): { plain: number[]; tied: number[]; pValue: number } {
  const candidate = normals(1000, 0.1, 42);
  const baseline = normals(1000, 0, 41);
  const tiedCandidate = candidate.map((value) => Math.round(value * 10) / 10);
  const tiedBaseline = baseline.map((value) => Math.round(value * 10) / 10);
  const plain: number[] = [];
  const tied: number[] = [];
  let pValue = Number.NaN;
  for (let run = 0; run < mwuRepeats; run += 1) {
    let started = performance.now();
    pValue = mannWhitneyU(candidate, baseline, { alternative: 'greater' }).pValue;
    plain.push(performance.now() - started);
    started = performance.now();
    mannWhitneyU(tiedCandidate, tiedBaseline, { alternative: 'greater' });
    tied.push(performance.now() - started);
  }
  return { plain, tied, pValue };
}

/** Intervals from the fault to the breach: measured every interval as the engine does, with its tracker. */
async function detectionDelay(metrics: MetricSource, injectShift: () => void, clear: () => void): Promise<number> {
  clear();
  // A clean window first: the previous run's shifted scores must have left the 10 s window.
  await poll(async () => ((await measureGuardrail(drift, context, metrics)).outcome === 'pass' ? true : undefined), 60_000, 'a clean drift window');
  const tracker = new GuardrailTracker(drift);
  const intervalMs = 1000;
  injectShift();
  const injectedAt = performance.now();
  for (let tick = 1; tick <= 60; tick += 1) {
    await sleep(Math.max(0, injectedAt + tick * intervalMs - performance.now()));
    if (tracker.record(await measureGuardrail(drift, context, metrics)) === 'breach') return (performance.now() - injectedAt) / intervalMs;
  }
  throw new Error('no breach within 60 intervals of the scoreShift');
}

async function main(): Promise<void> {
  const stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin, requestsPerSecond: 100, labelDelayMs: 200 });
  try {
    await new DeploymentClient({ baseUrl: stack.deploymentUrl, service: stack.service }).setTraffic({ '41': 50, '42': 50 }, {}, { idempotencyKey: 'ml-bench' });
    const metrics = scalarSource(planMetricQuery({ endpoints: { metrics: { url: stack.prometheusUrl! } } } as Plan, async () => ''));
    await poll(async () => ((await measureGuardrail(drift, context, metrics)).outcome === 'pass' ? true : undefined), 60_000, 'enough scores for a drift measurement');

    const times = await timeEvaluations(metrics);
    const mwu = timeMannWhitney();
    const delays: number[] = [];
    for (let run = 0; run < delayRuns; run += 1) {
      delays.push(
        await detectionDelay(
          metrics,
          () => stack.injectFault({ version: '42', scoreShift: 0.3 }),
          () => stack.clearFaults(),
        ),
      );
    }

    const rows = [
      { name: 'drift evaluation (2 bucket queries + PSI)', unit: 'ms', median: quantile(times.drift, 0.5), p95: quantile(times.drift, 0.95) },
      { name: 'threshold evaluation (1 scalar query)', unit: 'ms', median: quantile(times.threshold, 0.5), p95: quantile(times.threshold, 0.95) },
      { name: 'Mann–Whitney U, 2 × 1,000 samples', unit: 'ms', median: quantile(mwu.plain, 0.5), p95: quantile(mwu.plain, 0.95) },
      { name: 'Mann–Whitney U, 2 × 1,000 samples, ties', unit: 'ms', median: quantile(mwu.tied, 0.5), p95: quantile(mwu.tied, 0.95) },
      { name: 'scoreShift 0.3 -> drift breach', unit: 'intervals', median: quantile(delays, 0.5), p95: Math.max(...delays) },
    ];
    const ratio = { median: rows[0]!.median / rows[1]!.median, p95: rows[0]!.p95 / rows[1]!.p95 };
    if (json) {
      process.stdout.write(`${JSON.stringify({ bench: 'mlGuardrails', evaluations, mwuRepeats, delayRuns, driftToThreshold: ratio, delays, results: rows })}\n`);
      return;
    }
    const format = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1)).padStart(8);
    process.stdout.write(`ML guardrails against rollgate dev + Prometheus (scrape 1 s): ${evaluations} evaluations each, Mann–Whitney ${mwuRepeats} times, ${delayRuns} drills\n`);
    process.stdout.write(`${'measure'.padEnd(44)} ${'median'.padStart(8)} ${'p95'.padStart(8)}  unit\n`);
    for (const row of rows) process.stdout.write(`${row.name.padEnd(44)} ${format(row.median)} ${format(row.p95)}  ${row.unit}${row.unit === 'intervals' ? ' (max in the p95 column)' : ''}\n`);
    process.stdout.write(`drift / threshold evaluation: ${ratio.median.toFixed(2)}× (median), ${ratio.p95.toFixed(2)}× (p95)\n`);
    process.stdout.write(`Mann–Whitney p-value of the 2 × 1,000 samples (shift 0.1 sd): ${mwu.pValue.toExponential(3)}\n`);
    process.stdout.write(`detection delays: ${delays.map((delay) => delay.toFixed(2)).join(', ')} intervals (interval 1 s, window 10 s, failureLimit 1)\n`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`mlGuardrails bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
