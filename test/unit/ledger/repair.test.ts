// Red-team findings on the ledger: a valid last entry missing only its newline is not "torn";
// `repair` does not extend a chain broken in the middle; `verify` neither hangs on a FIFO or a
// device nor calls a folder a broken chain.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { CliIo } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';
import { defaultLedgerPath, Ledger, LedgerCorruptError, verifyLedgerFile } from '../../../src/core/ledger/index';
import { sampleEntry, temporaryFolder } from './helpers';

let folder: { path: string; cleanup: () => void };
let file = '';
beforeEach(() => {
  folder = temporaryFolder('rollgate-ledger-repair-');
  file = defaultLedgerPath(folder.path);
});
afterEach(() => folder.cleanup());

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd: folder.path, env: {} };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

async function fill(count: number): Promise<void> {
  const ledger = new Ledger({ path: file });
  for (let index = 1; index <= count; index += 1) await ledger.append(sampleEntry(index));
}

const tornFiles = () => readdirSync(join(folder.path, '.rollgate')).filter((name) => name.includes('.torn-'));

describe('a valid last entry without its final newline', () => {
  beforeEach(async () => {
    await fill(3);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n$/, ''));
  });

  it('verifies: the chain is whole', async () => {
    const result = await verifyLedgerFile(file);
    expect(result).toMatchObject({ ok: true, entries: 3, missingFinalNewline: true });
  });

  it('gets its newline back from repair, and stays in the chain', async () => {
    const result = await run(['ledger', 'repair']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('the last entry (#3) was whole but had no final newline; added it\n');
    expect(tornFiles()).toEqual([]);
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
    expect(await verifyLedgerFile(file)).toMatchObject({ ok: true, entries: 3 });
  });

  it('gets its newline back from the next append, which chains to it', async () => {
    const entry = await new Ledger({ path: file }).append(sampleEntry(4));
    expect(entry.seq).toBe(4);
    expect(tornFiles()).toEqual([]);
    expect(await verifyLedgerFile(file)).toMatchObject({ ok: true, entries: 4 });
  });

  it('is still torn when it does not verify (an edited last line without newline)', async () => {
    writeFileSync(file, readFileSync(file, 'utf8').replace('"step 3"', '"step three"'));
    expect((await verifyLedgerFile(file)).torn).toBeDefined();
    const entry = await new Ledger({ path: file }).append(sampleEntry(4));
    expect(tornFiles()).toHaveLength(1);
    expect(entry.seq).toBe(4); // 2 entries, the repair record, then this one
  });
});

describe('repair on a chain broken in the middle', () => {
  it('says where it is broken, exits 1 and changes nothing', async () => {
    await fill(4);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"step 2"', '"step two"');
    writeFileSync(file, `${lines.join('\n')}{"torn`);
    const before = readFileSync(file, 'utf8');
    const result = await run(['ledger', 'repair']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 2: hash does not match');
    expect(result.stderr).toContain('not repaired');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(tornFiles()).toEqual([]);
    await expect(new Ledger({ path: file }).repair()).rejects.toThrow(LedgerCorruptError);
  });
});

describe('verify on what is not a ledger file', () => {
  it('refuses a folder with exit 2', async () => {
    mkdirSync(file, { recursive: true });
    const result = await run(['ledger', 'verify']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a folder, not a ledger file');
  });

  it('refuses a FIFO with exit 2 instead of hanging', async () => {
    mkdirSync(join(folder.path, '.rollgate'), { recursive: true });
    execFileSync('mkfifo', [file]);
    const result = await run(['ledger', 'verify']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a FIFO (named pipe), not a ledger file');
  });

  it('refuses /dev/zero with exit 2 instead of reading forever', async () => {
    expect(existsSync('/dev/zero')).toBe(true);
    const result = await run(['ledger', 'verify', '--file', '/dev/zero']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is a device, not a ledger file');
    const show = await run(['ledger', 'show', '--file', '/dev/zero']);
    expect(show.code).toBe(2);
  });
});
