// Red-team findings against a hostile endpoint, each with a real server in the test:
//  1. A decompression bomb (`content-encoding: gzip, gzip`, a few KB that decode to hundreds of
//     MB) served to an http cell and to both endpoint clients: the answer is refused once its
//     decoded size passes the limit, memory stays bounded, and the timeout still applies.
//  2. A redirect to another origin: no header that carries a secret, or that Rollgate treats as a
//     credential (`X-Api-Key` among them), is sent on.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';

import { MAX_ANSWER_BYTES, nodeHttpSender } from '../../../src/core/cells/httpSender';
import { DeploymentClient, EndpointError, PrometheusClient } from '../../../src/core/endpoints/index';
import { newSession } from '../cells/support';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    seen.push(request);
    request.resume();
    request.on('end', () => handler(request, response));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/**
 * A gzip stream of `members` identical gzip members, each `memberBytes` of zeros: gunzip reads
 * every member, so it decodes to members x memberBytes. Gzipped once more for `gzip, gzip`.
 */
function bomb(memberBytes: number, members: number): Buffer {
  const member = gzipSync(Buffer.alloc(memberBytes));
  const inner = Buffer.concat(Array.from({ length: members }, () => member));
  return gzipSync(inner, { level: 9 });
}

// 512 MB once decoded, 16 times the 32 MB limit; a few KB on the wire.
const BOMB = bomb(64 * 1024 * 1024, 8);

async function serveBomb(contentType = 'application/json') {
  return serve((_request, response) => {
    response.writeHead(200, { 'content-type': contentType, 'content-encoding': 'gzip, gzip', 'content-length': String(BOMB.length) });
    response.end(BOMB);
  });
}

describe('a decompression bomb', () => {
  it('is small on the wire and large decoded (the premise of the test)', () => {
    expect(BOMB.length).toBeLessThan(1024 * 1024);
  });

  it('is refused by the http cell sender at the decoded-size limit, with bounded memory', async () => {
    const server = await serveBomb();
    const before = process.memoryUsage().rss;
    const failure = await nodeHttpSender.send({ method: 'GET', url: `${server.url}/bomb`, headers: [['Accept-Encoding', 'gzip']] }, { timeoutMs: 20_000 }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toBe(`GET ${server.url}/bomb failed: the answer decodes to more than ${MAX_ANSWER_BYTES / (1024 * 1024)} MB; Rollgate stopped decoding it (narrow the request).`);
    // Never the whole 512 MB: at most the limit and the decoders' buffers.
    expect(process.memoryUsage().rss - before).toBeLessThan(MAX_ANSWER_BYTES * 4);
  });

  it('fails the http cell (never "success") and says why', async () => {
    const server = await serveBomb();
    const session = newSession({});
    const result = await session.run({ language: 'http', attributes: { timeout: '20s' }, value: `GET ${server.url}/bomb\nAccept-Encoding: gzip` });
    expect(result.outcome).toBe('failure');
    expect(result.error).toContain('decodes to more than 32 MB');
  });

  it('is refused by the Prometheus client, with bounded memory', async () => {
    const server = await serveBomb();
    const client = new PrometheusClient({ baseUrl: server.url, timeoutMs: 20_000, retries: 0 });
    const before = process.memoryUsage().rss;
    const failure = await client.query('up').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EndpointError);
    expect((failure as EndpointError).message).toContain('decodes to more than 32 MB');
    expect(process.memoryUsage().rss - before).toBeLessThan(MAX_ANSWER_BYTES * 4);
  });

  it('is refused by the deployment client', async () => {
    const server = await serveBomb();
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', timeoutMs: 20_000, retries: 0 });
    const failure = await client.getService().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EndpointError);
    expect((failure as EndpointError).message).toContain('decodes to more than 32 MB');
  });

  it('cannot outlast the timeout: a body that keeps arriving is cut at the deadline', async () => {
    // Compressed zeros trickled forever: decoding never ends by itself. Slowly enough (64 KiB of
    // decoded zeros every 100 ms: 32 MB after 51 s) that only the deadline can end it, even on a
    // machine so loaded that the client's timer fires seconds late.
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const member = gzipSync(Buffer.alloc(64 * 1024));
      const timer = setInterval(() => response.write(member), 100);
      response.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const failure = await nodeHttpSender.send({ method: 'GET', url: `${server.url}/trickle`, headers: [] }, { timeoutMs: 500 }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toContain('did not answer within 500 ms');
    expect(Date.now() - started).toBeLessThan(10_000);
    const client = new PrometheusClient({ baseUrl: server.url, timeoutMs: 500, retries: 0 });
    const endpointFailure = await client.query('up').then(
      () => undefined,
      (error: unknown) => error as EndpointError,
    );
    expect([endpointFailure?.kind, endpointFailure?.message]).toEqual(['timeout', expect.stringContaining('did not answer within 500ms')]);
  });
});

describe('a redirect to another origin', () => {
  it('drops X-Api-Key and every header whose value came from a secret; keeps them on the same origin', async () => {
    const other = await serve((_request, response) => response.end('other'));
    const origin = await serve((request, response) => {
      if (request.url === '/same') return void response.writeHead(307, { location: '/landed' }).end();
      if (request.url === '/away') return void response.writeHead(302, { location: `${other.url}/there` }).end();
      response.end('here');
    });
    const secret = 'tok-9f8e7d6c5b4a';
    const session = newSession({ secret });
    const cell = (path: string) => ({
      language: 'http',
      attributes: {},
      value: `GET ${origin.url}${path}\nX-Api-Key: inline-key-123\nApi-Key: inline-key-456\nX-Auth-Token: inline-token-789\nX-Deploy: {{secret:deploy-token}}\nX-Plain: visible`,
    });
    expect((await session.run(cell('/same'))).outcome).toBe('success');
    const landed = origin.seen.find((request) => request.url === '/landed')!;
    expect(landed.headers['x-api-key']).toBe('inline-key-123');
    expect(landed.headers['x-deploy']).toBe(secret);

    expect((await session.run(cell('/away'))).outcome).toBe('success');
    const there = other.seen[0]!;
    expect(there.headers['x-plain']).toBe('visible');
    expect(there.headers['x-api-key']).toBeUndefined();
    // Every header the ledger's redactHeaders treats as a credential is dropped too.
    expect(there.headers['api-key']).toBeUndefined();
    expect(there.headers['x-auth-token']).toBeUndefined();
    expect(there.headers['x-deploy']).toBeUndefined();
  });

  it('is not followed when the body carries a secret and the redirect keeps the body', async () => {
    const other = await serve((_request, response) => response.end('other'));
    const origin = await serve((_request, response) => response.writeHead(307, { location: `${other.url}/there` }).end());
    const session = newSession({ secret: 'tok-1a2b3c4d5e6f' });
    const result = await session.run({ language: 'http', attributes: {}, value: `POST ${origin.url}/hook\nContent-Type: application/json\n\n{"token":"{{secret:deploy-token}}"}` }, { confirmed: true });
    expect(result.outcome).toBe('failure');
    expect(result.error).toContain('redirected to another origin');
    expect(other.seen).toHaveLength(0);
  });
});
