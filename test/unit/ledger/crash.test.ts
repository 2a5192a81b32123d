import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Ledger } from '../../../src/core/ledger/index';
import { sampleEntry, temporaryFolder } from './helpers';
import { buildAppendWorker, startAppendWorker } from './support/worker';

// 30 kills in CI; ROLLGATE_LEDGER_CRASH_ITERATIONS=500 for a long run.
const iterations = Number(process.env.ROLLGATE_LEDGER_CRASH_ITERATIONS ?? 30);

let folder: { path: string; cleanup: () => void };
let worker: string;

beforeAll(async () => {
  folder = temporaryFolder('rollgate-ledger-crash-');
  worker = await buildAppendWorker(folder.path);
});
afterAll(() => folder.cleanup());

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

describe('a writer killed with SIGKILL at random points', () => {
  it(
    `leaves a chain that verifies up to the last whole entry, ${iterations} times, and the next append works`,
    async () => {
      const file = join(folder.path, 'crash', 'ledger.jsonl');
      const ledger = new Ledger({ path: file, lock: { timeoutMs: 10_000 } });
      let expectedEntries = 0;
      let tornSeen = 0;
      let killedBetweenLines = 0;
      let staleLocks = 0;

      for (let iteration = 0; iteration < iterations; iteration += 1) {
        // Half the time the worker kills itself part-way through writing a line (a sure torn line);
        // otherwise we kill it from outside at a random moment (lock, read, write or fsync).
        const tearing = iteration % 2 === 0;
        const tearAt = randomInt(1, 4);
        const running = startAppendWorker(worker, [file, `i${iteration}`, '0', ...(tearing ? ['tear-at', String(tearAt)] : [])]);
        if (!tearing) {
          await running.waitForAppends(randomInt(1, 4));
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 6));
          running.child.kill('SIGKILL');
        }
        const exit = await running.exited;
        expect(exit.signal, exit.stderr).toBe('SIGKILL');
        const acknowledged = running.acknowledged();
        if (tearing) expect(acknowledged).toBe(tearAt - 1);
        // The dead writer's lock is left behind; the next append must take it over, not wait.
        if (existsSync(`${file}.lock`)) staleLocks += 1;

        const result = await ledger.verify();
        // Every acknowledged (fsynced) append is in the chain; at most one more made it whole.
        expect(result.entries).toBeGreaterThanOrEqual(expectedEntries + acknowledged);
        expect(result.entries).toBeLessThanOrEqual(expectedEntries + acknowledged + 1);
        if (result.ok) {
          killedBetweenLines += 1;
        } else {
          expect(result.torn, result.problem).toBeDefined();
          expect(result.firstBadLine).toBe(result.entries + 1);
          tornSeen += 1;
        }
        if (tearing) expect(result.torn).toBeDefined();

        const next = await ledger.append(sampleEntry(iteration, { actor: 'after-crash' }));
        const repaired = result.torn ? 1 : 0;
        expect(next.seq).toBe(result.entries + repaired + 1);
        const after = await ledger.verify();
        expect(after).toMatchObject({ ok: true, entries: next.seq });
        expectedEntries = after.entries;
      }

      // Every torn fragment was kept beside the ledger, never silently dropped.
      const asides = readdirSync(join(folder.path, 'crash')).filter((name) => name.startsWith('ledger.jsonl.torn-'));
      expect(asides).toHaveLength(tornSeen);
      const repairs = await ledger.list({ action: 'ledger-repair' });
      expect(repairs).toHaveLength(tornSeen);
      for (const repair of repairs) {
        const details = repair.details as { tornFile: string; bytes: number };
        expect(readFileSync(join(folder.path, 'crash', details.tornFile)).length).toBe(details.bytes);
      }
      expect(tornSeen).toBeGreaterThanOrEqual(Math.ceil(iterations / 2));
      expect(staleLocks).toBeGreaterThanOrEqual(Math.ceil(iterations / 2));
      console.info(`ledger crash test: ${iterations} kills, ${tornSeen} torn lines repaired, ${killedBetweenLines} kills between whole lines, ${staleLocks} dead writers' locks taken over`);
    },
    30_000 + iterations * 2_000,
  );
});
