import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Ledger } from '../../../src/core/ledger/index';
import { sampleEntry, temporaryFolder } from './helpers';
import { buildAppendWorker, startAppendWorker } from './support/worker';

const writers = 4;
const appendsPerWriter = Number(process.env.ROLLGATE_LEDGER_CONCURRENT_APPENDS ?? 50);

let folder: { path: string; cleanup: () => void };
let worker: string;

beforeAll(async () => {
  folder = temporaryFolder('rollgate-ledger-concurrent-');
  worker = await buildAppendWorker(folder.path);
});
afterAll(() => folder.cleanup());

describe('several writers at once', () => {
  it(`${writers} processes x ${appendsPerWriter} appends make one valid chain with nothing lost`, async () => {
    // Whether the writers interleave is up to the scheduler: on a loaded machine one process can
    // make all its appends before another wakes. Such a run still must be valid, but proves
    // nothing about the lock, so the experiment is repeated (a few times at most) until they did.
    const attempts = 4;
    const switchesSeen: number[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const file = join(folder.path, `processes-${attempt}`, 'ledger.jsonl');
      const gate = join(folder.path, `processes-${attempt}.go`);
      const running = Array.from({ length: writers }, (_, index) => startAppendWorker(worker, [file, `p${index}`, String(appendsPerWriter)], { gate }));
      await Promise.all(running.map((item) => Promise.race([item.ready, item.exited])));
      writeFileSync(gate, '');
      const exits = await Promise.all(running.map((item) => item.exited));
      for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);

      const ledger = new Ledger({ path: file });
      expect(await ledger.verify()).toMatchObject({ ok: true, entries: writers * appendsPerWriter });
      const entries = await ledger.list();
      for (let index = 0; index < writers; index += 1) {
        const mine = entries.filter((entry) => entry.details?.writer === `p${index}`).map((entry) => entry.details?.n);
        // Each writer's appends are all there, in the order it made them.
        expect(mine).toEqual(Array.from({ length: appendsPerWriter }, (_, n) => n + 1));
      }
      expect(existsSync(`${file}.lock`)).toBe(false);
      const switches = entries.filter((entry, index) => index > 0 && entry.actor !== entries[index - 1]!.actor).length;
      switchesSeen.push(switches);
      if (switches > writers - 1) break;
    }
    // The writers really interleaved in one of the runs, or this test proves nothing about the lock.
    expect(Math.max(...switchesSeen), `writer switches per run: ${switchesSeen.join(', ')}`).toBeGreaterThan(writers - 1);
  }, 240_000);

  it('concurrent appends inside one process, through two Ledger objects, are serialised', async () => {
    const file = join(folder.path, 'in-process', 'ledger.jsonl');
    const first = new Ledger({ path: file });
    const second = new Ledger({ path: file });
    const results = await Promise.all(Array.from({ length: 40 }, (_, index) => (index % 2 ? first : second).append(sampleEntry(index))));
    expect(new Set(results.map((entry) => entry.seq)).size).toBe(40);
    expect(await first.verify()).toMatchObject({ ok: true, entries: 40 });
  });
});
