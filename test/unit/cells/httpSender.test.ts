// The http cells' transport (node:http over pooled connections) against loopback servers: what
// it must keep from `fetch` (redirects, credentials kept to their origin, compressed answers,
// repeated headers) and how it fails (timeouts, cancellation, refused and stale connections).
import { once } from 'node:events';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';

import { MAX_ANSWER_BYTES, nodeHttpSender } from '../../../src/core/cells/httpSender';
import { startLoopback, type LoopbackServer } from './support';

const servers: Array<{ close(): Promise<void> | void }> = [];
async function loopback(handler: Parameters<typeof startLoopback>[0]): Promise<LoopbackServer> {
  const server = await startLoopback(handler);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Awaits a send that must fail and returns its error. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the send to fail');
  return outcome;
}

const send = (method: string, url: string, headers: Array<[string, string]> = [], body?: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  nodeHttpSender.send({ method, url, headers, ...(body !== undefined ? { body } : {}) }, options);

describe('nodeHttpSender', () => {
  it('sends method, headers (repeated ones as written) and body, and reads status, headers and UTF-8 text', async () => {
    const server = await loopback((_request, response, body) => {
      response.setHeader('content-type', 'application/json');
      response.setHeader('x-seen', 'yes');
      response.end(JSON.stringify({ echoed: body, text: 'grüße ✓' }));
    });
    const answer = await send(
      'PUT',
      `${server.url}/v1/x?y=1`,
      [
        ['X-Tag', 'a'],
        ['X-Tag', 'b'],
        ['Content-Type', 'application/json'],
      ],
      '{"weights":{"41":100}}',
    );
    expect(answer.status).toBe(200);
    expect(answer.statusText).toBe('OK');
    expect(answer.headers['x-seen']).toBe('yes');
    expect(JSON.parse(answer.body)).toEqual({ echoed: '{"weights":{"41":100}}', text: 'grüße ✓' });
    const seen = server.requests[0]!;
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/v1/x?y=1');
    expect(seen.headers['x-tag']).toBe('a, b');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength('{"weights":{"41":100}}')));
    expect(seen.headers.host).toBe(new URL(server.url).host);
  });

  it('gives a string body a text content type when the cell sets none, as fetch did', async () => {
    const server = await loopback((_request, response) => response.end());
    await send('POST', `${server.url}/`, [], 'plain words');
    expect(server.requests[0]!.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(server.bodies[0]).toBe('plain words');
  });

  it('decodes gzip answers', async () => {
    const server = await loopback((_request, response) => {
      response.setHeader('content-encoding', 'gzip');
      response.end(gzipSync('{"stable":"41"}'));
    });
    expect((await send('GET', `${server.url}/`, [['Accept-Encoding', 'gzip']])).body).toBe('{"stable":"41"}');
  });

  it('says so when a compressed answer does not decode', async () => {
    const server = await loopback((_request, response) => {
      response.setHeader('content-encoding', 'gzip');
      response.end('not gzip at all');
    });
    const error = await rejection(send('GET', `${server.url}/`, [['Accept-Encoding', 'gzip']]));
    expect(error.message).toMatch(/failed: the answer says content-encoding "gzip" but does not decode as such \(.+\)\.$/);
  });

  it('follows redirects, keeps the token on the same origin and drops it on another', async () => {
    const other = await loopback((_request, response) => response.end('other origin'));
    const server = await loopback((request, response) => {
      if (request.url === '/moved') return void response.writeHead(307, { location: '/here' }).end();
      if (request.url === '/away') return void response.writeHead(302, { location: `${other.url}/there` }).end();
      response.end('here');
    });
    const auth: [string, string] = ['Authorization', 'Bearer tok-123456'];
    expect((await send('GET', `${server.url}/moved`, [auth])).body).toBe('here');
    expect(server.requests.map((request) => [request.url, request.headers.authorization])).toEqual([
      ['/moved', 'Bearer tok-123456'],
      ['/here', 'Bearer tok-123456'],
    ]);
    expect((await send('GET', `${server.url}/away`, [auth])).body).toBe('other origin');
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('turns a POST into a GET without a body on 303, and keeps method and body on 307', async () => {
    const server = await loopback((request, response) => {
      if (request.url === '/see-other') return void response.writeHead(303, { location: '/result' }).end();
      if (request.url === '/temporary') return void response.writeHead(307, { location: '/result' }).end();
      response.end(request.method);
    });
    expect((await send('POST', `${server.url}/see-other`, [['Content-Type', 'application/json']], '{}')).body).toBe('GET');
    expect(server.requests[1]!.headers['content-type']).toBeUndefined();
    expect((await send('POST', `${server.url}/temporary`, [], '{"a":1}')).body).toBe('POST');
    expect(server.bodies.at(-1)).toBe('{"a":1}');
  });

  it('stops after ten redirects with a message saying so', async () => {
    const server = await loopback((_request, response) => response.writeHead(302, { location: '/again' }).end());
    const error = await rejection(send('GET', `${server.url}/again`));
    expect(error.message).toBe(`GET ${server.url}/again failed: more than 10 redirects.`);
    expect(server.requests).toHaveLength(11);
  });

  it('times out a hanging endpoint with a message that names the limit', async () => {
    const server = await loopback(() => {
      /* never answers */
    });
    const error = await rejection(send('GET', `${server.url}/slow`, [], undefined, { timeoutMs: 200 }));
    expect(error.message).toBe(`GET ${server.url}/slow did not answer within 200 ms; raise the cell's "timeout" attribute or check the endpoint.`);
  });

  it('cancels when the caller aborts, and refuses to start when already aborted', async () => {
    const server = await loopback(() => {
      /* never answers */
    });
    const controller = new AbortController();
    const arrived = server.nextRequest();
    const running = rejection(send('GET', `${server.url}/slow`, [], undefined, { signal: controller.signal, timeoutMs: 30_000 }));
    await arrived;
    controller.abort();
    expect((await running).message).toBe(`Cancelled: GET ${server.url}/slow was aborted.`);
    expect((await rejection(send('GET', `${server.url}/slow`, [], undefined, { signal: controller.signal }))).message).toContain('Cancelled');
  });

  it('says which request failed when nothing listens', async () => {
    const server = await startLoopback(() => undefined);
    const url = `${server.url}/v1/services/x`;
    await server.close();
    expect((await rejection(send('GET', url))).message).toBe(`GET ${url} failed: ECONNREFUSED. Is the endpoint running and reachable?`);
  });

  it('stops reading an answer larger than the limit and says so', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const server = await loopback((_request, response) => {
      // Keeps writing until the client goes away; never more than the limit plus a little.
      let sent = 0;
      const more = () => {
        while (sent <= MAX_ANSWER_BYTES + 4 * chunk.length) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', more);
        }
        response.end();
      };
      response.on('error', () => undefined);
      more();
    });
    const error = await rejection(send('GET', `${server.url}/huge`));
    expect(error.message).toBe(`GET ${server.url}/huge failed: the answer is larger than 32 MB; Rollgate stopped reading it (narrow the request).`);
  });

  it('refuses a header value with a line break before sending anything', async () => {
    const server = await loopback((_request, response) => response.end());
    const error = await rejection(send('GET', `${server.url}/`, [['X-Bad', 'a\r\nInjected: yes']]));
    expect(error.message).toContain('failed');
    expect(server.requests).toHaveLength(0);
  });

  describe('a pooled connection the server closed', () => {
    // Each connection answers its first request and resets on the next: what a client meets when
    // the server closed an idle keep-alive connection just as the request went out.
    let sockets: Set<Socket>;
    let requestsSeen: string[];
    async function oneRequestPerConnection(): Promise<{ url: string; close(): void }> {
      sockets = new Set();
      requestsSeen = [];
      const server = createTcpServer((socket) => {
        sockets.add(socket);
        let answered = false;
        socket.on('data', (chunk: Buffer) => {
          requestsSeen.push(chunk.toString('latin1').split('\r\n')[0]!);
          if (answered) return void socket.resetAndDestroy();
          answered = true;
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\nok');
        });
        socket.on('error', () => undefined);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const handle = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => {
          for (const socket of sockets) socket.destroy();
          server.close();
        },
      };
      servers.push(handle);
      return handle;
    }

    it('is retried once on a new connection for a GET', async () => {
      const server = await oneRequestPerConnection();
      expect((await send('GET', `${server.url}/a`)).body).toBe('ok');
      expect((await send('GET', `${server.url}/b`)).body).toBe('ok');
      expect(requestsSeen).toEqual(['GET /a HTTP/1.1', 'GET /b HTTP/1.1', 'GET /b HTTP/1.1']);
    });

    it('is not retried for a POST, which may have been applied', async () => {
      const server = await oneRequestPerConnection();
      await send('GET', `${server.url}/warm`);
      const error = await rejection(send('POST', `${server.url}/v1/services/x/rollback`, [], '{}'));
      expect(error.message).toBe(`POST ${server.url}/v1/services/x/rollback failed: ECONNRESET. Is the endpoint running and reachable?`);
      expect(requestsSeen.filter((line) => line.startsWith('POST'))).toHaveLength(1);
    });
  });
});
