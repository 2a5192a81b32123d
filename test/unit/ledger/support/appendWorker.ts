// A child process that appends to a ledger, for crash and concurrency tests.
// argv: <ledger path> <writer id> <appends, 0 = until killed> [tear-at <n>]
// With env ROLLGATE_WORKER_GATE=<file> it prints "ready" and waits for that file to exist.
// After each acknowledged append it prints "appended <seq> <writer> <n>". With "tear-at n", the
// n-th append writes a random part of its line and then SIGKILLs its own process, which is
// exactly what a crash in the middle of a write leaves behind.
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

import { Ledger } from '../../../../src/core/ledger/index';

async function main(): Promise<void> {
  const [path, writer = 'w', countText = '0', mode, tearAtText] = process.argv.slice(2);
  if (!path) throw new Error('usage: appendWorker <ledger> <writer> <count> [tear-at n]');
  const count = Number(countText);
  const tearAt = mode === 'tear-at' ? Number(tearAtText) : -1;
  // With a start gate, every writer waits at the same line, so slow process start-up under load
  // cannot let one writer finish before the others begin.
  const gate = process.env.ROLLGATE_WORKER_GATE;
  if (gate) {
    process.stdout.write('ready\n');
    const deadline = Date.now() + 60_000;
    while (!existsSync(gate)) {
      if (Date.now() > deadline) throw new Error(`start gate ${gate} never opened`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  let appendNumber = 0;
  const ledger = new Ledger({
    path,
    lock: { timeoutMs: 60_000 },
    writeBytes: async (handle: FileHandle, bytes: Buffer) => {
      if (appendNumber === tearAt) {
        // At least the newline and one byte before it are left out: a whole entry missing only its
        // newline is not torn (it keeps its place, see repair.test.ts), so it would not tear.
        const cut = 1 + Math.floor(Math.random() * (bytes.length - 2));
        await handle.write(bytes, 0, cut);
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => undefined);
      }
      let offset = 0;
      while (offset < bytes.length) offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
    },
  });
  for (appendNumber = 1; count === 0 || appendNumber <= count; appendNumber += 1) {
    const entry = await ledger.append({
      actor: `writer-${writer}`,
      action: 'traffic-change',
      service: 'churn-scorer',
      from: { weights: { '41': 100 - (appendNumber % 100), '42': appendNumber % 100 } },
      to: { weights: { '41': 99 - (appendNumber % 99), '42': 1 + (appendNumber % 99) } },
      reason: `step ${appendNumber} of writer ${writer}`,
      details: { writer, n: appendNumber },
    });
    process.stdout.write(`appended ${entry.seq} ${writer} ${appendNumber}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(3);
});
