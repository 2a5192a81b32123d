// Per-request cost of executing an http runbook cell (parse, resolve variables and a secret,
// send, read, redact, build outputs) against a loopback server, next to a plain `fetch` loop
// sending the same request (the floor), in the same process and run. Goal: within 1.2x.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { environmentSecretResolver, fetchHttpSender, ledgerRecorder, RunbookSession } from '../src/core/cells/index';
import { Ledger } from '../src/core/ledger/index';

const GOAL = 1.2;
const quick = process.argv.includes('--quick');
const REQUESTS = quick ? 200 : 1000;
const ROUNDS = quick ? 5 : 15;
const LEDGER_REQUESTS = quick ? 50 : 200;
const SECRET = 'bench-secret-0c7d1e9a44';
const BODY = JSON.stringify({ service: 'churn-scorer', stable: '41', phase: 'stable', versions: [{ version: '41', weight: 100 }, { version: '42', weight: 0 }] });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timeRequests(count: number, once: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let index = 0; index < count; index++) await once();
  return Number(process.hrtime.bigint() - start) / 1e3 / count;
}

interface Row {
  name: string;
  rollgateMicros: number;
  floorMicros: number | null;
  ratio: number | null;
  goal: string;
  met: boolean;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${base}/v1/services/churn-scorer`;

  const floor = async () => {
    const response = await fetch(url, { method: 'GET', headers: [['Authorization', `Bearer ${SECRET}`]] });
    if (response.status !== 200) throw new Error(`floor got ${response.status}`);
    JSON.parse(await response.text());
  };
  const cell = { language: 'http', attributes: {}, value: 'GET {{base}}/v1/services/{{metadata.service}}\nAuthorization: Bearer {{secret:deploy-token}}' };
  const newSession = (ledger?: Ledger) =>
    new RunbookSession({
      frontMatter: { base, metadata: { service: 'churn-scorer' } },
      ports: { http: fetchHttpSender },
      secrets: environmentSecretResolver({ ROLLGATE_SECRET_DEPLOY_TOKEN: SECRET }),
      actor: 'bench',
      ...(ledger ? { ledger: ledgerRecorder(ledger) } : {}),
    });
  const session = newSession();
  const rollgate = async () => {
    const result = await session.run(cell);
    if (!result.ok) throw new Error(`cell failed: ${result.error}`);
  };

  // Warm both paths (JIT, the connection pool) before measuring.
  await timeRequests(200, floor);
  await timeRequests(200, rollgate);
  const floorRounds: number[] = [];
  const rollgateRounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first so drift (thermal, other processes) hits both alike.
    if (round % 2 === 0) {
      floorRounds.push(await timeRequests(REQUESTS, floor));
      rollgateRounds.push(await timeRequests(REQUESTS, rollgate));
    } else {
      rollgateRounds.push(await timeRequests(REQUESTS, rollgate));
      floorRounds.push(await timeRequests(REQUESTS, floor));
    }
  }
  const floorMicros = median(floorRounds);
  const rollgateMicros = median(rollgateRounds);

  // The same cell with the durable ledger on: each run appends and fsyncs one entry. Information
  // only: the disk's fsync time, not the cell, dominates it.
  const ledgerDir = mkdtempSync(join(tmpdir(), 'rollgate-bench-'));
  const recorded = newSession(new Ledger({ path: join(ledgerDir, 'ledger.jsonl') }));
  const withLedger = await timeRequests(LEDGER_REQUESTS, async () => {
    const result = await recorded.run(cell);
    if (!result.ok) throw new Error(`cell failed: ${result.error}`);
  });
  rmSync(ledgerDir, { recursive: true, force: true });
  server.closeAllConnections();
  server.close();

  const ratio = rollgateMicros / floorMicros;
  const rows: Row[] = [
    { name: 'http cell, GET with a secret header', rollgateMicros, floorMicros, ratio, goal: `<= ${GOAL}x`, met: ratio <= GOAL },
    { name: 'same, recorded in the ledger (fsync per run; info)', rollgateMicros: withLedger, floorMicros, ratio: withLedger / floorMicros, goal: 'none', met: true },
  ];
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version };
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ bench: 'httpCell', subject: 'RunbookSession.run(http cell)', baseline: 'plain fetch loop, same request', machine, requestsPerRound: REQUESTS, rounds: ROUNDS, unit: 'microseconds per request', rows })}\n`,
    );
    return;
  }
  const header = ['case', 'rollgate µs/req', 'fetch µs/req', 'ratio', 'goal'];
  const body = rows.map((row) => [
    row.name,
    row.rollgateMicros.toFixed(1),
    row.floorMicros === null ? '-' : row.floorMicros.toFixed(1),
    row.ratio === null ? '-' : `${row.ratio.toFixed(3)}x`,
    row.goal === 'none' ? '-' : `${row.goal} ${row.met ? 'met' : 'NOT MET'}`,
  ]);
  const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  process.stdout.write(`HTTP cell vs plain fetch on loopback (median of ${ROUNDS} rounds of ${REQUESTS} sequential requests; ${machine.cpu}, ${machine.cores} cores, node ${machine.node})\n`);
  process.stdout.write(`${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${body.map(format).join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`httpCell bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
