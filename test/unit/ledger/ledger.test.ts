import { existsSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { computeEntryHash, GENESIS_HASH, Ledger, LedgerCorruptError, LedgerSecretError, redactionMarker } from '../../../src/core/ledger/index';
import { sampleEntry, temporaryFolder } from './helpers';

let folder: { path: string; cleanup: () => void };
let file: string;

beforeEach(() => {
  folder = temporaryFolder();
  file = join(folder.path, '.rollgate', 'nested', 'ledger.jsonl');
});
afterEach(() => folder.cleanup());

async function fill(count: number, ledger = new Ledger({ path: file })): Promise<Ledger> {
  for (let index = 1; index <= count; index += 1) await ledger.append(sampleEntry(index));
  return ledger;
}

function lines(): string[] {
  return readFileSync(file, 'utf8').split('\n').slice(0, -1);
}

function writeLines(content: string[]): void {
  writeFileSync(file, content.map((line) => `${line}\n`).join(''));
}

describe('append, read, verify', () => {
  it('creates the folder, chains entries from the genesis value and verifies', async () => {
    const ledger = new Ledger({ path: file, clock: () => new Date('2026-11-21T23:00:00.000Z') });
    const first = await ledger.append(sampleEntry(1));
    const second = await ledger.append(sampleEntry(2));
    expect(first).toMatchObject({ seq: 1, prev: GENESIS_HASH, time: '2026-11-21T23:00:00.000Z', actor: 'alice' });
    expect(second.seq).toBe(2);
    expect(second.prev).toBe(first.hash);
    expect(computeEntryHash(second)).toBe(second.hash);
    expect(second.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await ledger.verify()).toEqual({ ok: true, entries: 2, lastHash: second.hash, lastSeq: 2 });
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('writes one canonical JSON object per line and reads back exactly what append returned', async () => {
    const ledger = new Ledger({ path: file });
    const written = [];
    for (let index = 1; index <= 5; index += 1) written.push(await ledger.append(sampleEntry(index)));
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const [firstLine] = lines();
    expect(firstLine).not.toMatch(/\s"|":\s/);
    const keys = Object.keys(JSON.parse(firstLine!) as object);
    expect(keys).toEqual([...keys].sort());
    expect(await ledger.list()).toEqual(written);
    expect(await ledger.list({ newestFirst: true })).toEqual([...written].reverse());
  });

  it('ignores writer-supplied seq, time, prev and hash', async () => {
    const ledger = new Ledger({ path: file });
    const entry = await ledger.append({ ...sampleEntry(1), seq: 99, prev: 'x', hash: 'y', time: 'never' } as never);
    expect(entry.seq).toBe(1);
    expect(entry.prev).toBe(GENESIS_HASH);
    expect(entry.time).not.toBe('never');
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('appendMany writes consecutive entries in one go', async () => {
    const ledger = await fill(1);
    const entries = await ledger.appendMany([sampleEntry(2), sampleEntry(3), sampleEntry(4)]);
    expect(entries.map((entry) => entry.seq)).toEqual([2, 3, 4]);
    expect(entries[1]!.prev).toBe(entries[0]!.hash);
    expect(await ledger.appendMany([])).toEqual([]);
    await expect(ledger.appendMany([sampleEntry(5), { ...sampleEntry(6), actor: '' }])).rejects.toThrow(/actor/);
    expect(await ledger.verify()).toMatchObject({ ok: true, entries: 4 });
  });

  it('filters by service and action, newest first, with a limit', async () => {
    const ledger = await fill(12);
    const rollbacks = await ledger.list({ action: 'rollback', newestFirst: true });
    expect(rollbacks.map((entry) => entry.seq)).toEqual([12, 9, 6, 3]);
    const churn = await ledger.list({ service: 'churn-scorer', newestFirst: true, limit: 2 });
    expect(churn.map((entry) => entry.seq)).toEqual([12, 10]);
    const both = await ledger.list({ service: 'fraud-scorer', action: ['rollback', 'pause'] });
    expect(both.map((entry) => entry.seq)).toEqual([3, 9]);
  });

  it('reads nothing from a ledger that does not exist yet', async () => {
    expect(await new Ledger({ path: join(folder.path, 'missing.jsonl') }).list()).toEqual([]);
  });

  it('streams a file larger than one read chunk in both directions', async () => {
    const ledger = new Ledger({ path: file });
    const big = 'x'.repeat(20_000);
    for (let index = 1; index <= 9; index += 1) await ledger.append(sampleEntry(index, { reason: `${index} ${big}` }));
    const forward = await ledger.list();
    const backward = await ledger.list({ newestFirst: true });
    expect(forward.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(backward).toEqual([...forward].reverse());
    expect((await ledger.verify()).entries).toBe(9);
  });

  it('appends after the last entry without re-reading a large file from the start', async () => {
    const ledger = new Ledger({ path: file });
    const big = 'y'.repeat(70_000);
    await ledger.append(sampleEntry(1, { reason: big }));
    const second = await ledger.append(sampleEntry(2, { reason: big }));
    expect(second.seq).toBe(2);
    expect((await ledger.verify()).ok).toBe(true);
  });
});

describe('what is hashed is the content, not the bytes', () => {
  it('a line re-encoded with other key order and spacing still verifies', async () => {
    await fill(3);
    const content = lines();
    const entry = JSON.parse(content[1]!) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(entry).reverse());
    content[1] = JSON.stringify(reordered, null, 1).replace(/\n/g, ' ');
    writeLines(content);
    expect(await new Ledger({ path: file }).verify()).toMatchObject({ ok: true, entries: 3 });
  });
});

describe('tampering is caught at the right line', () => {
  beforeEach(async () => {
    await fill(6);
  });

  it('an edited field', async () => {
    const content = lines();
    content[3] = content[3]!.replace('"actor":"alice"', '"actor":"mallory"');
    writeLines(content);
    const result = await new Ledger({ path: file }).verify();
    expect(result).toMatchObject({ ok: false, entries: 3, firstBadLine: 4 });
    expect(result.problem).toMatch(/^line 4: hash does not match/);
  });

  it('an edited field with its hash recomputed breaks the next link', async () => {
    const content = lines();
    const entry = JSON.parse(content[2]!) as Record<string, unknown>;
    entry.reason = 'nothing happened';
    entry.hash = computeEntryHash(entry as never);
    content[2] = JSON.stringify(entry);
    writeLines(content);
    const result = await new Ledger({ path: file }).verify();
    expect(result).toMatchObject({ ok: false, entries: 3, firstBadLine: 4 });
    expect(result.problem).toMatch(/^line 4: "prev" does not match/);
  });

  it('a deleted line', async () => {
    const content = lines();
    content.splice(2, 1);
    writeLines(content);
    const result = await new Ledger({ path: file }).verify();
    expect(result).toMatchObject({ ok: false, entries: 2, firstBadLine: 3 });
    expect(result.problem).toMatch(/deleted, inserted or reordered/);
  });

  it('a deleted first line', async () => {
    writeLines(lines().slice(1));
    const result = await new Ledger({ path: file }).verify();
    expect(result).toMatchObject({ ok: false, entries: 0, firstBadLine: 1 });
    expect(result.problem).toMatch(/genesis/);
  });

  it('reordered lines', async () => {
    const content = lines();
    [content[3], content[4]] = [content[4]!, content[3]!];
    writeLines(content);
    expect(await new Ledger({ path: file }).verify()).toMatchObject({ ok: false, entries: 3, firstBadLine: 4 });
  });

  it('a changed hash', async () => {
    const content = lines();
    const entry = JSON.parse(content[1]!) as Record<string, unknown>;
    entry.hash = 'f'.repeat(64);
    content[1] = JSON.stringify(entry);
    writeLines(content);
    const result = await new Ledger({ path: file }).verify();
    expect(result).toMatchObject({ ok: false, entries: 1, firstBadLine: 2 });
    expect(result.problem).toMatch(/hash does not match/);
  });

  it('a seq gap with consistent hashes', async () => {
    const content = lines();
    const entry = JSON.parse(content[0]!) as Record<string, unknown>;
    entry.seq = 2;
    entry.hash = computeEntryHash(entry as never);
    writeLines([JSON.stringify(entry)]);
    const result = await new Ledger({ path: file }).verify();
    expect(result).toMatchObject({ ok: false, entries: 0, firstBadLine: 1 });
    expect(result.problem).toBe('line 1: seq 2 where 1 was expected');
  });

  it('bad JSON and an empty line in the middle', async () => {
    const content = lines();
    writeLines([...content.slice(0, 2), '{"seq":', ...content.slice(2)]);
    expect(await new Ledger({ path: file }).verify()).toMatchObject({ firstBadLine: 3, problem: 'line 3: not valid JSON' });
    writeLines([...content.slice(0, 1), '', ...content.slice(1)]);
    expect(await new Ledger({ path: file }).verify()).toMatchObject({ firstBadLine: 2, problem: 'line 2: empty line' });
  });

  it('append refuses to extend a chain whose last entry was altered', async () => {
    const content = lines();
    content[5] = content[5]!.replace('"reason":"step 6"', '"reason":"step six"');
    writeLines(content);
    await expect(new Ledger({ path: file }).append(sampleEntry(7))).rejects.toThrow(LedgerCorruptError);
    expect(lines()).toEqual(content);
  });
});

describe('a torn last line', () => {
  it('is reported, not accepted, and the next append moves it aside and records that', async () => {
    const ledger = await fill(3);
    const whole = readFileSync(file, 'utf8');
    const fragment = '{"action":"rollback","actor":"bo';
    appendFileSync(file, fragment);

    const torn = await ledger.verify();
    expect(torn).toMatchObject({ ok: false, entries: 3, firstBadLine: 4, torn: { line: 4, offset: Buffer.byteLength(whole), bytes: fragment.length, reason: 'no-newline' } });
    expect(torn.problem).toMatch(/^line 4: torn last line .*valid up to line 3/);
    expect((await ledger.list()).map((entry) => entry.seq)).toEqual([1, 2, 3]);

    const next = await ledger.append(sampleEntry(4));
    expect(next.seq).toBe(5);
    const [repair] = await ledger.list({ action: 'ledger-repair' });
    expect(repair).toMatchObject({ seq: 4, actor: 'rollgate', details: { bytes: fragment.length } });
    const asideName = (repair!.details as { tornFile: string }).tornFile;
    expect(readdirSync(join(file, '..'))).toContain(asideName);
    expect(readFileSync(join(file, '..', asideName), 'utf8')).toBe(fragment);
    expect(readFileSync(file, 'utf8').startsWith(whole)).toBe(true);
    expect(await ledger.verify()).toMatchObject({ ok: true, entries: 5 });
  });

  it('counts a final newline-terminated line that is not JSON (zeros after a power cut) as torn', async () => {
    const ledger = await fill(2);
    appendFileSync(file, '\0\0\0\0\0\n');
    expect(await ledger.verify()).toMatchObject({ ok: false, entries: 2, firstBadLine: 3, torn: { reason: 'not-json', bytes: 6 } });
    const repaired = await ledger.repair();
    expect(repaired).toMatchObject({ bytes: 6, entry: { seq: 3, action: 'ledger-repair' } });
    expect(await ledger.verify()).toMatchObject({ ok: true, entries: 3 });
    expect(await ledger.repair()).toBeUndefined();
  });

  it('keeps the exact bytes of a fragment cut inside a multi-byte character', async () => {
    const ledger = await fill(1);
    const fragment = Buffer.concat([Buffer.from('{"reason":"caf'), Buffer.from('é').subarray(0, 1)]);
    appendFileSync(file, fragment);
    expect(await ledger.verify()).toMatchObject({ entries: 1, torn: { bytes: fragment.length } });
    const repaired = await ledger.repair();
    expect(readFileSync(join(file, '..', repaired!.tornFile)).equals(fragment)).toBe(true);
  });

  it('is handled when it is the only line', async () => {
    const ledger = new Ledger({ path: file });
    await ledger.append(sampleEntry(1));
    writeFileSync(file, '{"seq":1,"act');
    expect(await ledger.verify()).toMatchObject({ ok: false, entries: 0, firstBadLine: 1, torn: { offset: 0 } });
    const entry = await ledger.append(sampleEntry(2));
    expect(entry).toMatchObject({ seq: 2 });
    expect(await ledger.verify()).toMatchObject({ ok: true, entries: 2 });
  });
});

describe('secrets', () => {
  it('append redacts registered secret values anywhere in the entry', async () => {
    const ledger = new Ledger({ path: file, secrets: { 'deploy-token': 's3cr3t-t0ken' } });
    ledger.registerSecret('api-key', 'k/ey+1');
    const entry = await ledger.append(
      sampleEntry(1, {
        action: 'cell-run',
        request: {
          method: 'GET',
          url: `http://127.0.0.1:8700/v1/x?key=${encodeURIComponent('k/ey+1')}`,
          headers: [['Authorization', 'Bearer s3cr3t-t0ken']],
          status: 200,
          durationMs: 12,
          outcome: 'ok',
        },
        details: { nested: [{ note: 'token s3cr3t-t0ken was used' }] },
      }),
    );
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('s3cr3t-t0ken');
    expect(text).not.toContain(encodeURIComponent('k/ey+1'));
    expect(entry.request?.headers?.[0]).toEqual(['Authorization', `Bearer ${redactionMarker('deploy-token')}`]);
    expect(entry.request?.url).toBe(`http://127.0.0.1:8700/v1/x?key=${redactionMarker('api-key')}`);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('append can refuse instead, naming where the secret was, never its value', async () => {
    const ledger = new Ledger({ path: file, secrets: new Map([['deploy-token', 'hunter2-long']]), onSecret: 'refuse' });
    const attempt = ledger.append(sampleEntry(1, { reason: 'used hunter2-long' }));
    await expect(attempt).rejects.toThrow(LedgerSecretError);
    await expect(attempt).rejects.toThrow('deploy-token at $.reason');
    await attempt.catch((error: Error) => expect(error.message).not.toContain('hunter2-long'));
    expect(existsSync(file)).toBe(false);
  });
});
