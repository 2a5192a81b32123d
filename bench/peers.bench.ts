// Rollgate against the tools a user would otherwise reach for, in the same process and run:
//  - plan validation of generated ~5,000 and ~20,000-line plans: Rollgate's `validatePlan`
//    (parse, schema, semantics, PromQL) vs `yaml-language-server` validating the same text against
//    Rollgate's exported JSON Schema (the peer) vs `yaml.parseDocument` plus one lezer-promql parse
//    of every guardrail query (the floor, bench/support/planFloor.ts);
//  - an http request against a loopback server: a Rollgate http cell vs `httpyac` sending the
//    same request from a parsed .http file (the peer) vs a plain `fetch` loop (the floor).
// Goals (issue 7): validation within 1.15x of the floor and faster than the peer; http cell
// within 1.2x of the floor and faster than the peer. `--quick` shrinks the run counts.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import * as httpyac from 'httpyac';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server/lib/umd/languageservice/yamlLanguageService';

import { planJsonSchema } from '../src/core/plan/jsonSchema';
import { validatePlan } from '../src/core/plan/validate';
import { generatePlan } from '../test/support/generatePlan';
import { planValidationFloor } from './support/planFloor';
import { startHttpCase } from './support/httpCase';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const VALIDATION_FLOOR_GOAL = 1.15;
const HTTP_FLOOR_GOAL = 1.2;

const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Row {
  case: string;
  /** Unit of the three figures. */
  unit: string;
  rollgate: number;
  floor: number;
  peer: number;
  floorName: string;
  peerName: string;
  /** rollgate / floor (median of paired ratios). */
  floorRatio: number;
  /** rollgate / peer (median of paired ratios); below 1 means Rollgate is faster. */
  peerRatio: number;
  floorGoal: number;
  floorGoalMet: boolean;
  fasterThanPeer: boolean;
}

interface Sample {
  wall: number;
  /** CPU time of this process (user + system): steadier than wall time on a shared machine. */
  cpu: number;
}

async function timeAsync(work: () => Promise<unknown>): Promise<Sample> {
  collectGarbage();
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const cpu = process.cpuUsage(cpuStart);
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Runs the three workloads back to back per round, rotating the order so drift hits all alike. */
async function interleave(rounds: number, workloads: [() => Promise<unknown>, () => Promise<unknown>, () => Promise<unknown>]): Promise<Sample[][]> {
  const samples: Sample[][] = [[], [], []];
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < 3; step++) {
      const which = (round + step) % 3;
      samples[which]!.push(await timeAsync(workloads[which]!));
    }
  }
  return samples;
}

/** Two rows, wall and CPU time, from the same samples. */
function rows(name: string, unit: string, samples: Sample[][], scale: number, names: { floor: string; peer: string }, floorGoal: number): Row[] {
  return (['wall', 'cpu'] as const).map((key) =>
    row(
      name,
      `${unit}, ${key === 'wall' ? 'wall' : 'CPU'} time`,
      samples.map((list) => list.map((sample) => sample[key])),
      scale,
      names,
      floorGoal,
    ),
  );
}

function row(name: string, unit: string, samples: number[][], scale: number, names: { floor: string; peer: string }, floorGoal: number): Row {
  const [rollgate, floor, peer] = samples as [number[], number[], number[]];
  const floorRatio = median(rollgate.map((value, index) => value / floor[index]!));
  const peerRatio = median(rollgate.map((value, index) => value / peer[index]!));
  return {
    case: name,
    unit,
    rollgate: median(rollgate) * scale,
    floor: median(floor) * scale,
    peer: median(peer) * scale,
    floorName: names.floor,
    peerName: names.peer,
    floorRatio,
    peerRatio,
    floorGoal,
    floorGoalMet: floorRatio <= floorGoal,
    fasterThanPeer: peerRatio < 1,
  };
}

async function planValidationRows(): Promise<Row[]> {
  const schema = planJsonSchema();
  const languageService = getLanguageService({
    // The schema is handed over inline; nothing may be fetched.
    schemaRequestService: (uri) => Promise.reject(new Error(`no schema fetching in the bench (${uri})`)),
    workspaceContext: { resolveRelativePath: (relativePath) => relativePath },
  });
  languageService.configure({ validate: true, schemas: [{ uri: String(schema.$id), fileMatch: ['*.rollout.yaml'], schema }] });
  const uri = 'file:///bench/plan.rollout.yaml';
  // The language service caches its parse per document version; a new version per call, as after an edit.
  let version = 0;
  const peerValidate = async (text: string) => languageService.doValidation(TextDocument.create(uri, 'yaml', ++version, text), false);

  const sizes = [
    { label: '~5,000-line plan', stages: 400, guardrails: 400, rounds: quick ? 5 : 15 },
    { label: '~20,000-line plan', stages: 1600, guardrails: 1600, rounds: quick ? 3 : 9 },
  ];
  const result: Row[] = [];
  for (const size of sizes) {
    const text = generatePlan(size);
    const own = validatePlan(text);
    if (own.diagnostics.length > 0) throw new Error(`the generated ${size.label} is not clean for Rollgate`);
    const peerDiagnostics = await peerValidate(text);
    // The peer must really check the schema: a clean plan gives nothing, a wrong kind an error.
    if (peerDiagnostics.length > 0) throw new Error(`yaml-language-server reports ${peerDiagnostics.length} problems on the clean plan: ${peerDiagnostics[0]!.message}`);
    const broken = await peerValidate(text.replace('kind: RolloutPlan', 'kind: NotAPlan'));
    if (broken.length === 0) throw new Error('yaml-language-server did not apply the schema (no problem found in a wrong kind)');
    for (let warm = 0; warm < 2; warm++) {
      validatePlan(text);
      planValidationFloor(text);
      await peerValidate(text);
    }
    const samples = await interleave(size.rounds, [async () => validatePlan(text), async () => planValidationFloor(text), () => peerValidate(text)]);
    const lines = text.split('\n').length;
    result.push(
      ...rows(
        `validate a ${size.label} (${lines} lines, ${(text.length / 1024).toFixed(0)} KiB)`,
        'ms per validation (median)',
        samples,
        1,
        { floor: 'yaml.parseDocument + one lezer-promql parse per guardrail query', peer: 'yaml-language-server doValidation + JSON Schema' },
        VALIDATION_FLOOR_GOAL,
      ),
    );
  }
  return result;
}

async function httpRows(): Promise<Row[]> {
  const secret = 'peer-bench-secret-5b1e';
  const httpCase = await startHttpCase(secret);
  const { base, floor } = httpCase;
  // Rollgate: an http cell with a variable and a secret reference, as in a runbook.
  const rollgate = httpCase.cellRunner();
  // The peer: httpyac, as its CLI does it (node file and IO providers), sending the same request
  // from a parsed .http file with a variable and the secret from the environment.
  httpyac.cli.initFileProvider();
  await httpyac.cli.initIOProvider();
  process.env.ROLLGATE_PEER_BENCH_TOKEN = secret;
  const store = new httpyac.store.HttpFileStore();
  const httpFile = await store.parse(`${tmpdir()}/peer-bench.http`, 'GET {{base}}/v1/services/churn-scorer\nAuthorization: Bearer {{$processEnv ROLLGATE_PEER_BENCH_TOKEN}}\n', { workingDir: tmpdir() });
  const httpRegion = httpFile.httpRegions[0];
  if (!httpRegion) throw new Error('httpyac parsed no request');
  let peerStatus = 0;
  const peer = async () => {
    const sent = await httpyac.send({ httpFile, httpRegion, variables: { base }, logResponse: async (response) => void (peerStatus = response?.statusCode ?? 0) });
    if (!sent || peerStatus !== 200) throw new Error(`httpyac got ${peerStatus}`);
  };

  const requests = quick ? 50 : 200;
  const rounds = quick ? 5 : 11;
  const batch = (one: () => Promise<void>) => async () => {
    for (let index = 0; index < requests; index++) await one();
  };
  for (const warm of [rollgate, floor, peer]) await batch(warm)();
  const samples = await interleave(rounds, [batch(rollgate), batch(floor), batch(peer)]);
  httpCase.close();
  return [
    ...rows(
      `http GET with a variable and a secret header, ${requests} sequential requests per sample`,
      'µs per request (median)',
      samples,
      1000 / requests,
      { floor: 'plain fetch', peer: 'httpyac send (.http file)' },
      HTTP_FLOOR_GOAL,
    ),
  ];
}

async function main(): Promise<void> {
  const all = [...(await planValidationRows()), ...(await httpRows())];
  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, loadAverage1m: Number(loadavg()[0]!.toFixed(2)) };
  const peers = { 'yaml-language-server': peerVersion('yaml-language-server'), httpyac: peerVersion('httpyac') };
  if (json) {
    process.stdout.write(`${JSON.stringify({ bench: 'peers', machine, peers, rows: all })}\n`);
    return;
  }
  process.stdout.write(
    `Rollgate vs peers and floors (medians; yaml-language-server ${peers['yaml-language-server']}, httpyac ${peers.httpyac}; ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m})\n`,
  );
  for (const entry of all) {
    process.stdout.write(`\n${entry.case} — ${entry.unit}\n`);
    process.stdout.write(`  rollgate  ${entry.rollgate.toFixed(1).padStart(9)}\n`);
    process.stdout.write(
      `  floor     ${entry.floor.toFixed(1).padStart(9)}  (${entry.floorName})  rollgate/floor ${entry.floorRatio.toFixed(3)}x, goal <= ${entry.floorGoal}x: ${entry.floorGoalMet ? 'met' : 'NOT MET'}\n`,
    );
    process.stdout.write(`  peer      ${entry.peer.toFixed(1).padStart(9)}  (${entry.peerName})  rollgate/peer ${entry.peerRatio.toFixed(3)}x, goal < 1x: ${entry.fasterThanPeer ? 'met' : 'NOT MET'}\n`);
  }
  process.stdout.write(
    "\nRatios are medians of per-round ratios (the three workloads run back to back, order rotated each round). CPU time is this process's; for http it includes the loopback server, the same for all three.\n",
  );
}

function peerVersion(name: string): string {
  try {
    // Read from node_modules: not every package exports its package.json.
    return (JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`peers bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
