// Extension figures that can be measured outside VS Code:
//  - bundle sizes: dist/extension.js, dist/cli.js, dist/core.js and rollgate.vsix when present
//    (run `npm run package` first for fresh ones; this bench does not build);
//  - "keystroke to diagnostics, core part": after a one-character edit of a ~5,000-line plan, the
//    time to validate the new text and turn every finding into line/column ranges, which is the
//    work the editor does once the debounce (`rollgate.validation.debounceMs`, default 150 ms)
//    has fired. It is NOT the editor's end-to-end latency: that adds the debounce and VS Code's
//    own event and rendering time (see docs/performance.md). Goal: p95 under 150 ms. Measured
//    for the editor's incremental `PlanValidator` (one per open plan) and, for comparison, for a
//    full `validatePlan` of every version, interleaved keystroke by keystroke.
import { existsSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { PlanValidator } from '../src/core/plan/incremental';
import { validatePlan, type PlanValidation } from '../src/core/plan/validate';
import { LineIndex } from '../src/core/text/lineIndex';
import { generatePlan } from '../test/support/generatePlan';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const KEYSTROKES = quick ? 40 : 200;
const P95_GOAL_MS = 150;

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** A deterministic pseudo-random source, so every run types the same keystrokes. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function bundleSizes(): { file: string; bytes: number | null }[] {
  return ['dist/extension.js', 'dist/cli.js', 'dist/core.js', 'rollgate.vsix'].map((file) => ({ file, bytes: existsSync(file) ? statSync(file).size : null }));
}

interface Samples {
  samples: number[];
  cpuSamples: number[];
  findingsSeen: number;
}

function keystrokes(): { incremental: Samples; full: Samples; lines: number } {
  const original = generatePlan({ stages: 400, guardrails: 400 });
  const lines = original.split('\n').length;
  const random = seeded(7);
  // Each keystroke is one edit of the clean plan at a random guardrail: a character typed into or
  // deleted from a description (still clean), or, every fifth time, a character typed into the
  // key itself (one finding), so findings appear and vanish as they do while typing.
  const anchors = [...original.matchAll(/ {4}description: Generated guardrail/g)].map((match) => match.index + 4);
  const validator = new PlanValidator();
  for (let warm = 0; warm < 3; warm++) {
    validatePlan(original);
    validator.validate(original);
  }
  // CPU time of this process per keystroke: what the work costs when the machine is not shared.
  const incremental: Samples = { samples: [], cpuSamples: [], findingsSeen: 0 };
  const full: Samples = { samples: [], cpuSamples: [], findingsSeen: 0 };
  const measure = (into: Samples, text: string, validate: (text: string) => PlanValidation) => {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = validate(text);
    const index = new LineIndex(text);
    const ranges = result.diagnostics.map((finding) => [index.positionAt(finding.start), index.positionAt(finding.end)]);
    into.samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    const cpu = process.cpuUsage(cpuStart);
    into.cpuSamples.push((cpu.user + cpu.system) / 1000);
    into.findingsSeen += ranges.length;
  };
  for (let stroke = 0; stroke < KEYSTROKES; stroke++) {
    const key = anchors[Math.floor(random() * anchors.length)]!;
    const value = key + 'description: '.length;
    let text: string;
    if (stroke % 5 === 4) text = `${original.slice(0, key)}x${original.slice(key)}`;
    else if (stroke % 2 === 0) text = `${original.slice(0, value)}a${original.slice(value)}`;
    else text = `${original.slice(0, value)}${original.slice(value + 1)}`;
    // Alternate which goes first so drift hits both alike.
    if (stroke % 2 === 0) {
      measure(incremental, text, (edited) => validator.validate(edited));
      measure(full, text, validatePlan);
    } else {
      measure(full, text, validatePlan);
      measure(incremental, text, (edited) => validator.validate(edited));
    }
  }
  if (incremental.findingsSeen !== full.findingsSeen) throw new Error(`the incremental validator saw ${incremental.findingsSeen} findings, the full one ${full.findingsSeen}`);
  return { incremental, full, lines };
}

function summary(samples: Samples, lines: number) {
  const p95 = percentile(samples.samples, 0.95);
  return {
    planLines: lines,
    keystrokes: samples.samples.length,
    findingsSeen: samples.findingsSeen,
    p50Ms: percentile(samples.samples, 0.5),
    p95Ms: p95,
    maxMs: Math.max(...samples.samples),
    cpuP50Ms: percentile(samples.cpuSamples, 0.5),
    cpuP95Ms: percentile(samples.cpuSamples, 0.95),
    goalMs: P95_GOAL_MS,
    met: p95 < P95_GOAL_MS,
  };
}

function main(): void {
  const sizes = bundleSizes();
  const measured = keystrokes();
  const keystroke = summary(measured.incremental, measured.lines);
  const fullValidation = summary(measured.full, measured.lines);
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0]!.toFixed(2)) };
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'extension', machine, bundleSizes: sizes, keystrokeToDiagnosticsCore: keystroke, keystrokeWithFullValidation: fullValidation })}\n`);
    return;
  }
  process.stdout.write(`Extension figures (${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m})\n`);
  for (const size of sizes) process.stdout.write(`  ${size.file.padEnd(18)} ${size.bytes === null ? 'missing (run npm run package)' : `${(size.bytes / 1024).toFixed(0)} KiB`}\n`);
  const line = (what: string, figures: ReturnType<typeof summary>) =>
    `wall p50 ${figures.p50Ms.toFixed(1)} ms, p95 ${figures.p95Ms.toFixed(1)} ms, max ${figures.maxMs.toFixed(1)} ms; CPU p50 ${figures.cpuP50Ms.toFixed(1)} ms, p95 ${figures.cpuP95Ms.toFixed(1)} ms ${what}`;
  process.stdout.write(
    `  keystroke to diagnostics, core part (validate + ranges after a 1-char edit, ${keystroke.planLines}-line plan, ${keystroke.keystrokes} keystrokes, ${keystroke.findingsSeen} findings seen):\n` +
      `    incremental PlanValidator (what the editor runs): ${line(`(goal wall p95 < ${P95_GOAL_MS} ms: ${keystroke.met ? 'met' : 'NOT MET'})`, keystroke)}\n` +
      `    full validatePlan of each version (for comparison): ${line(`(p95 ratio incremental/full ${(keystroke.p95Ms / fullValidation.p95Ms).toFixed(3)}x)`, fullValidation)}\n`,
  );
}

main();
