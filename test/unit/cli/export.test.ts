import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { CliIo } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';

const repo = join(__dirname, '../../..');
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'rollgate-export-cli-'));
  cpSync(join(repo, 'examples'), join(workspace, 'examples'), { recursive: true });
  cpSync(join(repo, 'test/fixtures/argo'), join(workspace, 'argo'), { recursive: true });
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), cwd: workspace, env: {} };
  return { code: await main(args, io), stdout, stderr };
}

const kinds = (yaml: string) => parseAllDocuments(yaml).map((document) => (document.toJS() as { kind: string }).kind);

describe('rollgate export', () => {
  it('prints the Rollout and its AnalysisTemplates as YAML and exits 0', async () => {
    const result = await run(['export', 'examples/churn-argo-canary.rollout.yaml', '--to', 'argo-rollouts']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(kinds(result.stdout)).toEqual(['Rollout', 'AnalysisTemplate', 'AnalysisTemplate', 'AnalysisTemplate', 'AnalysisTemplate', 'AnalysisTemplate']);
    expect(result.stdout).toContain('# Where Argo Rollouts behaves differently from the Rollgate engine:');
  });

  it('writes each target to its own file with --out, and JSON Lists with --format json', async () => {
    const result = await run(['export', 'examples/churn-argo-canary.rollout.yaml', '--to', 'argo-rollouts,prometheus-rule', '--out', 'out', '--format', 'json']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('wrote out/churn-argo-canary-argo-rollouts.json (Rollout churn-scorer, AnalysisTemplate churn-v42-argo-shadow,');
    const list = JSON.parse(readFileSync(join(workspace, 'out/churn-argo-canary-prometheus-rule.json'), 'utf8'));
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'PrometheusRule' }] });
    // JSON has no comments: the notes on semantics go to stderr.
    expect(result.stderr).toContain('# - failureLimit: Argo counts failed measurements');
  });

  it('refuses what Argo cannot do: each finding at path:line:column, nothing written, exit 2', async () => {
    const result = await run(['export', 'examples/churn-canary.rollout.yaml', '--to', 'argo-rollouts', '--out', 'refused']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("examples/churn-canary.rollout.yaml:56:13: error export/mirror-needs-router: Stage 'shadow' mirrors 100% of traffic");
    expect(result.stderr).toContain('warning export/flags-not-exported');
    expect(result.stderr).toMatch(/rollgate export: nothing written: 1 finding to fix in the plan first\.\n$/);
    expect(existsSync(join(workspace, 'refused'))).toBe(false);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['export', 'examples/churn-argo-canary.rollout.yaml'])).code).toBe(2);
    expect((await run(['export', 'examples/churn-argo-canary.rollout.yaml', '--to', 'flagger'])).stderr).toContain("--to must be argo-rollouts or prometheus-rule, got 'flagger'");
    expect((await run(['export', 'missing.rollout.yaml', '--to', 'argo-rollouts'])).code).toBe(2);
  });
});

describe('rollgate import', () => {
  it('prints the plan, and what it does not express on stderr', async () => {
    const result = await run(['import', 'argo/rollout-analysis-step.yaml', 'argo/analysis-templates.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# Imported by rollgate import from Rollout rollout-analysis-step\./);
    expect(result.stderr).toContain("not expressed: step 1 (analysis): metric 'random-fail': provider job (only Prometheus metrics become guardrails)");
  });

  it('writes --out and says what to fill in; no Rollout is exit 2', async () => {
    const result = await run(['import', 'argo/rollout-canary.yaml', '--out', 'imported.rollout.yaml']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('wrote imported.rollout.yaml; fill in the values marked FILL IN');
    expect(readFileSync(join(workspace, 'imported.rollout.yaml'), 'utf8')).toContain('- name: canary-20');
    const none = await run(['import', 'argo/analysis-templates.yaml']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('rollgate import: no Argo Rollout');
  });
});

describe('the bundled CLI as a child process (as dist/cli.js is built)', () => {
  it('exports with the schema check bundled, its re2.wasm beside the bundle', async () => {
    const outfile = join(workspace, 'bundle', 'cli.js');
    await esbuild.build({ entryPoints: [join(repo, 'src/cli/main.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent', banner: { js: '#!/usr/bin/env node' } });
    // scripts/build.mjs copies the same file next to dist/cli.js and dist/extension.js.
    copyFileSync(createRequire(__filename).resolve('re2-wasm/build/wasm/re2.wasm'), join(workspace, 'bundle', 're2.wasm'));
    const exec = promisify(execFile);
    const result = await exec(process.execPath, [outfile, 'export', 'examples/churn-argo-blue-green.rollout.yaml', '--to', 'argo-rollouts'], { cwd: workspace });
    expect(kinds(result.stdout)).toEqual(['Rollout', 'AnalysisTemplate', 'AnalysisTemplate']);
    const imported = await exec(process.execPath, [outfile, 'import', 'argo/rollout-bluegreen.yaml'], { cwd: workspace });
    expect(imported.stdout).toContain('kind: blue-green');
  });
});
