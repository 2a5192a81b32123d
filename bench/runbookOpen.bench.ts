// Opening and saving a 2 MB runbook (about 5,000 cells) against markdown-it's own parse of the
// same text, in the same process and run: parseRunbook must cost at most 1.2x `md.parse`, and
// serializing the unchanged result must give back the identical bytes in under 10 ms. Peak
// memory is measured in separate child processes of this file that do only one workload each.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import MarkdownIt from 'markdown-it';
import { parseRunbook } from '../src/core/runbook/parse';
import { serializeRunbook } from '../src/core/runbook/serialize';
import { generateRunbook } from '../test/unit/runbook/generateRunbook';

const OPEN_GOAL = 1.2;
const SAVE_GOAL_MS = 10;
const MEMORY_GOAL = 1.3;
const RUNS = 31;

const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function timeOnce(work: () => unknown): number {
  collectGarbage();
  const start = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** markdown-it as a user gets it: default preset, full parse (block and inline). */
const markdownIt = new MarkdownIt();
/** Only markdown-it's block stage, as parseRunbook uses it: shows what the cell building itself costs. */
const markdownBlocks = new MarkdownIt({ html: true });
markdownBlocks.core.ruler.enableOnly(['normalize', 'block']);

/** Medians of both workloads, interleaved and alternating which goes first, so drift hits both alike. */
function compareOpen(text: string, baselineParser: MarkdownIt): { rollgate: number; baseline: number } {
  for (let warm = 0; warm < 3; warm++) {
    parseRunbook(text);
    baselineParser.parse(text, {});
  }
  const rollgate: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    if (run % 2 === 0) {
      baseline.push(timeOnce(() => baselineParser.parse(text, {})));
      rollgate.push(timeOnce(() => parseRunbook(text)));
    } else {
      rollgate.push(timeOnce(() => parseRunbook(text)));
      baseline.push(timeOnce(() => baselineParser.parse(text, {})));
    }
  }
  return { rollgate: median(rollgate), baseline: median(baseline) };
}

function timeSave(work: () => string): number {
  for (let warm = 0; warm < 5; warm++) work();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) times.push(timeOnce(work));
  return median(times);
}

/** Peak resident memory (MB) of a fresh process that does only one workload. */
function peakMemory(workload: 'rollgate' | 'markdown-it'): number {
  const child = spawnSync(process.execPath, [__filename, '--memory-probe', workload], { encoding: 'utf8' });
  const value = Number(child.stdout.trim());
  if (child.status !== 0 || !Number.isFinite(value)) throw new Error(`memory probe failed: ${child.stderr}`);
  return value;
}

function memoryProbe(workload: string): void {
  const text = generateRunbook();
  const count = workload === 'rollgate' ? parseRunbook(text).cells.length : markdownIt.parse(text, {}).length;
  if (count === 0) throw new Error('nothing parsed');
  // maxRSS is in kilobytes.
  process.stdout.write(`${(process.resourceUsage().maxRSS / 1024).toFixed(1)}\n`);
}

interface Row {
  name: string;
  metric: string;
  rollgate: number;
  baseline: number | null;
  ratio: number | null;
  goal: string;
  met: boolean;
}

function main(): void {
  const json = process.argv.includes('--json');
  const text = generateRunbook();
  const parsed = parseRunbook(text);
  const codeCells = parsed.cells.filter((cell) => cell.kind === 'code').length;
  const identical = serializeRunbook(parsed) === text;
  if (!identical) throw new Error('saving the unchanged runbook did not give back the same bytes');
  const label = `${(text.length / 1024 / 1024).toFixed(2)} MB, ${parsed.cells.length} cells (${codeCells} code)`;

  const open = compareOpen(text, markdownIt);
  const openRatio = open.rollgate / open.baseline;
  const blocksOnly = compareOpen(text, markdownBlocks);
  const save = timeSave(() => serializeRunbook(parsed));
  const middle = parsed.cells.length >> 1;
  const edited = { ...parsed, cells: parsed.cells.map((cell, i) => (i === middle ? { ...cell, value: `${cell.value}\n# edited` } : cell)) };
  const saveEdited = timeSave(() => serializeRunbook(edited));
  const rollgateMemory = peakMemory('rollgate');
  const markdownMemory = peakMemory('markdown-it');
  const memoryRatio = rollgateMemory / markdownMemory;

  const rows: Row[] = [
    { name: `open (${label})`, metric: 'median time (ms)', rollgate: open.rollgate, baseline: open.baseline, ratio: openRatio, goal: `<= ${OPEN_GOAL}x`, met: openRatio <= OPEN_GOAL },
    {
      name: 'open vs markdown-it block stage only (info)',
      metric: 'median time (ms)',
      rollgate: blocksOnly.rollgate,
      baseline: blocksOnly.baseline,
      ratio: blocksOnly.rollgate / blocksOnly.baseline,
      goal: 'none',
      met: true,
    },
    { name: 'save unchanged (byte-identical: yes)', metric: 'median time (ms)', rollgate: save, baseline: null, ratio: null, goal: `< ${SAVE_GOAL_MS} ms`, met: save < SAVE_GOAL_MS },
    { name: 'save with one cell edited', metric: 'median time (ms)', rollgate: saveEdited, baseline: null, ratio: null, goal: `< ${SAVE_GOAL_MS} ms`, met: saveEdited < SAVE_GOAL_MS },
    { name: 'open, whole process', metric: 'peak RSS (MB)', rollgate: rollgateMemory, baseline: markdownMemory, ratio: memoryRatio, goal: `<= ${MEMORY_GOAL}x`, met: memoryRatio <= MEMORY_GOAL },
  ];
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version };
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ bench: 'runbookOpen', subject: 'parseRunbook / serializeRunbook', baseline: 'markdown-it parse (default preset) of the same text', machine, bytes: text.length, cells: parsed.cells.length, codeCells, byteIdentical: identical, rows })}\n`,
    );
    return;
  }
  const header = ['case', 'metric', 'rollgate', 'markdown-it parse', 'ratio', 'goal'];
  const body = rows.map((row) => [
    row.name,
    row.metric,
    row.rollgate.toFixed(2),
    row.baseline === null ? '-' : row.baseline.toFixed(2),
    row.ratio === null ? '-' : `${row.ratio.toFixed(3)}x`,
    row.goal === 'none' ? '-' : `${row.goal} ${row.met ? 'met' : 'NOT MET'}`,
  ]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  process.stdout.write(`Runbook open/save vs markdown-it parse (medians of ${RUNS}; ${machine.cpu}, ${machine.cores} cores, node ${machine.node})\n`);
  process.stdout.write(`${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${body.map(format).join('\n')}\n`);
}

const probeAt = process.argv.indexOf('--memory-probe');
if (probeAt >= 0) memoryProbe(process.argv[probeAt + 1]!);
else main();
