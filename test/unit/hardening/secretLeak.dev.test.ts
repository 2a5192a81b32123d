// Hardening: a known secret value goes through a whole session of the CLI against the real
// `rollgate dev` stack (with real Prometheus) — a full rollout, a drill with its automatic
// rollback, a runbook run with every cell kind, the ledger commands and reports in every format
// — and then every byte the CLI printed and every file it left behind (state, lock, ledger, run
// records, reports) and every notification body a local receiver got is searched for the value,
// in plain, base64 and URL-encoded form. The plans notify a receiver whose header is a reference
// to the same secret: it must arrive there, as that header, and nowhere else.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

import { useDevStack } from '../../support/devStack';
import { startReceiver } from '../notify/receiver';
import { devPlan } from '../rollout/devPlan';

// Distinctive, and long enough that no accidental substring can match it.
const SECRET = 'leak-canary-9f3b2a71c4e8d605';
const encodings = [SECRET, Buffer.from(SECRET).toString('base64'), encodeURIComponent(`Bearer ${SECRET}`), Buffer.from(`Bearer ${SECRET}`).toString('base64')];
const getStack = useDevStack({ token: SECRET });

let cli = '';
beforeAll(async () => {
  cli = path.join(mkdtempSync(path.join(tmpdir(), 'rollgate-leak-cli-')), 'cli.js');
  await esbuild.build({ entryPoints: [path.resolve('src/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: cli, logLevel: 'warning' });
});

interface CliRun {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = { ...process.env, ROLLGATE_SECRET_DEPLOY_TOKEN: SECRET }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => resolve({ args, code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

function runbook(): string {
  return [
    '---',
    'title: Leak test',
    'plan: ./plan.rollout.yaml',
    'environment: dev',
    'service: churn-scorer',
    '---',
    '# Every cell kind, with the secret in use',
    '',
    '```http {"name":"status"}',
    'GET {{endpoints.deployment.url}}/v1/services/churn-scorer',
    'Authorization: Bearer {{secret:deploy-token}}',
    '```',
    '',
    '```http {"name":"refused"}',
    'GET {{endpoints.deployment.url}}/v1/services/not-a-service',
    'Authorization: Bearer {{secret:deploy-token}}',
    '```',
    '',
    '```rollout {"name":"where"}',
    'status',
    '```',
    '',
    '```promql {"name":"errors"}',
    'sum(rate(rollgate_dev_requests_total[1m]))',
    '```',
    '',
    '```check {"name":"gates"}',
    'all',
    '```',
    '',
  ].join('\n');
}

describe('a known secret never leaves the secret store', () => {
  it('a rollout, a drill, a runbook run, the ledger commands and reports print and store no trace of it', { timeout: 120_000 }, async () => {
    const { stack } = getStack();
    const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-leak-'));
    const receiver = await startReceiver();
    // The first delivery fails (500), so a retry and its error are in the ledger too.
    receiver.replies.push({ status: 500, body: 'try again' });
    const notify = [
      'notify:',
      `  - { name: hook, url: "${receiver.url}/hook", format: json, headers: { X-Hook-Key: { secret: deploy-token } } }`,
      `  - { name: chat, url: "${receiver.url}/slack", format: slack, events: [breach, rollback, end] }`,
      '',
    ].join('\n');
    const plan = devPlan({ deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl!, tokenSecret: 'deploy-token', canaryBake: '2s' }) + notify;
    writeFileSync(path.join(dir, 'plan.rollout.yaml'), plan);
    // The drill's fault must strike while its stage still bakes; a long bake costs nothing, since
    // the breach ends the stage, and keeps a loaded machine from promoting before the fault bites.
    const drillPlan = devPlan({ deploymentUrl: stack.deploymentUrl, prometheusUrl: stack.prometheusUrl!, tokenSecret: 'deploy-token', canaryBake: '60s' }) + notify;
    writeFileSync(path.join(dir, 'drill.rollout.yaml'), drillPlan);
    writeFileSync(path.join(dir, 'leak.runbook.md'), runbook());

    const runs: CliRun[] = [];
    runs.push(await runCli(dir, ['validate', 'plan.rollout.yaml']));
    runs.push(await runCli(dir, ['rollout', 'plan.rollout.yaml', '--yes']));
    runs.push(await runCli(dir, ['rollout', 'drill.rollout.yaml', '--drill', '--restart', '--yes', '--format', 'json']));
    runs.push(await runCli(dir, ['run', 'leak.runbook.md', '--yes']));
    runs.push(await runCli(dir, ['run', 'leak.runbook.md', '--yes', '--format', 'json']));
    runs.push(await runCli(dir, ['run', 'leak.runbook.md', '--dry-run']));
    runs.push(await runCli(dir, ['ledger', 'verify']));
    runs.push(await runCli(dir, ['ledger', 'show', '--format', 'json']));
    runs.push(await runCli(dir, ['ledger', 'show']));
    // Reports, made without the secret in the environment: `rollgate report` takes the values of
    // ROLLGATE_SECRET_* out of what it writes, which would hide a leak that reached the ledger.
    const { ROLLGATE_SECRET_DEPLOY_TOKEN: _token, ROLLGATE_DEV_TOKEN: _dev, ...withoutSecret } = process.env;
    const reports = [
      ['report'],
      ['report', '--format', 'html'],
      ['report', '--out', 'reports/drill.html'],
      ['report', '--service', 'churn-scorer', '--since', '1h', '--format', 'json'],
      ['report', '--service', 'churn-scorer', '--since', '1h', '--out', 'reports/window.md'],
    ];
    for (const args of reports) runs.push(await runCli(dir, args, withoutSecret));

    // The session did real work: the rollout finished, the drill rolled back, cells ran.
    const [validate, rollout, drill, runText] = runs;
    if (process.env.ROLLGATE_LEAK_DEBUG) console.log(runs.map((run) => `${run.args.join(' ')} -> ${run.code}\n${run.stdout.slice(0, 1500)}\n${run.stderr.slice(0, 500)}`).join('\n---\n'));
    expect(validate!.code, validate!.stderr).toBe(0);
    expect(rollout!.code, `${rollout!.stdout}\n${rollout!.stderr}`).toBe(0);
    expect(drill!.code, `${drill!.stdout.slice(0, 2000)}\n${drill!.stderr}`).toBe(0);
    expect(JSON.parse(drill!.stdout).status).toBe('rolled-back');
    expect(runText!.stdout.length + runText!.stderr.length).toBeGreaterThan(100);
    for (const ledgerRun of runs.filter((run) => run.args[0] === 'ledger')) expect(ledgerRun.code, ledgerRun.stderr).toBe(0);
    expect(runs.find((run) => run.args.join(' ') === 'ledger show')!.stdout).toContain('rollback');
    for (const reportRun of runs.filter((run) => run.args[0] === 'report')) expect(reportRun.code, reportRun.stderr).toBe(0);
    // The reports are real: the drill's breach and rollback, the runbook's cells with their requests.
    const window = JSON.parse(runs.find((run) => run.args.includes('json') && run.args[0] === 'report')!.stdout);
    expect(window.timeline.some((row: { action: string }) => row.action === 'guardrail-breach')).toBe(true);
    expect(window.cellRuns.length).toBeGreaterThan(3);
    expect(window.cellRuns.some((cell: { headers: [string, string][] }) => cell.headers.some(([name]) => name.toLowerCase() === 'authorization'))).toBe(true);
    const files = filesUnder(dir);
    const ledger = files.find((file) => file.endsWith('ledger.jsonl'));
    expect(ledger, `files: ${files.join(', ')}`).toBeDefined();
    const ledgerLines = readFileSync(ledger!, 'utf8').trim().split('\n');
    // rollout start, traffic changes, end; drill rollback; cell runs: well over a handful.
    expect(ledgerLines.length).toBeGreaterThan(8);
    expect(ledgerLines.some((line) => line.includes('"action":"rollback"'))).toBe(true);

    const leaks: string[] = [];
    for (const run of runs) {
      for (const encoding of encodings) {
        if (run.stdout.includes(encoding)) leaks.push(`stdout of rollgate ${run.args.join(' ')}`);
        if (run.stderr.includes(encoding)) leaks.push(`stderr of rollgate ${run.args.join(' ')}`);
      }
    }
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const encoding of encodings) if (bytes.includes(encoding)) leaks.push(path.relative(dir, file));
    }
    await receiver.close();
    // Notifications went out (rollout and drill, both formats), with the header where it belongs.
    const hooks = receiver.received.filter((request) => request.path === '/hook');
    const chats = receiver.received.filter((request) => request.path === '/slack');
    expect(hooks.length).toBeGreaterThan(4);
    expect(chats.some((request) => request.body.includes('"blocks"'))).toBe(true);
    expect(hooks.every((request) => request.headers['x-hook-key'] === SECRET)).toBe(true);
    expect(ledgerLines.some((line) => line.includes('"action":"notification"'))).toBe(true);
    for (const request of receiver.received) {
      const { 'x-hook-key': _hook, ...otherHeaders } = request.headers;
      for (const encoding of encodings) {
        if (request.body.includes(encoding)) leaks.push(`body of notification to ${request.path}`);
        if (JSON.stringify(otherHeaders).includes(encoding)) leaks.push(`headers of notification to ${request.path}`);
      }
    }
    expect(leaks).toEqual([]);
    // The search is wide: every file the session wrote was read.
    expect(files.length).toBeGreaterThanOrEqual(4);
  });
});
