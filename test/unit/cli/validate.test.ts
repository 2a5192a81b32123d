import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';
import { LineIndex } from '../../../src/core/text/lineIndex';
import { readMarkers } from '../plan/markers';

const repo = resolve(__dirname, '../../..');
let workspace: string;

/** Runs the CLI in-process with captured output. */
async function run(args: string[], cwd = workspace): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), cwd, env: { ROLLGATE_VERSION: '0.0.0-test' } };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Copies a marker fixture into the workspace without its markers; returns its marked spans. */
function placeFixture(name: string, target: string) {
  const fixture = readMarkers(readFileSync(join(repo, 'test/fixtures/plans', name), 'utf8'));
  writeFileSync(join(workspace, target), fixture.text);
  return fixture;
}

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'rollgate-validate-'));
  cpSync(join(repo, 'examples'), join(workspace, 'examples'), { recursive: true });
  cpSync(join(repo, 'test/fixtures/plans/valid'), join(workspace, 'valid'), { recursive: true });
  for (const file of ['minimal', 'final-below-100', 'prod-with-canary', 'anchors']) {
    const path = join(workspace, 'valid', `${file}.rollout.yaml`);
    writeFileSync(path, readMarkers(readFileSync(path, 'utf8')).text);
  }
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe('rollgate validate', () => {
  it('exits 0 on the example plans (a directory)', async () => {
    const result = await run(['validate', 'examples']);
    const examples = readdirSync(join(workspace, 'examples')).filter((file) => /\.rollout\.ya?ml$/.test(file)).length;
    expect(result).toEqual({ code: 0, stdout: `${examples} plans checked: 0 errors, 0 warnings.\n`, stderr: '' });
  });

  it('prints path:line:column: severity code: message and exits 1 on an error', async () => {
    const { text, spans } = placeFixture('invalid/bad-percent.rollout.yaml', 'bad.rollout.yaml');
    const position = new LineIndex(text).positionAt(spans[0]!.start);
    const result = await run(['validate', 'bad.rollout.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe(`bad.rollout.yaml:${position.line + 1}:${position.character + 1}: error schema/out-of-range: 'stages[1].traffic' must be a percentage from 0 to 100, not the number 150.`);
    expect(result.stdout).toContain('1 plan checked: 1 error, 0 warnings.');
  });

  it('exits 0 when there are only warnings', async () => {
    placeFixture('invalid/relative-without-ratio.rollout.yaml', 'warn.rollout.yaml');
    const result = await run(['validate', 'warn.rollout.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^warn\.rollout\.yaml:\d+:\d+: warning plan\/relative-without-ratio: /);
  });

  it('--format json: files with 1-based start and end', async () => {
    const { text, spans } = placeFixture('invalid/unknown-key-did-you-mean.rollout.yaml', 'typo.rollout.yaml');
    const index = new LineIndex(text);
    const start = index.positionAt(spans[0]!.start);
    const end = index.positionAt(spans[0]!.end);
    const result = await run(['validate', '--format', 'json', 'typo.rollout.yaml', 'valid/minimal.rollout.yaml']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      files: [
        {
          path: 'typo.rollout.yaml',
          diagnostics: [
            {
              severity: 'error',
              code: 'schema/unknown-key',
              message: "Unknown key 'trafic' in stages[1]. Did you mean 'traffic'?",
              start: { line: start.line + 1, column: start.character + 1 },
              end: { line: end.line + 1, column: end.character + 1 },
            },
          ],
        },
        { path: 'valid/minimal.rollout.yaml', diagnostics: [] },
      ],
    });
  });

  it('--format=sarif: a SARIF 2.1.0 log with rules and regions', async () => {
    const { text, spans } = placeFixture('invalid/inline-credential-token.rollout.yaml', 'secret.rollout.yaml');
    const position = new LineIndex(text).positionAt(spans[0]!.start);
    const result = await run(['validate', '--format=sarif', 'secret.rollout.yaml']);
    expect(result.code).toBe(1);
    const log = JSON.parse(result.stdout);
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    const [runEntry] = log.runs;
    expect(runEntry.tool.driver).toMatchObject({ name: 'rollgate', version: '0.0.0-test' });
    expect(runEntry.tool.driver.rules).toEqual([expect.objectContaining({ id: 'plan/inline-credential', shortDescription: { text: expect.stringContaining('secret') } })]);
    expect(runEntry.results).toHaveLength(1);
    expect(runEntry.results[0]).toMatchObject({
      ruleId: 'plan/inline-credential',
      ruleIndex: 0,
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'secret.rollout.yaml', uriBaseId: '%SRCROOT%' },
            region: { startLine: position.line + 1, startColumn: position.character + 1, endLine: position.line + 1, endColumn: position.character + 1 + 'abc123'.length },
          },
        },
      ],
    });
    expect(result.stdout).not.toContain('abc123');
  });

  it('expands globs, including **', async () => {
    // Counted from the folders, so a new fixture or sample does not break this test.
    const plans = (folder: string, name: RegExp) => readdirSync(join(workspace, folder)).filter((file) => name.test(file)).length;
    const valid = plans('valid', /\.rollout\.yaml$/);
    const churn = plans('valid', /^churn-.*\.rollout\.ya?ml$/) + plans('examples', /^churn-.*\.rollout\.ya?ml$/);
    expect(valid).toBeGreaterThan(1);
    const flat = await run(['validate', 'valid/*.rollout.yaml']);
    expect(flat.code).toBe(0);
    expect(flat.stdout).toBe(`${valid} plans checked: 0 errors, 0 warnings.\n`);
    const deep = await run(['validate', '**/churn-*.rollout.{yaml,yml}']);
    expect(deep.stdout).toBe(`${churn} plans checked: 0 errors, 0 warnings.\n`);
  });

  it('exits 2 with a clear message when a glob matches nothing', async () => {
    const result = await run(['validate', 'nowhere/*.rollout.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("rollgate validate: no files match 'nowhere/*.rollout.yaml'.\n");
  });

  it('exits 2 for a missing or unreadable file, after validating the rest', async () => {
    symlinkSync('loop.rollout.yaml', join(workspace, 'loop.rollout.yaml'));
    const result = await run(['validate', 'missing.rollout.yaml', 'loop.rollout.yaml', 'examples/churn-prod.rollout.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("rollgate validate: cannot read 'missing.rollout.yaml': no such file or directory.\n");
    expect(result.stderr).toContain("rollgate validate: cannot read 'loop.rollout.yaml': too many levels of symbolic links.\n");
    expect(result.stdout).toBe('1 plan checked: 0 errors, 0 warnings.\n');
  });

  it('exits 2 on a bad option', async () => {
    expect((await run(['validate', '--format', 'xml', 'examples'])).code).toBe(2);
    const unknown = await run(['validate', '--strict']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--strict'");
  });

  it('--help explains options and exit codes', async () => {
    const result = await run(['validate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--format text|json|sarif');
    expect(result.stdout).toContain('Exit codes: 0');
  });
});

describe('rollgate schema', () => {
  it("prints the plan's JSON Schema with descriptions, patterns and formats", async () => {
    const result = await run(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'model', 'endpoints', 'stages']));
    const stage = schema.properties.stages.items;
    expect(stage.properties.bake.pattern).toBeDefined();
    expect(new RegExp(stage.properties.bake.pattern).test('1h30m')).toBe(true);
    expect(new RegExp(stage.properties.bake.pattern).test('10 minutes')).toBe(false);
    expect(schema.properties.model.properties.candidate.properties.digest.pattern).toBe('^sha256:[0-9a-f]{64}$');
    expect(schema.properties.endpoints.properties.metrics.properties.url.format).toBe('uri');
    expect(stage.properties.kind.description).toMatch(/offline/);
  });

  it('rejects arguments', async () => {
    expect((await run(['schema', 'extra'])).code).toBe(2);
  });
});

describe('the bundled CLI as a child process', () => {
  it('validates the examples and exits with the documented codes', async () => {
    // Bundled exactly as scripts/build.mjs bundles dist/cli.js, into a private folder so the
    // test neither depends on a stale build nor races other builds writing dist/.
    const outfile = join(workspace, 'bundle', 'cli.js');
    await esbuild.build({ entryPoints: [join(repo, 'src/cli/main.ts')], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent', banner: { js: '#!/usr/bin/env node' } });
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, [outfile, 'validate', 'examples'], { cwd: workspace });
    expect(ok.stdout).toBe(`${readdirSync(join(workspace, 'examples')).filter((file) => /\.rollout\.ya?ml$/.test(file)).length} plans checked: 0 errors, 0 warnings.\n`);
    placeFixture('invalid/traffic-decreases.rollout.yaml', 'falls.rollout.yaml');
    const failed = await exec(process.execPath, [outfile, 'validate', '--format', 'json', 'falls.rollout.yaml'], { cwd: workspace }).catch((error: { code: number; stdout: string }) => error);
    expect('code' in failed && failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).files[0].diagnostics[0].code).toBe('plan/traffic-decreases');
    const usage = await exec(process.execPath, [outfile, 'validate', 'nothing-here.rollout.yaml'], { cwd: workspace }).catch((error: { code: number; stderr: string }) => error);
    expect('code' in usage && usage.code).toBe(2);
  });
});
