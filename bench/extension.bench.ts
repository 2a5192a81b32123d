// Extension figures that can be measured outside VS Code:
//  - bundle sizes: dist/extension.js, dist/cli.js, dist/core.js and rollgate.vsix when present
//    (run `npm run package` first for fresh ones; this bench does not build);
//  - "keystroke to diagnostics, core part": after a one-character edit of a ~5,000-line plan, the
//    time to validate the new text and turn every finding into line/column ranges, which is the
//    work the editor does once the debounce (`rollgate.validation.debounceMs`, default 150 ms)
//    has fired. It is NOT the editor's end-to-end latency: that adds the debounce and VS Code's
//    own event and rendering time (see docs/performance.md). Goal: p95 under 150 ms.
import { existsSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { validatePlan } from '../src/core/plan/validate';
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

function keystrokes(): { samples: number[]; cpuSamples: number[]; lines: number; findingsSeen: number } {
  const original = generatePlan({ stages: 400, guardrails: 400 });
  const lines = original.split('\n').length;
  const random = seeded(7);
  // Each keystroke is one edit of the clean plan at a random guardrail: a character typed into or
  // deleted from a description (still clean), or, every fifth time, a character typed into the
  // key itself (one finding), so findings appear and vanish as they do while typing.
  const anchors = [...original.matchAll(/ {4}description: Generated guardrail/g)].map((match) => match.index + 4);
  for (let warm = 0; warm < 3; warm++) validatePlan(original);
  const samples: number[] = [];
  // CPU time of this process per keystroke: what the work costs when the machine is not shared.
  const cpuSamples: number[] = [];
  let findingsSeen = 0;
  for (let stroke = 0; stroke < KEYSTROKES; stroke++) {
    const key = anchors[Math.floor(random() * anchors.length)]!;
    const value = key + 'description: '.length;
    let text: string;
    if (stroke % 5 === 4) text = `${original.slice(0, key)}x${original.slice(key)}`;
    else if (stroke % 2 === 0) text = `${original.slice(0, value)}a${original.slice(value)}`;
    else text = `${original.slice(0, value)}${original.slice(value + 1)}`;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = validatePlan(text);
    const index = new LineIndex(text);
    const ranges = result.diagnostics.map((finding) => [index.positionAt(finding.start), index.positionAt(finding.end)]);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    const cpu = process.cpuUsage(cpuStart);
    cpuSamples.push((cpu.user + cpu.system) / 1000);
    findingsSeen += ranges.length;
  }
  return { samples, cpuSamples, lines, findingsSeen };
}

function main(): void {
  const sizes = bundleSizes();
  const { samples, cpuSamples, lines, findingsSeen } = keystrokes();
  const p50 = percentile(samples, 0.5);
  const p95 = percentile(samples, 0.95);
  const cpuP50 = percentile(cpuSamples, 0.5);
  const cpuP95 = percentile(cpuSamples, 0.95);
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0]!.toFixed(2)) };
  const keystroke = { planLines: lines, keystrokes: samples.length, findingsSeen, p50Ms: p50, p95Ms: p95, maxMs: Math.max(...samples), cpuP50Ms: cpuP50, cpuP95Ms: cpuP95, goalMs: P95_GOAL_MS, met: p95 < P95_GOAL_MS };
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'extension', machine, bundleSizes: sizes, keystrokeToDiagnosticsCore: keystroke })}\n`);
    return;
  }
  process.stdout.write(`Extension figures (${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m})\n`);
  for (const size of sizes) process.stdout.write(`  ${size.file.padEnd(18)} ${size.bytes === null ? 'missing (run npm run package)' : `${(size.bytes / 1024).toFixed(0)} KiB`}\n`);
  process.stdout.write(
    `  keystroke to diagnostics, core part (validate + ranges after a 1-char edit, ${lines}-line plan, ${samples.length} keystrokes, ${findingsSeen} findings seen): wall p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${keystroke.maxMs.toFixed(1)} ms; CPU p50 ${cpuP50.toFixed(1)} ms, p95 ${cpuP95.toFixed(1)} ms (goal wall p95 < ${P95_GOAL_MS} ms: ${keystroke.met ? 'met' : 'NOT MET'}; the editor adds its ${'150'} ms default debounce)\n`,
  );
}

main();
