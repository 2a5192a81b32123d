import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { CliIo } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';
import { defaultLedgerPath, Ledger } from '../../../src/core/ledger/index';
import { sampleEntry, temporaryFolder } from './helpers';

let folder: { path: string; cleanup: () => void };

beforeEach(() => {
  folder = temporaryFolder('rollgate-ledger-cli-');
});
afterEach(() => folder.cleanup());

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd: folder.path, env: {} };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

async function fillDefault(count: number): Promise<Ledger> {
  const ledger = new Ledger({ path: defaultLedgerPath(folder.path) });
  for (let index = 1; index <= count; index += 1) await ledger.append(sampleEntry(index));
  return ledger;
}

describe('rollgate ledger verify', () => {
  it('exits 0 on an intact chain at the default path', async () => {
    await fillDefault(4);
    const result = await run(['ledger', 'verify']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^\.rollgate\/ledger\.jsonl: ok, 4 entries, chain intact/);
  });

  it('exits 1 naming the first bad line', async () => {
    await fillDefault(4);
    const file = defaultLedgerPath(folder.path);
    const content = readFileSync(file, 'utf8').split('\n');
    content[2] = content[2]!.replace('"step 3"', '"step three"');
    writeFileSync(file, content.join('\n'));
    const result = await run(['ledger', 'verify']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('.rollgate/ledger.jsonl: line 3: hash does not match');
    expect(result.stdout).toContain('valid up to line 2 (2 entries)');
  });

  it('exits 1 on a torn last line, says how far the chain holds, and repair fixes it', async () => {
    await fillDefault(2);
    appendFileSync(defaultLedgerPath(folder.path), '{"seq":3,');
    const torn = await run(['ledger', 'verify']);
    expect(torn.code).toBe(1);
    expect(torn.stdout).toContain('line 3: torn last line');
    expect(torn.stdout).toContain("run 'rollgate ledger repair'");
    const repaired = await run(['ledger', 'repair']);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/moved a torn line of 9 bytes to ledger\.jsonl\.torn-.*; recorded as entry #3/);
    expect((await run(['ledger', 'verify'])).code).toBe(0);
  });

  it('exits 2 when the file is missing, and on usage errors', async () => {
    const missing = await run(['ledger', 'verify']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no ledger at .rollgate/ledger.jsonl');
    expect((await run(['ledger', 'verify', '--bogus'])).code).toBe(2);
    expect((await run(['ledger', 'frobnicate'])).code).toBe(2);
    expect((await run(['ledger'])).code).toBe(2);
    expect((await run(['ledger', 'show', '--limit', 'zero'])).code).toBe(2);
    expect((await run(['ledger', 'show', '--format', 'xml'])).stderr).toContain('--format must be text or json');
    expect((await run(['ledger', 'show', '--file'])).stderr).toContain('--file needs a value');
    expect((await run(['ledger', 'verify', '--help'])).code).toBe(0);
  });

  it('takes --file relative to the working folder, and in the --flag=value form', async () => {
    mkdirSync(join(folder.path, 'elsewhere'));
    const ledger = new Ledger({ path: join(folder.path, 'elsewhere', 'audit.jsonl') });
    await ledger.append(sampleEntry(1));
    expect((await run(['ledger', 'verify', '--file', 'elsewhere/audit.jsonl'])).stdout).toContain('elsewhere/audit.jsonl: ok, 1 entry,');
    expect((await run(['ledger', 'verify', '--file=elsewhere/audit.jsonl'])).code).toBe(0);
  });
});

describe('rollgate ledger show', () => {
  it('prints entries newest first as text, filtered and limited', async () => {
    await fillDefault(7);
    const result = await run(['ledger', 'show', '--service', 'churn-scorer', '--limit', '2']);
    expect(result.code).toBe(0);
    const [where, ...lines] = result.stdout.trimEnd().split('\n');
    // The path first: the one record the CLI and the editor share (here no repository: the current folder).
    expect(where).toBe(`ledger: ${defaultLedgerPath(folder.path)} (the folder of the current folder (not in a git repository))`);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^#6  \S+Z  rollback  churn-scorer  by alice  41=94% 42=6% -> 41=93% 42=7%  .*error-rate=0\.006 \(max 0\.02\) pass  "step 6"$/);
    expect(lines[1]).toMatch(/^#4  /);
  });

  it('prints JSON that scripts can rely on', async () => {
    await fillDefault(5);
    const result = await run(['ledger', 'show', '--action', 'rollback', '--format', 'json']);
    expect(result.code).toBe(0);
    const entries = JSON.parse(result.stdout) as Array<{ seq: number; action: string; hash: string }>;
    expect(entries.map((entry) => entry.seq)).toEqual([3]);
    expect(entries[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows cell runs with their request, and says when nothing matches', async () => {
    const ledger = await fillDefault(1);
    await ledger.append({
      actor: 'oncall',
      action: 'cell-run',
      service: 'churn-scorer',
      request: { method: 'GET', url: 'http://127.0.0.1:8700/v1/services/churn-scorer', status: 200, durationMs: 12.4, outcome: 'ok', cell: 'status' },
    });
    expect((await run(['ledger', 'show', '--action', 'cell-run'])).stdout).toContain('GET http://127.0.0.1:8700/v1/services/churn-scorer -> 200 12 ms ok');
    expect((await run(['ledger', 'show', '--service', 'nobody'])).stdout).toMatch(/\nno matching entries\n$/);
  });

  it('shows the feature flags an entry changed, before -> after, and a failed one with what to set by hand', async () => {
    const ledger = await fillDefault(1);
    await ledger.append({
      actor: 'rollgate-engine',
      action: 'rollback',
      service: 'churn-scorer',
      from: { weights: { '41': 50, '42': 50 } },
      to: { weights: { '41': 100 } },
      reason: 'error-rate breached',
      flags: [
        { name: 'new-ranking', reason: 'rollback: restore', before: { enabled: true, percent: 50 }, target: 'on at 20%', after: { enabled: true, percent: 20 }, outcome: 'ok', attempts: 1 },
        {
          name: 'explain',
          reason: 'rollback: off',
          before: { enabled: true },
          target: 'off',
          outcome: 'failed',
          attempts: 4,
          manual: "In Unleash http://127.0.0.1:4242 (project default, environment production), flag 'explain': turn it off.",
        },
      ],
    });
    const line = (await run(['ledger', 'show', '--action', 'rollback'])).stdout;
    expect(line).toContain('41=50% 42=50% -> 41=100%  flag new-ranking on at 50% -> on at 20% (rollback: restore); flag explain on -> FAILED (wanted off; In Unleash http://127.0.0.1:4242');
    expect(line).toContain('\'explain\': turn it off.) (rollback: off)  "error-rate breached"');
  });

  it('exits 2 when there is no ledger', async () => {
    const result = await run(['ledger', 'show']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nothing has been recorded there yet');
  });
});
