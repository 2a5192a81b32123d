// Plan validation against its floor: Rollgate's full validation (YAML parse with spans, schema,
// semantic rules, PromQL of every guardrail query) next to the work no validator can skip —
// `yaml.parseDocument` plus one @prometheus-io/lezer-promql parse of every guardrail query
// (bench/support/planFloor.ts) — on the same text, in the same process and the same run. Also
// shown: the ratio to `yaml.parseDocument` alone (issue 7's floor) and what the PromQL checks cost
// on their own. Memory is measured in separate child processes of this file so that one does not
// inherit the other's heap.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parser } from '@prometheus-io/lezer-promql';
import { parseDocument } from 'yaml';
import { analyzeQuery } from '../src/core/promql/guardrail';
import { guardrailQueries, planValidationFloor } from './support/planFloor';
import { validatePlan } from '../src/core/plan/validate';
import { generatePlan } from '../test/support/generatePlan';

interface Size {
  label: string;
  stages: number;
  guardrails: number;
  runs: number;
}
const sizes: Size[] = [
  { label: '5,000-line plan', stages: 400, guardrails: 400, runs: 41 },
  { label: '20,000-line plan', stages: 1600, guardrails: 1600, runs: 21 },
];
const TIME_GOAL = 1.15;
const MEMORY_GOAL = 1.2;

const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Sample {
  wall: number;
  cpu: number;
}

/** Wall time, and this process's CPU time (less disturbed when other work shares the machine). */
function timeOnce(work: () => unknown): Sample {
  collectGarbage();
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  work();
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

interface Medians {
  rollgate: Sample;
  baseline: Sample;
  /** Median of the ratios of back-to-back pairs: steadier than a ratio of medians when load drifts. */
  pairedRatio: Sample;
}

const medianSample = (samples: Sample[]): Sample => ({ wall: median(samples.map((sample) => sample.wall)), cpu: median(samples.map((sample) => sample.cpu)) });

/**
 * Medians of several workloads, each round running them back to back with the order rotated so
 * drift hits all alike; each one after the first is compared with the first (paired ratios).
 */
function compareAll(runs: number, workloads: Array<() => unknown>): Medians[] {
  for (let warm = 0; warm < 3; warm++) for (const work of workloads) work();
  const samples: Sample[][] = workloads.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (let step = 0; step < workloads.length; step++) {
      const which = (run + step) % workloads.length;
      samples[which]!.push(timeOnce(workloads[which]!));
    }
  }
  const [rollgate, ...baselines] = samples as [Sample[], ...Sample[][]];
  return baselines.map((baseline) => ({
    rollgate: medianSample(rollgate),
    baseline: medianSample(baseline),
    pairedRatio: medianSample(rollgate.map((sample, index) => ({ wall: sample.wall / baseline[index]!.wall, cpu: sample.cpu / baseline[index]!.cpu }))),
  }));
}

/** Peak resident memory (MB) of a fresh process that does only one of the workloads. */
function peakMemory(workload: 'validate' | 'parse', size: Size): number {
  const child = spawnSync(process.execPath, [__filename, '--memory-probe', workload, String(size.stages), String(size.guardrails)], { encoding: 'utf8' });
  const value = Number(child.stdout.trim());
  if (child.status !== 0 || !Number.isFinite(value)) throw new Error(`memory probe failed: ${child.stderr}`);
  return value;
}

function memoryProbe(workload: string, stages: number, guardrails: number): void {
  const text = generatePlan({ stages, guardrails });
  const result = workload === 'validate' ? validatePlan(text).diagnostics.length : planValidationFloor(text) === guardrails ? 0 : 1;
  if (result !== 0) throw new Error('the generated plan should be clean');
  // maxRSS is in kilobytes.
  process.stdout.write(`${(process.resourceUsage().maxRSS / 1024).toFixed(1)}\n`);
}

interface Row {
  name: string;
  metric: 'median wall time (ms)' | 'median CPU time (ms)' | 'peak RSS (MB)';
  /** What Rollgate is compared with. */
  against: string;
  rollgate: number;
  baseline: number;
  ratio: number;
  /** Undefined: shown for information, no goal. */
  goal?: number;
  met?: boolean;
}

const FLOOR = 'YAML parse + one lezer parse per query';

function main(): void {
  const json = process.argv.includes('--json');
  const rows: Row[] = [];
  const promqlCost: Array<{ name: string; queries: number; lezerMs: number; checksMs: number }> = [];
  for (const size of sizes) {
    const text = generatePlan(size);
    const lines = text.split('\n').length;
    const check = validatePlan(text);
    if (check.diagnostics.length > 0 || !check.plan) throw new Error(`the generated ${size.label} is not clean`);
    const queries = guardrailQueries(text);
    const [floor, yamlAlone] = compareAll(size.runs, [() => validatePlan(text), () => planValidationFloor(text), () => parseDocument(text)]) as [Medians, Medians];
    // What the PromQL checks cost on their own: placeholders, parse, type checks and result type
    // of every query, next to the lezer parse alone (measured apart from the validations above).
    const [checks] = compareAll(size.runs, [() => queries.forEach((query) => analyzeQuery(query)), () => queries.forEach((query) => parser.parse(query))]) as [Medians];
    promqlCost.push({ name: size.label, queries: queries.length, lezerMs: checks.baseline.wall, checksMs: checks.rollgate.wall });
    const name = `${size.label} (${lines} lines, ${(text.length / 1024).toFixed(0)} KiB, ${queries.length} queries)`;
    for (const [metric, key] of [
      ['median wall time (ms)', 'wall'],
      ['median CPU time (ms)', 'cpu'],
    ] as const) {
      const ratio = floor.pairedRatio[key];
      rows.push({ name, metric, against: FLOOR, rollgate: floor.rollgate[key], baseline: floor.baseline[key], ratio, goal: TIME_GOAL, met: ratio <= TIME_GOAL });
      rows.push({ name, metric, against: 'yaml.parseDocument alone', rollgate: yamlAlone.rollgate[key], baseline: yamlAlone.baseline[key], ratio: yamlAlone.pairedRatio[key] });
    }
    if (size.stages >= 1600) {
      const validateMemory = peakMemory('validate', size);
      const floorMemory = peakMemory('parse', size);
      const memoryRatio = validateMemory / floorMemory;
      rows.push({ name, metric: 'peak RSS (MB)', against: FLOOR, rollgate: validateMemory, baseline: floorMemory, ratio: memoryRatio, goal: MEMORY_GOAL, met: memoryRatio <= MEMORY_GOAL });
    }
  }
  // The load average tells a reader whether other work shared the CPU during the run.
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0]!.toFixed(2)) };
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'planValidation', subject: 'validatePlan (parse + schema + semantics + PromQL)', baseline: FLOOR, machine, rows, promqlCost })}\n`);
    return;
  }
  const header = ['case', 'metric', 'rollgate validatePlan', 'against', '', 'ratio*', 'goal'];
  const body = rows.map((row) => [
    row.name,
    row.metric,
    row.rollgate.toFixed(1),
    row.against,
    row.baseline.toFixed(1),
    `${row.ratio.toFixed(3)}x`,
    row.goal === undefined ? '(no goal)' : `<= ${row.goal}x ${row.met ? 'met' : 'NOT MET'}`,
  ]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  process.stdout.write(`Plan validation vs its floor (medians; ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m})\n`);
  process.stdout.write(`${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${body.map(format).join('\n')}\n`);
  process.stdout.write('* time ratios: median of the ratios of back-to-back runs (same text, rotating order); memory: ratio of peak RSS of two fresh processes.\n');
  for (const cost of promqlCost) {
    process.stdout.write(
      `PromQL of the ${cost.name} (${cost.queries} queries): lezer parse alone ${cost.lezerMs.toFixed(1)} ms; Rollgate's checks (placeholders, parse, type checks, result type, series count) ${cost.checksMs.toFixed(1)} ms.\n`,
    );
  }
}

const probeAt = process.argv.indexOf('--memory-probe');
if (probeAt >= 0) memoryProbe(process.argv[probeAt + 1]!, Number(process.argv[probeAt + 2]), Number(process.argv[probeAt + 3]));
else main();
