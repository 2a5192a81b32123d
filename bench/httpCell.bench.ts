// Per-request cost of executing an http runbook cell (parse, resolve variables and a secret,
// send, read, redact, build outputs) against a loopback server, next to a plain `fetch` loop
// sending the same request (the floor the goal names), in the same process and run. Goal:
// within 1.2x. Cells send with node:http, so a plain node:http loop is measured too: the cell's
// ratio to it is Rollgate's own per-run work, apart from the choice of transport.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ledgerRecorder } from '../src/core/cells/index';
import { Ledger } from '../src/core/ledger/index';
import { startHttpCase } from './support/httpCase';

const GOAL = 1.2;
const quick = process.argv.includes('--quick');
const REQUESTS = quick ? 200 : 1000;
const ROUNDS = quick ? 5 : 15;
const LEDGER_REQUESTS = quick ? 50 : 200;
const SECRET = 'bench-secret-0c7d1e9a44';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Timing {
  /** Wall-clock microseconds per request. */
  wall: number;
  /** CPU microseconds (user + system) of this process per request: steadier on a busy machine. */
  cpu: number;
}

async function timeRequests(count: number, once: () => Promise<void>): Promise<Timing> {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let index = 0; index < count; index++) await once();
  const wall = Number(process.hrtime.bigint() - start) / 1e3 / count;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / count };
}

interface Row {
  name: string;
  metric: string;
  rollgateMicros: number;
  floorMicros: number;
  ratio: number;
  goal: string;
  met: boolean;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const httpCase = await startHttpCase(SECRET);
  const { url, floor } = httpCase;

  // The same request through node:http on a keep-alive pool, as the cell's transport sends it.
  const agent = new Agent({ keepAlive: true });
  const transport = () =>
    new Promise<void>((resolve, reject) => {
      const sent = httpRequest(url, { method: 'GET', agent, headers: { Authorization: `Bearer ${SECRET}` } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (response.statusCode !== 200) return reject(new Error(`transport got ${response.statusCode}`));
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve();
        });
      });
      sent.on('error', reject);
      sent.end();
    });
  const rollgate = httpCase.cellRunner();

  // Warm every path (JIT, the connection pools) before measuring.
  const workloads = [floor, rollgate, transport];
  for (const workload of workloads) await timeRequests(200, workload);
  const rounds: Timing[][] = workloads.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate which goes first so drift (thermal, other processes) hits all alike.
    for (let turn = 0; turn < workloads.length; turn++) {
      const index = (round + turn) % workloads.length;
      rounds[index]!.push(await timeRequests(REQUESTS, workloads[index]!));
    }
  }
  const [floorRounds, rollgateRounds, transportRounds] = rounds as [Timing[], Timing[], Timing[]];
  const floorWall = median(floorRounds.map((timing) => timing.wall));
  const rollgateWall = median(rollgateRounds.map((timing) => timing.wall));
  const floorCpu = median(floorRounds.map((timing) => timing.cpu));
  const rollgateCpu = median(rollgateRounds.map((timing) => timing.cpu));
  const transportWall = median(transportRounds.map((timing) => timing.wall));
  const transportCpu = median(transportRounds.map((timing) => timing.cpu));

  // The same cell with the durable ledger on: each run appends and fsyncs one entry. Information
  // only: the disk's fsync time, not the cell, dominates it.
  const ledgerDir = mkdtempSync(join(tmpdir(), 'rollgate-bench-'));
  const withLedger = await timeRequests(LEDGER_REQUESTS, httpCase.cellRunner(ledgerRecorder(new Ledger({ path: join(ledgerDir, 'ledger.jsonl') }))));
  rmSync(ledgerDir, { recursive: true, force: true });
  agent.destroy();
  httpCase.close();

  const wallRatio = rollgateWall / floorWall;
  const cpuRatio = rollgateCpu / floorCpu;
  const rows: Row[] = [
    { name: 'http cell, GET with a secret header', metric: 'wall µs/request', rollgateMicros: rollgateWall, floorMicros: floorWall, ratio: wallRatio, goal: `<= ${GOAL}x`, met: wallRatio <= GOAL },
    { name: 'http cell, GET with a secret header', metric: 'CPU µs/request', rollgateMicros: rollgateCpu, floorMicros: floorCpu, ratio: cpuRatio, goal: `<= ${GOAL}x`, met: cpuRatio <= GOAL },
    { name: 'http cell vs plain node:http, its own transport (info)', metric: 'wall µs/request', rollgateMicros: rollgateWall, floorMicros: transportWall, ratio: rollgateWall / transportWall, goal: 'none', met: true },
    { name: 'http cell vs plain node:http, its own transport (info)', metric: 'CPU µs/request', rollgateMicros: rollgateCpu, floorMicros: transportCpu, ratio: rollgateCpu / transportCpu, goal: 'none', met: true },
    { name: 'same, recorded in the ledger (fsync per run; info)', metric: 'wall µs/request', rollgateMicros: withLedger.wall, floorMicros: floorWall, ratio: withLedger.wall / floorWall, goal: 'none', met: true },
  ];
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, loadAverage: loadavg()[0] };
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ bench: 'httpCell', subject: 'RunbookSession.run(http cell)', baseline: 'plain fetch loop, same request (rows marked node:http: a plain node:http loop)', machine, requestsPerRound: REQUESTS, rounds: ROUNDS, unit: 'microseconds per request (wall and CPU)', rows })}\n`,
    );
    return;
  }
  const header = ['case', 'metric', 'rollgate', 'baseline', 'ratio', 'goal'];
  const body = rows.map((row) => [row.name, row.metric, row.rollgateMicros.toFixed(1), row.floorMicros.toFixed(1), `${row.ratio.toFixed(3)}x`, row.goal === 'none' ? '-' : `${row.goal} ${row.met ? 'met' : 'NOT MET'}`]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  process.stdout.write(
    `HTTP cell vs plain fetch (the baseline unless a row names another) on loopback (median of ${ROUNDS} interleaved rounds of ${REQUESTS} sequential requests; server in the same process; load average ${loadavg()[0]!.toFixed(1)}; ${machine.cpu}, ${machine.cores} cores, node ${machine.node})\n`,
  );
  process.stdout.write(`${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${body.map(format).join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`httpCell bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
