// `rollgate run` in-process against the real dev stack: dry run, --yes, exit codes, json, ledger.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { eventually, useDevStack } from '../../support/devStack';
import { planTextFor } from './support';

const SECRET = 'cli-secret-5e1b7a90c3';
const dev = useDevStack({ token: SECRET, requestsPerSecond: 20 });

const runbook = (body: string, frontMatter = 'environment: staging') => `---
title: CLI drill
plan: ./plan.rollout.yaml
${frontMatter}
---
# Drill

${body}`;

const statusCell = '```http {"name":"status"}\nGET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}\nAuthorization: Bearer {{secret:deploy-token}}\n```\n';
const trafficCell = '```rollout {"name":"shift"}\nset-traffic 20\n```\n';
const checkStable = '```http {"name":"stable"}\nGET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}?stable={{status.body.stable}}\nAuthorization: Bearer {{secret:deploy-token}}\n```\n';
const failingQuery = '```promql {"name":"errors","expect":"< 0"}\nsum(rollgate_dev_requests_total)\n```\n';

let folder = '';
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'rollgate-run-'));
  writeFileSync(join(folder, 'plan.rollout.yaml'), planTextFor({ deploymentUrl: dev().stack.deploymentUrl, prometheusUrl: dev().stack.prometheusUrl! }));
});

async function rollgate(args: string[], env: Record<string, string> = { ROLLGATE_SECRET_DEPLOY_TOKEN: SECRET }) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd: folder, env: { ROLLGATE_ACTOR: 'ci', ...env } });
  return { code, stdout, stderr };
}

const candidateWeight = () =>
  dev()
    .stack.state()
    .versions.find((version) => version.version === '42')!.weight;
const ledgerFile = () => join(folder, '.rollgate', 'ledger.jsonl');

describe('rollgate run', () => {
  it('--dry-run prints resolved requests with secrets as references and sends nothing', async () => {
    writeFileSync(join(folder, 'dry.runbook.md'), runbook(`${statusCell}\n${trafficCell}`));
    const result = await rollgate(['run', 'dry.runbook.md', '--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`GET ${dev().stack.deploymentUrl}/v1/services/churn-scorer`);
    expect(result.stdout).toContain('Authorization: Bearer {{secret:deploy-token}}');
    expect(result.stdout).toContain(`PUT ${dev().stack.deploymentUrl}/v1/services/churn-scorer/traffic`);
    expect(result.stdout).toContain('2 cells resolved (dry run, nothing sent)');
    expect(result.stdout).not.toContain(SECRET);
    expect(candidateWeight()).toBe(0);
    expect(existsSync(ledgerFile())).toBe(false);
  });

  it('a mutating cell without --yes fails with a clear message after the cells before it ran', async () => {
    writeFileSync(join(folder, 'drill.runbook.md'), runbook(`${statusCell}\n${trafficCell}\n${checkStable}`));
    const result = await rollgate(['run', 'drill.runbook.md']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/── status \(drill\.runbook\.md:\d+:1\) \[http\] success HTTP 200/);
    expect(result.stderr).toContain('shift was not run');
    expect(result.stderr).toContain('--yes');
    expect(result.stdout).not.toContain('── stable');
    expect(candidateWeight()).toBe(0);
  });

  it('--yes runs every cell in order, records each in the ledger, exit 0', async () => {
    const before = existsSync(ledgerFile()) ? readFileSync(ledgerFile(), 'utf8').trim().split('\n').length : 0;
    const result = await rollgate(['run', 'drill.runbook.md', '--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('3 cells succeeded.');
    expect(candidateWeight()).toBe(20);
    const lines = readFileSync(ledgerFile(), 'utf8').trim().split('\n');
    const written = lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    // Three cell runs, and the set-traffic also as the traffic change it is, right after its run.
    expect(written.map((entry) => entry.action)).toEqual(['cell-run', 'cell-run', 'traffic-change', 'cell-run']);
    expect(written[2]).toMatchObject({
      action: 'traffic-change',
      actor: 'ci',
      service: 'churn-scorer',
      from: { weights: { '41': 100, '42': 0 } },
      to: { weights: { '41': 80, '42': 20 } },
      reason: 'traffic-change from drill.runbook.md cell 3 (shift)',
      details: { source: 'runbook', runbook: 'drill.runbook.md', cell: { number: 3, name: 'shift' }, outcome: 'ok' },
    });
    expect(written[3]).toMatchObject({ action: 'cell-run', actor: 'ci', request: { cell: 'stable', outcome: 'success', runbook: 'drill.runbook.md' } });
    expect(readFileSync(ledgerFile(), 'utf8')).not.toContain(SECRET);
  });

  it('--cell runs only the named cell; --format json reports each result', async () => {
    const result = await rollgate(['run', 'drill.runbook.md', '--cell', 'status', '--format', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: true, environment: 'staging', dryRun: false });
    expect(report.cells.map((cell: { name: string; outcome: string }) => [cell.name, cell.outcome])).toEqual([['status', 'success']]);
  });

  it('exits 1 at the first failed cell and runs nothing after it', async () => {
    writeFileSync(join(folder, 'fails.runbook.md'), runbook(`${failingQuery}\n${statusCell}`));
    const result = await eventually(
      async () => {
        const attempt = await rollgate(['run', 'fails.runbook.md', '--format', 'json']);
        // Before the first scrape the query has no data, which fails too, for another reason.
        return attempt.stdout.includes('expected < 0, got') ? attempt : undefined;
      },
      30_000,
      'the expectation to break on scraped data',
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.cells).toHaveLength(1);
    expect(report.cells[0]).toMatchObject({ name: 'errors', outcome: 'failure' });
  });

  it('--env prod is reported and still needs --yes; a missing secret names its variable', async () => {
    const declined = await rollgate(['run', 'drill.runbook.md', '--env', 'prod', '--cell', 'shift', '--format', 'json']);
    expect(declined.code).toBe(1);
    expect(JSON.parse(declined.stdout)).toMatchObject({ environment: 'prod', cells: [{ outcome: 'declined' }] });

    const missing = await rollgate(['run', 'drill.runbook.md', '--cell', 'status'], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ROLLGATE_SECRET_DEPLOY_TOKEN');
  });

  it('usage errors exit 2', async () => {
    expect((await rollgate(['run'])).code).toBe(2);
    expect((await rollgate(['run', 'missing.runbook.md'])).code).toBe(2);
    expect((await rollgate(['run', 'drill.runbook.md', '--cell', 'nope'])).code).toBe(2);
    expect((await rollgate(['run', 'drill.runbook.md', '--format', 'xml'])).code).toBe(2);
    const help = await rollgate(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
  });

  it('a query with no series says "no data" (not an empty table) and the summary says so', async () => {
    writeFileSync(join(folder, 'empty.runbook.md'), runbook('```promql {"name":"none"}\nrollgate_dev_no_such_metric_total\n```\n'));
    const result = await rollgate(['run', 'empty.runbook.md']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no data: the query returned no series');
    expect(result.stdout).not.toMatch(/^value\n-----$/m);
    expect(result.stdout).toContain('1 cell succeeded (1 returned no data).');
  });

  it('a runbook in which nothing runs fails and names the fences it skipped, by language', async () => {
    writeFileSync(join(folder, 'nothing.runbook.md'), runbook('```sh\ncurl http://127.0.0.1:1/\n```\n\n```python\nprint(1)\n```\n\n```python\nprint(2)\n```\n\n- item\n\n  ```http\n  GET http://127.0.0.1:1/\n  ```\n'));
    const result = await rollgate(['run', 'nothing.runbook.md']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'rollgate run: nothing ran: nothing.runbook.md has no http, promql, rollout or check cell; 4 fenced blocks were skipped (sh, python ×2, http). A fenced block runs when its language is http, promql, rollout or check and it is not inside a list or quote.\n',
    );
  });

  it('a refused construct is reported at its line and column in the runbook', async () => {
    writeFileSync(join(folder, 'digest.runbook.md'), runbook('```http\nGET http://127.0.0.1:1/x\nAuthorization: Digest user passwd\n```\n'));
    const result = await rollgate(['run', 'digest.runbook.md']);
    expect(result.code).toBe(1);
    // Front matter (5 lines), the heading, a blank line, the fence: the header is line 10.
    expect(result.stdout).toContain('digest.runbook.md:10:16: error: Digest authentication (`Authorization: Digest user passwd`) is not supported');
  });
});
