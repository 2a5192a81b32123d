// Red-team finding: a runbook's `plan:` read any file (/etc/passwd, /proc/self/environ, a FIFO
// that hung even --dry-run) and printed its keys in diagnostics. The linked plan, like an http
// cell's `< ./file` body, must be a regular file inside the runbook's repository.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';

const sample = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'churn-canary.rollout.yaml'), 'utf8');
let outside = '';
let repo = '';

beforeAll(() => {
  outside = mkdtempSync(join(tmpdir(), 'rollgate-confine-'));
  repo = join(outside, 'repo');
  mkdirSync(join(repo, '.git'), { recursive: true });
  mkdirSync(join(repo, 'runbooks'));
  writeFileSync(join(repo, 'plan.rollout.yaml'), sample);
  writeFileSync(join(outside, 'elsewhere.rollout.yaml'), sample);
  symlinkSync('/etc/passwd', join(repo, 'sneaky.rollout.yaml'));
  execFileSync('mkfifo', [join(repo, 'fifo.rollout.yaml')]);
});

async function runWith(plan: string, extra: string[] = ['--dry-run']) {
  writeFileSync(join(repo, 'runbooks', 'r.runbook.md'), `---\ntitle: t\nplan: ${plan}\n---\n\n\`\`\`http\nGET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}\n\`\`\`\n`);
  let stdout = '';
  let stderr = '';
  const code = await main(['run', join('runbooks', 'r.runbook.md'), ...extra], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd: repo, env: {} });
  return { code, stdout, stderr };
}

describe('the linked plan', () => {
  it('inside the repository is used', async () => {
    const result = await runWith('../plan.rollout.yaml');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('GET http://127.0.0.1:8700/v1/services/churn-scorer');
  });

  it.each([
    ['/etc/passwd', 'is outside the workspace'],
    ['/proc/self/environ', 'is outside the workspace'],
    ['../../elsewhere.rollout.yaml', 'is outside the workspace'],
    ['../sneaky.rollout.yaml', 'is outside the workspace'],
    ['../fifo.rollout.yaml', 'is a FIFO (named pipe), not a regular file'],
    ['..', 'is a folder, not a regular file'],
  ])('%s is refused before it is read (%s)', async (plan, why) => {
    const result = await runWith(plan);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The linked plan ${plan} ${why}`);
    expect(result.stderr).not.toContain('root:');
    expect(result.stdout).toBe('');
  });
});

describe('an http cell body file (`< ./file`)', () => {
  it.each([
    ['/etc/passwd', 'is outside the workspace'],
    ['../../elsewhere.rollout.yaml', 'is outside the workspace'],
    ['../fifo.rollout.yaml', 'is a FIFO (named pipe), not a regular file'],
  ])('%s is refused before anything is read or sent (%s)', async (path, why) => {
    const { newSession } = await import('../cells/support');
    const session = newSession({ files: { base: join(repo, 'runbooks'), root: repo } });
    const result = await session.run({ language: 'http', attributes: {}, value: `POST http://127.0.0.1:1/upload\nContent-Type: text/plain\n\n< ${path}` }, { confirmed: true });
    expect(result.outcome).toBe('failure');
    expect(result.diagnostics[0]!.code).toBe('http/file-body');
    expect(result.diagnostics[0]!.message).toContain(`The body file ${path} ${why}`);
  });

  it('over 10 MB (or a symlink out of the workspace) is refused before anything is read or sent', async () => {
    const { newSession, startLoopback } = await import('../cells/support');
    const server = await startLoopback((_request, response) => response.end('ok'));
    writeFileSync(join(repo, 'runbooks', 'huge.bin'), '');
    truncateSync(join(repo, 'runbooks', 'huge.bin'), 11 * 1024 * 1024);
    const session = newSession({ files: { base: join(repo, 'runbooks'), root: repo } });
    for (const [path, why] of [
      ['./huge.bin', 'is 11 MB, over the 10 MB limit'],
      ['../sneaky.rollout.yaml', 'is outside the workspace'],
    ]) {
      const result = await session.run({ language: 'http', attributes: {}, value: `POST ${server.url}/upload\nContent-Type: application/octet-stream\n\n< ${path}` }, { confirmed: true });
      expect(result.outcome).toBe('failure');
      expect(result.diagnostics[0]?.message).toContain(`The body file ${path} ${why}`);
    }
    expect(server.requests).toHaveLength(0);
    await server.close();
  });
});
