// Red-team finding: an endpoint's error message and body were printed raw, so it could clear the
// screen and forge "rollgate run: 1 cell succeeded." on a failed run. Everything the CLI prints
// that came from outside has its control characters shown as escapes.
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { neutralizeControlCharacters } from '../../../src/core/text/terminal';

const FORGED = '\u001b[2J\u001b[H\u001b[32mrollgate run: 1 cell succeeded.\u001b[0m\r\u009b2K\u202e';
let server: Server;
let base = '';
let folder = '';

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    response.writeHead(500, { 'content-type': 'text/plain' }).end(`boom ${FORGED}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  folder = mkdtempSync(join(tmpdir(), 'rollgate-spoof-'));
  writeFileSync(join(folder, 'spoof.runbook.md'), `---\ntitle: spoof\n---\n\n\`\`\`http {"name":"x"}\nGET ${base}/status\n\`\`\`\n`);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd: folder, env: { ROLLGATE_ACTOR: 'ci' } });
  return { code, stdout, stderr };
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('a hostile endpoint cannot drive the terminal', () => {
  it('text output: the body and the error are printed with escapes, the run still fails', async () => {
    const result = await run(['run', 'spoof.runbook.md']);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toMatch(CONTROL);
    expect(result.stderr).toContain('\\u001b[2J\\u001b[H\\u001b[32mrollgate run: 1 cell succeeded.');
    expect(result.stderr).toContain('rollgate run: x failed: HTTP 500 Internal Server Error: boom');
  });

  it('json output stays valid JSON and carries no raw control character', async () => {
    const result = await run(['run', 'spoof.runbook.md', '--format', 'json']);
    expect(result.stdout).not.toMatch(CONTROL);
    const parsed = JSON.parse(result.stdout) as { ok: boolean; cells: Array<{ error: string }> };
    expect(parsed.ok).toBe(false);
    expect(parsed.cells[0]!.error).toContain('boom');
  });

  it('keeps newlines and tabs, turns CRLF into LF', () => {
    expect(neutralizeControlCharacters('a\tb\r\nc\nd\re')).toBe('a\tb\nc\nd\\u000de');
  });
});
