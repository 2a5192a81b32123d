// Ledger benchmark: durable appends per second against plain appends, and `verify` time for
// 100,000 entries against the floor of reading and parsing the same lines.
// Standalone: bundled with esbuild and run in its own process by scripts/bench.mjs.
// Flags: --json (machine-readable), --quick (fewer runs and entries, for a smoke test).
import { promises as fs } from 'node:fs';
import { cpus, arch, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { GENESIS_HASH, Ledger, sealEntry, type LedgerEntryInput } from '../src/core/ledger/index';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const runs = quick ? 3 : 5;
const appendsPerRun = quick ? 100 : 300;
const verifyEntries = quick ? 20_000 : 100_000;

function entry(index: number): LedgerEntryInput {
  return {
    actor: 'rollgate-engine',
    action: index % 10 === 0 ? 'guardrail-breach' : 'traffic-change',
    service: 'churn-scorer',
    from: { weights: { '41': 95, '42': 5 } },
    to: { weights: { '41': 75, '42': 25 } },
    reason: `stage canary-25 step ${index}`,
    evidence: { guardrail: 'error-rate', query: 'sum(rate(rollgate_dev_requests_total{code=~"5.."}[1m]))', value: 0.004, bound: { max: 0.02 }, window: '1m', outcome: 'pass' },
    planDigest: `sha256:${'a'.repeat(64)}`,
    lineage: { candidate: { version: '42', digest: `sha256:${'b'.repeat(64)}` }, baseline: { version: '41', digest: `sha256:${'c'.repeat(64)}` } },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Measurement {
  name: string;
  unit: string;
  median: number;
  runs: number[];
}

async function measureAppends(folder: string): Promise<Measurement[]> {
  const sampleLine = sealEntry({ ...entry(1), seq: 1, time: new Date().toISOString(), prev: GENESIS_HASH }).line;
  const ledgerRates: number[] = [];
  const plainRates: number[] = [];
  const fsyncRates: number[] = [];
  const batchRates: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    // Interleave the three so that disk noise hits them alike.
    const ledger = new Ledger({ path: join(folder, `run-${run}`, 'ledger.jsonl') });
    let started = performance.now();
    for (let index = 0; index < appendsPerRun; index += 1) await ledger.append(entry(index));
    ledgerRates.push(appendsPerRun / ((performance.now() - started) / 1000));

    const batched = new Ledger({ path: join(folder, `run-${run}`, 'batched.jsonl') });
    started = performance.now();
    for (let index = 0; index < appendsPerRun; index += 10) await batched.appendMany(Array.from({ length: 10 }, (_, offset) => entry(index + offset)));
    batchRates.push(appendsPerRun / ((performance.now() - started) / 1000));

    const plainFile = join(folder, `run-${run}`, 'plain.jsonl');
    started = performance.now();
    for (let index = 0; index < appendsPerRun; index += 1) await fs.appendFile(plainFile, sampleLine);
    plainRates.push(appendsPerRun / ((performance.now() - started) / 1000));

    const syncedFile = join(folder, `run-${run}`, 'synced.jsonl');
    started = performance.now();
    for (let index = 0; index < appendsPerRun; index += 1) {
      const handle = await fs.open(syncedFile, 'a');
      await handle.write(sampleLine);
      await handle.sync();
      await handle.close();
    }
    fsyncRates.push(appendsPerRun / ((performance.now() - started) / 1000));
  }
  return [
    { name: 'Ledger.append (lock + chain + fsync)', unit: 'appends/s', median: median(ledgerRates), runs: ledgerRates },
    { name: 'Ledger.appendMany, 10 entries per call', unit: 'appends/s', median: median(batchRates), runs: batchRates },
    { name: 'open/write/fsync/close, no lock, no chain', unit: 'appends/s', median: median(fsyncRates), runs: fsyncRates },
    { name: 'fs.appendFile, no fsync, no lock (baseline)', unit: 'appends/s', median: median(plainRates), runs: plainRates },
  ];
}

async function measureVerify(folder: string): Promise<Measurement[]> {
  const file = join(folder, 'verify', 'ledger.jsonl');
  await fs.mkdir(join(folder, 'verify'), { recursive: true });
  const lines: string[] = [];
  let previous = { seq: 0, hash: GENESIS_HASH };
  const time = new Date().toISOString();
  for (let index = 0; index < verifyEntries; index += 1) {
    const sealed = sealEntry({ ...entry(index), seq: previous.seq + 1, time, prev: previous.hash });
    lines.push(sealed.line);
    previous = { seq: sealed.entry.seq, hash: sealed.entry.hash };
  }
  await fs.writeFile(file, lines.join(''));
  const { size } = await fs.stat(file);
  const ledger = new Ledger({ path: file });

  const verifyTimes: number[] = [];
  const parseTimes: number[] = [];
  const showTimes: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    let started = performance.now();
    const result = await ledger.verify();
    verifyTimes.push(performance.now() - started);
    if (!result.ok || result.entries !== verifyEntries) throw new Error(`verify disagreed: ${JSON.stringify(result)}`);

    started = performance.now();
    const text = await fs.readFile(file, 'utf8');
    let parsed = 0;
    for (const line of text.split('\n')) if (line) parsed += JSON.parse(line) ? 1 : 0;
    parseTimes.push(performance.now() - started);
    if (parsed !== verifyEntries) throw new Error('parse floor miscounted');

    started = performance.now();
    const newest = await ledger.list({ newestFirst: true, limit: 100 });
    showTimes.push(performance.now() - started);
    if (newest.length !== 100) throw new Error('newest-first read miscounted');
  }
  const label = `${verifyEntries.toLocaleString('en')} entries, ${(size / 1e6).toFixed(1)} MB`;
  return [
    { name: `Ledger.verify, ${label}`, unit: 'ms', median: median(verifyTimes), runs: verifyTimes },
    { name: `readFile + JSON.parse per line (floor), ${label}`, unit: 'ms', median: median(parseTimes), runs: parseTimes },
    { name: `newest 100 entries (ledger show), ${label}`, unit: 'ms', median: median(showTimes), runs: showTimes },
  ];
}

async function main(): Promise<void> {
  const folder = await fs.mkdtemp(join(process.env.ROLLGATE_BENCH_DIR ?? tmpdir(), 'rollgate-ledger-bench-'));
  try {
    const appends = await measureAppends(folder);
    const verify = await measureVerify(folder);
    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 1e9),
      os: `${platform()} ${release()} ${arch()}`,
      node: process.version,
      folder,
    };
    const ratios = {
      durableVsPlainAppend: appends[0]!.median / appends[3]!.median,
      durableVsBareFsync: appends[0]!.median / appends[2]!.median,
      verifyVsParseFloor: verify[0]!.median / verify[1]!.median,
    };
    if (json) {
      process.stdout.write(`${JSON.stringify({ bench: 'ledger', runs, appendsPerRun, verifyEntries, machine, results: [...appends, ...verify], ratios }, null, 2)}\n`);
      return;
    }
    const rows = [...appends, ...verify].map((item) => [item.name, `${item.median.toFixed(item.unit === 'ms' ? 1 : 0)} ${item.unit}`, item.runs.map((value) => value.toFixed(0)).join(' ')]);
    const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length), ['measure', 'median', 'runs'][column]!.length));
    const format = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
    process.stdout.write(`Ledger benchmark (${runs} runs; ${appendsPerRun} appends per run)\n`);
    process.stdout.write(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}\n\n`);
    process.stdout.write(`${format(['measure', 'median', 'runs'])}\n${rows.map(format).join('\n')}\n\n`);
    process.stdout.write(`durable append rate / plain appendFile rate: ${ratios.durableVsPlainAppend.toFixed(3)}x\n`);
    process.stdout.write(`durable append rate / bare write+fsync rate: ${ratios.durableVsBareFsync.toFixed(3)}x\n`);
    process.stdout.write(`verify time / read+parse floor time:         ${ratios.verifyVsParseFloor.toFixed(2)}x\n`);
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`ledger bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
