// Peak resident memory of a fresh process that does only one piece of work, Rollgate's next to
// the floor's on the same text: validating the ~20,000-line plan vs `yaml.parseDocument` alone
// (goal within 1.2x), and opening the 2 MB runbook vs markdown-it's parse alone (goal within
// 1.3x). Each child reads `process.resourceUsage().maxRSS`; each probe runs several times and
// the median is kept, since a child's peak varies a little with when the collector runs.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import MarkdownIt from 'markdown-it';
import { parseDocument } from 'yaml';

import { validatePlan } from '../src/core/plan/validate';
import { parseRunbook } from '../src/core/runbook/parse';
import { generatePlan } from '../test/support/generatePlan';
import { generateRunbook } from '../test/unit/runbook/generateRunbook';

const json = process.argv.includes('--json');
const REPEATS = 3;
const PLAN = { stages: 1600, guardrails: 1600 };

type Workload = 'validatePlan' | 'yaml.parseDocument' | 'parseRunbook' | 'markdown-it parse';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs in the child: builds the input, does the one workload, prints peak RSS in MB. */
function probe(workload: Workload): void {
  let size: number;
  switch (workload) {
    case 'validatePlan':
      size = validatePlan(generatePlan(PLAN)).diagnostics.length;
      break;
    case 'yaml.parseDocument':
      size = parseDocument(generatePlan(PLAN)).errors.length;
      break;
    case 'parseRunbook':
      size = parseRunbook(generateRunbook()).cells.length;
      break;
    case 'markdown-it parse':
      size = new MarkdownIt().parse(generateRunbook(), {}).length;
      break;
  }
  // Keep the result observable so the work cannot be skipped; maxRSS is in kilobytes.
  process.stdout.write(`${(process.resourceUsage().maxRSS / 1024).toFixed(1)} ${size}\n`);
}

function peak(workload: Workload): number {
  const samples: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const child = spawnSync(process.execPath, [__filename, '--memory-probe', workload], { encoding: 'utf8' });
    const value = Number(child.stdout.trim().split(' ')[0]);
    if (child.status !== 0 || !Number.isFinite(value)) throw new Error(`memory probe ${workload} failed: ${child.stderr}`);
    samples.push(value);
  }
  return median(samples);
}

function main(): void {
  // A child that only starts node and builds nothing: what every probe pays before its work.
  const empty = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS / 1024))'], { encoding: 'utf8' });
  const nodeBaseline = Number(empty.stdout);
  const pairs = [
    { case: 'validate the ~20,000-line plan', rollgate: 'validatePlan' as const, floor: 'yaml.parseDocument' as const, goal: 1.2 },
    { case: 'open the 2 MB runbook', rollgate: 'parseRunbook' as const, floor: 'markdown-it parse' as const, goal: 1.3 },
  ];
  const rows = pairs.map((pair) => {
    const rollgate = peak(pair.rollgate);
    const floor = peak(pair.floor);
    const ratio = rollgate / floor;
    return { case: pair.case, rollgateWorkload: pair.rollgate, floorWorkload: pair.floor, rollgateMB: rollgate, floorMB: floor, ratio, goal: pair.goal, met: ratio <= pair.goal };
  });
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0]!.toFixed(2)) };
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'memory', unit: 'peak RSS MB (median of child processes)', repeats: REPEATS, nodeBaselineMB: nodeBaseline, machine, rows })}\n`);
    return;
  }
  process.stdout.write(`Peak RSS of a process doing only the work (median of ${REPEATS} children; bare node: ${nodeBaseline.toFixed(1)} MB; ${machine.cpu}, ${machine.cores} cores, node ${machine.node})\n`);
  for (const row of rows) {
    process.stdout.write(
      `  ${row.case}: ${row.rollgateWorkload} ${row.rollgateMB.toFixed(1)} MB vs ${row.floorWorkload} ${row.floorMB.toFixed(1)} MB = ${row.ratio.toFixed(3)}x (goal <= ${row.goal}x: ${row.met ? 'met' : 'NOT MET'})\n`,
    );
  }
}

const probeAt = process.argv.indexOf('--memory-probe');
if (probeAt >= 0) probe(process.argv[probeAt + 1] as Workload);
else main();
