// The Unleash provider when the flag service is down, hangs, or is not Unleash at all: clear
// errors within the configured time, never the token in a message. Loopback servers stand in for
// the faults (they imitate no Unleash behaviour); the real Unleash is in *.unleash.test.ts.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isEndpointError, type EndpointError } from '../../../src/core/endpoints/index';
import { createFlagProvider } from '../../../src/core/flags/index';
import { freePort } from '../../../src/dev/index';

const token = '*:*.fault-test-token-0123456789';

async function rejection(promise: Promise<unknown>): Promise<EndpointError> {
  try {
    await promise;
  } catch (error) {
    if (isEndpointError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function listening<T extends Server | TcpServer>(server: T): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('Unleash provider faults', () => {
  const sockets = new Set<Socket>();
  // Accepts connections and never answers: a hung flag service.
  const silent = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  // Answers every request with a web page: something that is not Unleash.
  const notUnleash = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<html><body>It works!</body></html>');
  });
  let silentPort = 0;
  let pagePort = 0;

  beforeAll(async () => {
    silentPort = await listening(silent);
    pagePort = await listening(notUnleash);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([new Promise((resolve) => silent.close(resolve)), new Promise((resolve) => notUnleash.close(resolve))]);
  });

  const endpoint = (port: number, timeout?: string) => ({
    type: 'unleash' as const,
    url: `http://127.0.0.1:${port}`,
    token: { secret: 'unleash-token' },
    project: 'default',
    environment: 'production',
    ...(timeout ? { timeout } : {}),
  });

  it('says the flag service is unreachable when nothing listens, after a bounded number of tries', async () => {
    const port = await freePort();
    const flags = createFlagProvider(endpoint(port), { token, retries: 2, backoffMs: 10 });
    const error = await rejection(flags.read('new-ranking'));
    expect(error.kind).toBe('unreachable');
    expect(error.endpoint).toBe('flags');
    expect(error.attempts).toBe(3);
    expect(error.message).toContain(`flag service http://127.0.0.1:${port} is unreachable`);
    expect(error.message).toContain('connection refused');
    expect(error.message).toContain('endpoints.flags.url');
    expect(error.message).not.toContain(token);
  });

  it("gives up on a hung flag service after the plan's timeout, without repeating a change", async () => {
    const flags = createFlagProvider(endpoint(silentPort, '300ms'), { token, retries: 2, backoffMs: 10 });
    const started = Date.now();
    const error = await rejection(flags.setEnabled('new-ranking', false));
    expect(error.kind).toBe('timeout');
    expect(error.attempts).toBe(1);
    expect(error.message).toContain('did not answer within 300ms');
    expect(error.message).toContain('/environments/production/off');
    // Generous: a loaded machine may be slow to fire the timer, but not by retrying.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('says when the URL answers but is not Unleash', async () => {
    const flags = createFlagProvider(endpoint(pagePort), { token });
    const error = await rejection(flags.read('new-ranking'));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('not flag');
    expect(error.message).toContain('Is endpoints.flags.url really an Unleash server');
  });
});
