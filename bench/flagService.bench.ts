// Flag service benchmark: how long the real Unleash on a fresh PostgreSQL takes to start (what
// every test run and `rollgate dev --flags` pay), to stop, and how long the Unleash provider's
// calls take once it runs, beside a plain GET of Unleash's /health on the same connection pool
// (the floor: one loopback HTTP exchange with that server).
// Standalone: bundled with esbuild and run in its own process by scripts/bench.mjs.
// Flags: --json (machine-readable), --quick (one start, fewer calls).
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

import { UnleashFlagProvider } from '../src/core/flags/index';
import { startFlagService, type FlagService } from '../src/dev/flagService';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const starts = quick ? 1 : 3;
const callRuns = quick ? 30 : 200;

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

async function time(runs: number, action: (run: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await action(run);
    samples.push(performance.now() - started);
  }
  return samples;
}

async function createFlag(service: FlagService, name: string): Promise<void> {
  const response = await fetch(`${service.url}/api/admin/projects/default/features`, {
    method: 'POST',
    headers: { authorization: service.adminToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name, type: 'release' }),
  });
  if (!response.ok) throw new Error(`creating ${name} answered ${response.status}: ${await response.text()}`);
}

async function main(): Promise<void> {
  const postgres: number[] = [];
  const unleash: number[] = [];
  const total: number[] = [];
  const stops: number[] = [];
  const calls: Measurement[] = [];
  for (let start = 0; start < starts; start += 1) {
    const begun = performance.now();
    const service = await startFlagService({ startTimeoutMs: 600_000 });
    total.push(performance.now() - begun);
    postgres.push(service.startup.postgresMs);
    unleash.push(service.startup.unleashMs);
    try {
      if (start === 0) {
        const flags = new UnleashFlagProvider({ baseUrl: service.url, token: service.adminToken, project: 'default', environment: 'production', timeoutMs: 30_000 });
        await createFlag(service, 'bench-flag');
        await flags.setRollout('bench-flag', 0);
        const health = await time(callRuns, async () => (await fetch(`${service.url}/health`)).text());
        calls.push(summarise('GET /health (floor)', 'ms', health));
        calls.push(summarise('provider read', 'ms', await time(callRuns, () => flags.read('bench-flag'))));
        calls.push(summarise('provider setEnabled (+ read back)', 'ms', await time(callRuns, (run) => flags.setEnabled('bench-flag', run % 2 === 0))));
        calls.push(summarise('provider setRollout (+ read, patch, read back)', 'ms', await time(callRuns, (run) => flags.setRollout('bench-flag', run % 101))));
      }
    } finally {
      const stopping = performance.now();
      await service.stop();
      stops.push(performance.now() - stopping);
    }
  }
  const results: Measurement[] = [
    summarise(
      'PostgreSQL ready (initdb + start + createdb)',
      's',
      postgres.map((ms) => ms / 1000),
    ),
    summarise(
      'Unleash ready on a fresh database (migrations, admin token)',
      's',
      unleash.map((ms) => ms / 1000),
    ),
    summarise(
      'flag service ready (both)',
      's',
      total.map((ms) => ms / 1000),
    ),
    summarise(
      'flag service stop (both, cluster removed)',
      's',
      stops.map((ms) => ms / 1000),
    ),
    ...calls,
  ];
  const floor = calls[0]?.median ?? Number.NaN;
  const machine = { cpus: cpus().length, load: loadavg().map((value) => Number(value.toFixed(2))) };
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'flagService', machine, results, ratioToHealthGet: Object.fromEntries(calls.map((call) => [call.name, call.median / floor])) })}\n`);
    return;
  }
  process.stdout.write(`flagService (${machine.cpus} cores, load ${machine.load.join(' ')})\n`);
  for (const result of results) {
    const ratio = result.unit === 'ms' ? `  ${(result.median / floor).toFixed(1)}x the /health GET` : '';
    process.stdout.write(
      `  ${result.name.padEnd(62)} median ${result.median.toFixed(result.unit === 's' ? 1 : 2).padStart(8)} ${result.unit}  p95 ${result.p95.toFixed(result.unit === 's' ? 1 : 2).padStart(8)} ${result.unit}  (${result.runs} runs)${ratio}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`flagService bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
