// Rollback benchmark against the real `rollgate dev` stack and a real Prometheus:
// - latency of deployment calls (GET state, PUT traffic, POST rollback with Idempotency-Key);
// - the drill loop: fault injected -> breach visible through the Prometheus client (error ratio
//   over a 5 s window above 0.02) -> rollback -> the candidate receives no more traffic.
// Standalone: bundled with esbuild and run in its own process by scripts/bench.mjs.
// Flags: --json (machine-readable), --quick (fewer runs).
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

import { DeploymentClient, PrometheusClient } from '../src/core/endpoints/index';
import { startDevStack } from '../src/dev/index';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const callRuns = quick ? 100 : 500;
const drillRuns = quick ? 2 : 5;
const prometheusBin = process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus';

interface Measurement {
  name: string;
  unit: string;
  median: number;
  p95: number;
  runs: number;
}

function summarise(name: string, unit: string, values: number[]): Measurement {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (quantile: number): number => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? Number.NaN;
  return { name, unit, median: at(0.5), p95: at(0.95), runs: values.length };
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function scalarOf(prometheus: PrometheusClient, promql: string): Promise<number | undefined> {
  const { result } = await prometheus.query(promql);
  return result.resultType === 'vector' ? result.samples[0]?.value : undefined;
}

async function main(): Promise<void> {
  if (!existsSync(prometheusBin)) throw new Error(`${prometheusBin} is missing: install the Debian package prometheus`);
  const stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin, requestsPerSecond: 80 });
  try {
    const deployment = new DeploymentClient({ baseUrl: stack.deploymentUrl, service: stack.service });
    const prometheus = new PrometheusClient({ baseUrl: stack.prometheusUrl ?? '' });
    const gets: number[] = [];
    const puts: number[] = [];
    const rollbacks: number[] = [];
    for (let run = 0; run < callRuns; run += 1) {
      let started = performance.now();
      await deployment.getService();
      gets.push(performance.now() - started);
      started = performance.now();
      await deployment.setTraffic({ '41': 95, '42': 5 });
      puts.push(performance.now() - started);
      started = performance.now();
      await deployment.rollback('41', 'bench', { idempotencyKey: `bench-${run}` });
      rollbacks.push(performance.now() - started);
    }

    const errorRatio = 'sum(rate(rollgate_dev_requests_total{version="42",code=~"5.."}[5s])) / sum(rate(rollgate_dev_requests_total{version="42"}[5s]))';
    const candidateRate = 'sum(rate(rollgate_dev_requests_total{version="42"}[2s]))';
    const detections: number[] = [];
    const drained: number[] = [];
    for (let run = 0; run < drillRuns; run += 1) {
      stack.clearFaults();
      await deployment.setTraffic({ '41': 50, '42': 50 });
      // Let the healthy candidate fill the query window before breaking it.
      await waitFor(async () => ((await scalarOf(prometheus, errorRatio)) ?? 1) < 0.02, 30_000, 'a healthy candidate');
      const injected = performance.now();
      stack.injectFault({ version: '42', errorRate: 0.5 });
      await waitFor(async () => ((await scalarOf(prometheus, errorRatio)) ?? 0) > 0.02, 30_000, 'the breach in Prometheus');
      detections.push(performance.now() - injected);
      const rolledBack = performance.now();
      await deployment.rollback('41', 'bench drill', { idempotencyKey: `drill-${run}` });
      await waitFor(async () => (await scalarOf(prometheus, candidateRate)) === 0, 30_000, 'no candidate traffic in Prometheus');
      drained.push(performance.now() - rolledBack);
    }
    stack.clearFaults();

    const measurements = [
      summarise('GET /v1/services/churn-scorer', 'ms', gets),
      summarise('PUT /traffic', 'ms', puts),
      summarise('POST /rollback (Idempotency-Key)', 'ms', rollbacks),
      summarise('fault injected -> breach visible via Prometheus (1 s scrape, [5s] window)', 'ms', detections),
      summarise('rollback -> candidate traffic 0 in Prometheus ([2s] window)', 'ms', drained),
    ];
    const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version };
    if (json) {
      process.stdout.write(`${JSON.stringify({ bench: 'rollback', machine, measurements })}\n`);
    } else {
      for (const { name, unit, median, p95, runs } of measurements) {
        process.stdout.write(`${name.padEnd(82)} median ${median.toFixed(1).padStart(8)} ${unit}  p95 ${p95.toFixed(1).padStart(8)} ${unit}  (${runs} runs)\n`);
      }
    }
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`rollback bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
