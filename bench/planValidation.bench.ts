// Plan validation against its floor: Rollgate's full validation (YAML parse with spans, schema,
// semantic rules) next to `yaml.parseDocument` alone on the same text, in the same process and
// the same run. Timing and memory are measured in separate child processes of this file so that
// one does not inherit the other's heap.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseDocument } from 'yaml';
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

/** Medians of both workloads, interleaved (and alternating which goes first) so drift hits both alike. */
function compare(text: string, runs: number): Medians {
  for (let warm = 0; warm < 3; warm++) {
    validatePlan(text);
    parseDocument(text);
  }
  const rollgate: Sample[] = [];
  const baseline: Sample[] = [];
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      baseline.push(timeOnce(() => parseDocument(text)));
      rollgate.push(timeOnce(() => validatePlan(text)));
    } else {
      rollgate.push(timeOnce(() => validatePlan(text)));
      baseline.push(timeOnce(() => parseDocument(text)));
    }
  }
  const medians = (samples: Sample[]): Sample => ({ wall: median(samples.map((sample) => sample.wall)), cpu: median(samples.map((sample) => sample.cpu)) });
  const ratios = rollgate.map((sample, index) => ({ wall: sample.wall / baseline[index]!.wall, cpu: sample.cpu / baseline[index]!.cpu }));
  return { rollgate: medians(rollgate), baseline: medians(baseline), pairedRatio: medians(ratios) };
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
  const result = workload === 'validate' ? validatePlan(text).diagnostics.length : parseDocument(text).errors.length;
  if (result !== 0) throw new Error('the generated plan should be clean');
  // maxRSS is in kilobytes.
  process.stdout.write(`${(process.resourceUsage().maxRSS / 1024).toFixed(1)}\n`);
}

interface Row {
  name: string;
  metric: 'median wall time (ms)' | 'median CPU time (ms)' | 'peak RSS (MB)';
  rollgate: number;
  baseline: number;
  ratio: number;
  goal: number;
  met: boolean;
}

function main(): void {
  const json = process.argv.includes('--json');
  const rows: Row[] = [];
  for (const size of sizes) {
    const text = generatePlan(size);
    const lines = text.split('\n').length;
    const check = validatePlan(text);
    if (check.diagnostics.length > 0 || !check.plan) throw new Error(`the generated ${size.label} is not clean`);
    const timing = compare(text, size.runs);
    const name = `${size.label} (${lines} lines, ${(text.length / 1024).toFixed(0)} KiB)`;
    for (const [metric, key] of [['median wall time (ms)', 'wall'], ['median CPU time (ms)', 'cpu']] as const) {
      const ratio = timing.pairedRatio[key];
      rows.push({ name, metric, rollgate: timing.rollgate[key], baseline: timing.baseline[key], ratio, goal: TIME_GOAL, met: ratio <= TIME_GOAL });
    }
    if (size.stages >= 1600) {
      const validateMemory = peakMemory('validate', size);
      const parseMemory = peakMemory('parse', size);
      const memoryRatio = validateMemory / parseMemory;
      rows.push({ name, metric: 'peak RSS (MB)', rollgate: validateMemory, baseline: parseMemory, ratio: memoryRatio, goal: MEMORY_GOAL, met: memoryRatio <= MEMORY_GOAL });
    }
  }
  // The load average tells a reader whether other work shared the CPU during the run.
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0]!.toFixed(2)) };
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'planValidation', subject: 'validatePlan (parse + schema + semantics)', baseline: 'yaml.parseDocument alone', machine, rows })}\n`);
    return;
  }
  const header = ['case', 'metric', 'rollgate validatePlan', 'yaml.parseDocument', 'ratio*', 'goal'];
  const body = rows.map((row) => [row.name, row.metric, row.rollgate.toFixed(1), row.baseline.toFixed(1), `${row.ratio.toFixed(3)}x`, `<= ${row.goal}x ${row.met ? 'met' : 'NOT MET'}`]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  process.stdout.write(`Plan validation vs yaml.parseDocument alone (medians; ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m})\n`);
  process.stdout.write(`${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${body.map(format).join('\n')}\n`);
  process.stdout.write('* time ratios: median of the ratios of back-to-back runs (same text, alternating order); memory: ratio of peak RSS of two fresh processes.\n');
}

const probeAt = process.argv.indexOf('--memory-probe');
if (probeAt >= 0) memoryProbe(process.argv[probeAt + 1]!, Number(process.argv[probeAt + 2]), Number(process.argv[probeAt + 3]));
else main();
