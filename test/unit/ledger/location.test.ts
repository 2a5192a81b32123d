// One record: the CLI from two working directories and the editor's rule resolve one plan (and
// one runbook) to the same ledger and state. Real git repositories, real CLI runs, a real ledger.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { editorRecordLocation, findRecordRoot, Ledger, recordLocationOf } from '../../../src/core/ledger/index';
import { startLoopback, type LoopbackServer } from '../cells/support';
import { temporaryFolder } from './helpers';

let folder: { path: string; cleanup: () => void };
beforeEach(() => {
  folder = temporaryFolder('rollgate-record-');
});
afterEach(() => folder.cleanup());

function gitInit(path: string): void {
  mkdirSync(path, { recursive: true });
  execFileSync('git', ['init', '--quiet', path]);
}

async function rollgate(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd, env: { ROLLGATE_ACTOR: 'ci' } });
  return { code, stdout, stderr };
}

describe('the record rule', () => {
  it('inside a repository: the repository root, unless a .rollgate/ sits nearer the file', () => {
    const repo = join(folder.path, 'repo');
    gitInit(repo);
    mkdirSync(join(repo, 'examples', 'nested'), { recursive: true });
    const plan = join(repo, 'examples', 'nested', 'a.rollout.yaml');
    expect(recordLocationOf(plan)).toEqual({
      root: repo,
      ledgerPath: join(repo, '.rollgate', 'ledger.jsonl'),
      stateDir: join(repo, '.rollgate', 'state'),
      reason: 'repository-root',
    });
    mkdirSync(join(repo, 'examples', '.rollgate'));
    expect(recordLocationOf(plan)).toMatchObject({ root: join(repo, 'examples'), reason: 'rollgate-folder' });
  });

  it('never walks out of a repository, and outside one uses the folder itself', () => {
    // A .rollgate/ above the repository (a home or temp folder, say) captures nothing.
    mkdirSync(join(folder.path, '.rollgate'));
    const repo = join(folder.path, 'repo');
    gitInit(repo);
    expect(findRecordRoot(join(repo))).toMatchObject({ root: repo, reason: 'repository-root' });
    const loose = join(folder.path, 'loose');
    mkdirSync(loose);
    expect(findRecordRoot(loose)).toMatchObject({ root: loose, reason: 'own-folder' });
  });

  it('a git worktree (.git is a file) counts as a repository root', () => {
    const worktree = join(folder.path, 'worktree');
    mkdirSync(join(worktree, 'sub'), { recursive: true });
    writeFileSync(join(worktree, '.git'), 'gitdir: /elsewhere\n');
    expect(findRecordRoot(join(worktree, 'sub'))).toMatchObject({ root: worktree, reason: 'repository-root' });
  });
});

describe('the CLI from two working directories and the editor agree on one ledger', () => {
  let server: LoopbackServer;
  beforeEach(async () => {
    server = await startLoopback((_request, response) => response.end('ok'));
  });
  afterEach(() => server.close());

  it('runs a runbook from the repository root and from its own folder into the same ledger the editor uses', async () => {
    const repo = join(folder.path, 'repo');
    gitInit(repo);
    const examples = join(repo, 'examples');
    mkdirSync(examples);
    const runbook = join(examples, 'probe.runbook.md');
    writeFileSync(runbook, `---\ntitle: probe\n---\n# Probe\n\n\`\`\`http {"name":"probe"}\nGET ${server.url}/probe\n\`\`\`\n`);

    const fromRoot = await rollgate(repo, ['run', 'examples/probe.runbook.md']);
    expect(fromRoot.code).toBe(0);
    const fromExamples = await rollgate(examples, ['run', 'probe.runbook.md']);
    expect(fromExamples.code).toBe(0);
    expect(server.requests).toHaveLength(2);

    // Both runs are in one ledger at the repository root, naming the runbook alike.
    const ledgerPath = join(repo, '.rollgate', 'ledger.jsonl');
    const entries = await new Ledger({ path: ledgerPath }).list();
    expect(entries.map((entry) => [entry.action, entry.request?.runbook])).toEqual([
      ['cell-run', 'examples/probe.runbook.md'],
      ['cell-run', 'examples/probe.runbook.md'],
    ]);
    // The editor's rule (the same core function the extension calls) resolves the file to it too.
    expect(editorRecordLocation(runbook).ledgerPath).toBe(ledgerPath);
    expect(editorRecordLocation(join(examples, 'churn.rollout.yaml')).stateDir).toBe(join(repo, '.rollgate', 'state'));

    // `ledger show` prints that path from either folder, with or without --for.
    for (const [cwd, args] of [
      [repo, ['ledger', 'show']],
      [examples, ['ledger', 'show']],
      [repo, ['ledger', 'show', '--for', 'examples/probe.runbook.md']],
      [examples, ['ledger', 'show', '--for', 'probe.runbook.md']],
    ] as const) {
      const shown = await rollgate(cwd, [...args]);
      expect(shown.code, `${cwd}: ${args.join(' ')}`).toBe(0);
      expect(shown.stdout.split('\n')[0]).toMatch(new RegExp(`^ledger: ${ledgerPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(`));
    }
    // No stray ledger in the folder the second run started from.
    expect(() => readFileSync(join(examples, '.rollgate', 'ledger.jsonl'))).toThrow();
  });
});
