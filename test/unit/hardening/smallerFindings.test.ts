// Red-team finding 10, the parts about cells and the dev deployment API:
//  - a secret echoed back base64-encoded (alone, or as the whole header value) was printed;
//  - a CRLF put into a header through a variable said "Is the endpoint running?" instead of
//    naming the variable;
//  - `rollgate dev` accepted an over-long Idempotency-Key, and reset the connection on a body
//    over its limit instead of answering 413.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDevStack, type DevStack } from '../../../src/dev/index';
import { newSession } from '../cells/support';

const SECRET = 'b64-echo-secret-7f3e2d1c';
let echo: Server;
let base = '';

beforeAll(async () => {
  // Answers with what it was sent, base64-encoded several ways.
  echo = createServer((request, response) => {
    request.resume();
    const authorization = request.headers.authorization ?? '';
    const token = authorization.replace(/^Bearer /, '');
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        token: Buffer.from(token).toString('base64'),
        header: Buffer.from(authorization).toString('base64'),
        url: Buffer.from(token).toString('base64url'),
        basic: request.headers['x-basic'] ?? '',
      }),
    );
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});
afterAll(async () => {
  echo.closeAllConnections();
  await new Promise((resolve) => echo.close(resolve));
});

describe('secrets echoed back encoded', () => {
  it('are redacted in base64 and base64url, alone and as the whole header value', async () => {
    const session = newSession({ secret: SECRET });
    const result = await session.run({
      language: 'http',
      attributes: { name: 'echoed' },
      value: `GET ${base}/echo\nAuthorization: Bearer {{secret:deploy-token}}\nX-Basic: Basic ops {{secret:deploy-token}}`,
    });
    expect(result.outcome).toBe('success');
    const everything = JSON.stringify(result);
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('base64url'), Buffer.from(`Bearer ${SECRET}`).toString('base64')]) {
      expect(everything).not.toContain(form);
    }
    expect(everything).toContain('‹redacted›');
  });
});

describe('a line break put into a header through a variable', () => {
  it('is refused before sending, naming the variable', async () => {
    const session = newSession({ frontMatter: { title: 't', tag: 'a\r\nX-Injected: yes' } });
    const result = await session.run({ language: 'http', attributes: {}, value: `GET ${base}/x\nX-Tag: {{tag}}` });
    expect(result.outcome).toBe('failure');
    expect(result.error).toBe('The variable {{tag}} holds a line break or control character, which cannot go in the header X-Tag; nothing was sent.');
  });

  it('from a secret, is refused naming the secret', async () => {
    const session = newSession({ secret: 'line\r\nX-Injected: yes' });
    const result = await session.run({ language: 'http', attributes: {}, value: `GET ${base}/x\nX-Token: {{secret:deploy-token}}` });
    expect(result.outcome).toBe('failure');
    expect(result.error).toBe('The secret "deploy-token" holds a line break or control character, which cannot go in the header X-Token; nothing was sent.');
  });
});

describe('rollgate dev deployment API limits', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 0 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses an Idempotency-Key over 255 characters with 400', async () => {
    const response = await fetch(`${stack.deploymentUrl}/v1/services/churn-scorer/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k'.repeat(256) },
      body: '{"reason":"x"}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_idempotency_key' } });
    expect(stack.state().phase).not.toBe('paused');
  });

  it('answers 413 to a body over the limit, instead of resetting the connection', async () => {
    const response = await fetch(`${stack.deploymentUrl}/v1/services/churn-scorer/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '41', reason: 'x'.repeat(2_000_000) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'body_too_large' } });
  });
});
