// Timeouts, cancellation, retries and error messages of the endpoint clients, against tiny
// loopback servers that inject transport faults (never answering, 503 then 200, echoing a
// token). They stand in for a broken network, not for Prometheus or the deployment endpoint.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { DeploymentClient, EndpointHttpClient, PrometheusClient } from '../../../src/core/endpoints/index';
import { freePort } from '../../../src/dev/index';
import { rejection } from '../../support/rejection';

interface FaultServer {
  url: string;
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function faultServer(handler: (request: IncomingMessage, response: ServerResponse, count: number) => void): Promise<FaultServer> {
  const requests: FaultServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    request.resume();
    handler(request, response, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result: FaultServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  servers.push(result);
  return result;
}

/** A server that accepts connections and never answers. */
const silentServer = () => faultServer(() => undefined);

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const validState = {
  service: 'churn-scorer',
  stable: '41',
  phase: 'stable',
  versions: [{ version: '41', artifact: 's3://m/41', digest: 'sha256:x', weight: 100, mirror: 0 }],
  updatedAt: '2025-01-01T00:00:00.000Z',
};

/** 503 on the first request, then a valid service state. */
const flakyServer = () => faultServer((_request, response, count) => (count === 1 ? json(response, 503, { error: { code: 'unavailable', message: 'restarting' } }) : json(response, 200, validState)));

const noWait = async (): Promise<void> => undefined;

describe('dead and slow endpoints', () => {
  it('a closed port gives an "unreachable" error naming the endpoint and what to do', async () => {
    const port = await freePort();
    const client = new DeploymentClient({ baseUrl: `http://127.0.0.1:${port}`, service: 'churn-scorer', timeoutMs: 1000, sleep: noWait });
    const started = Date.now();
    const error = await rejection(client.getService());
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.endpoint).toBe('deployment');
    expect(error.kind).toBe('unreachable');
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.attempts).toBe(3);
    expect(error.url).toBe(`http://127.0.0.1:${port}/v1/services/churn-scorer`);
    expect(error.message).toBe(
      `deployment endpoint http://127.0.0.1:${port} is unreachable (GET /v1/services/churn-scorer): connection refused, nothing is listening there. Tried 3 times. Is \`rollgate dev\` running, and is endpoints.deployment.url right?`,
    );
  });

  it('an endpoint that never answers times out within the configured timeout', async () => {
    const server = await silentServer();
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', timeoutMs: 300 });
    const started = Date.now();
    // A POST without Idempotency-Key is never repeated, so one attempt bounds the wait.
    const error = await rejection(client.rollback('41', 'drill'));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(error.kind).toBe('timeout');
    expect(error.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(error.message).toBe(`deployment endpoint ${server.url} did not answer within 300ms (POST /v1/services/churn-scorer/rollback). Is \`rollgate dev\` running, and is endpoints.deployment.url right?`);
  });

  it('a slow GET fails after one timeout by default, though GETs are retried otherwise', async () => {
    const server = await silentServer();
    const client = new PrometheusClient({ baseUrl: server.url, timeoutMs: 300, sleep: noWait });
    const started = Date.now();
    const error = await rejection(client.query('up'));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toMatchObject({ kind: 'timeout', attempts: 1 });
    expect(server.requests).toHaveLength(1);
    expect(error.message).toBe(
      `metric endpoint (Prometheus) ${server.url} did not answer within 300ms (GET /api/v1/query). Is Prometheus running (\`rollgate dev\` starts one when the \`prometheus\` binary is installed), and is endpoints.metrics.url right?`,
    );
  });

  it('with retryOnTimeout a slow read is repeated, bounded by the retry count', async () => {
    const server = await silentServer();
    const client = new PrometheusClient({ baseUrl: server.url, timeoutMs: 250, retries: 1, retryOnTimeout: true, sleep: noWait });
    const started = Date.now();
    const error = await rejection(client.query('up'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.endpoint).toBe('metrics');
    expect(error.kind).toBe('timeout');
    expect(error.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
    expect(error.message).toContain(`metric endpoint (Prometheus) ${server.url} did not answer within 250ms (GET /api/v1/query). Tried 2 times.`);
    expect(error.message).toContain('Is Prometheus running');
  });

  it('a server that sends headers and then stalls the body also times out', async () => {
    const server = await faultServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"status":');
    });
    const client = new PrometheusClient({ baseUrl: server.url, timeoutMs: 300, retries: 0 });
    const error = await rejection(client.query('up'));
    expect(error.kind).toBe('timeout');
  });
});

describe('retries only for repeatable calls', () => {
  it('retries a GET after a 503 and succeeds', async () => {
    const server = await flakyServer();
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', sleep: noWait });
    await expect(client.getService()).resolves.toEqual(validState);
    expect(server.requests.map((request) => request.method)).toEqual(['GET', 'GET']);
  });

  it('retries a PUT (idempotent by method)', async () => {
    const server = await flakyServer();
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', sleep: noWait });
    await client.setTraffic({ '41': 100 });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a POST without Idempotency-Key', async () => {
    const server = await flakyServer();
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', sleep: noWait });
    const error = await rejection(client.rollback('41', 'drill'));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('http');
    expect(error.status).toBe(503);
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain(`deployment endpoint ${server.url} answered 503 unavailable: restarting (POST /v1/services/churn-scorer/rollback).`);
  });

  it('retries a POST that carries an Idempotency-Key, with the same key each time', async () => {
    const server = await flakyServer();
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', sleep: noWait });
    await client.rollback('41', 'drill', { idempotencyKey: 'rollback-7' });
    expect(server.requests).toHaveLength(2);
    expect(server.requests.map((request) => request.headers['idempotency-key'])).toEqual(['rollback-7', 'rollback-7']);
  });

  it('a connection dropped without an answer is retried for a GET and reported for a plain POST', async () => {
    const dropFirst = await faultServer((request, response, count) => (count === 1 ? request.socket.destroy() : json(response, 200, validState)));
    const client = new DeploymentClient({ baseUrl: dropFirst.url, service: 'churn-scorer', sleep: noWait });
    await expect(client.getService()).resolves.toEqual(validState);
    expect(dropFirst.requests).toHaveLength(2);
    const dropAll = await faultServer((request) => request.socket.destroy());
    const error = await rejection(new DeploymentClient({ baseUrl: dropAll.url, service: 'churn-scorer', sleep: noWait }).registerVersion({ version: '43', artifact: 'a', digest: 'd' }));
    expect(dropAll.requests).toHaveLength(1);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain('is unreachable (POST /v1/services/churn-scorer/versions): the connection was closed before an answer arrived.');
  });

  it('does not retry a client error', async () => {
    const server = await faultServer((_request, response) => json(response, 422, { error: { code: 'unknown_version', message: 'no 99' } }));
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', sleep: noWait });
    const error = await rejection(client.setTraffic({ '99': 100 }));
    expect(server.requests).toHaveLength(1);
    expect(error.status).toBe(422);
  });

  it('backs off exponentially with jitter, bounded by the retry count', async () => {
    const port = await freePort();
    const delays: number[] = [];
    const client = new EndpointHttpClient('deployment', {
      baseUrl: `http://127.0.0.1:${port}`,
      retries: 3,
      backoffMs: 100,
      maxBackoffMs: 300,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const error = await rejection(client.send({ method: 'GET', path: '/x' }));
    expect(error.attempts).toBe(4);
    // Equal jitter with random 0.5: three quarters of 100, 200, then the 300 cap.
    expect(delays).toEqual([75, 150, 225]);
  });
});

describe('cancellation', () => {
  it('an AbortSignal cancels a pending call promptly, without retrying', async () => {
    const server = await silentServer();
    const client = new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', timeoutMs: 10_000 });
    const controller = new AbortController();
    const started = Date.now();
    const pending = rejection(client.getService({ signal: controller.signal }));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (server.requests.length > 0) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    controller.abort();
    const error = await pending;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(1);
    expect(error.message).toBe(`GET /v1/services/churn-scorer to deployment endpoint ${server.url} was cancelled.`);
  });

  it('an already aborted signal sends nothing', async () => {
    const server = await silentServer();
    const client = new PrometheusClient({ baseUrl: server.url });
    const error = await rejection(client.query('up', undefined, { signal: AbortSignal.abort() }));
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(0);
  });

  it('aborting during a backoff stops the retries', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const client = new DeploymentClient({ baseUrl: `http://127.0.0.1:${port}`, service: 's', backoffMs: 60_000, maxBackoffMs: 60_000 });
    const pending = rejection(client.getService({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const error = await pending;
    expect(error.kind).toBe('aborted');
    expect(error.attempts).toBe(1);
  });
});

describe('tokens stay secret', () => {
  const token = 'tok-3f9a1c77e2d94b1d';

  it('sends the token as a bearer header only', async () => {
    const server = await faultServer((_request, response) => json(response, 200, validState));
    await new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', token }).getService();
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(server.requests[0]?.url).not.toContain(token);
  });

  it('scrubs a token the server echoes back from the error message', async () => {
    const server = await faultServer((request, response) => json(response, 401, { error: { code: 'unauthorized', message: `token ${String(request.headers.authorization)} is not accepted` } }));
    const error = await rejection(new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer', token }).getService());
    expect(error.status).toBe(401);
    expect(error.message).toContain('token Bearer [redacted] is not accepted');
    expect(error.message).toContain('Check the bearer token');
    for (const text of [error.message, error.stack ?? '', JSON.stringify(error), String(error.cause ?? '')]) expect(text).not.toContain(token);
  });

  it('timeout and unreachable errors do not carry the token either', async () => {
    const silent = await silentServer();
    const port = await freePort();
    const timeout = await rejection(new PrometheusClient({ baseUrl: silent.url, token, timeoutMs: 200, retries: 0 }).query('up'));
    const unreachable = await rejection(new PrometheusClient({ baseUrl: `http://127.0.0.1:${port}`, token, retries: 0 }).query('up'));
    for (const error of [timeout, unreachable]) {
      expect(`${error.message} ${error.stack} ${JSON.stringify(error)} ${String(error.cause ?? '')}`).not.toContain(token);
    }
  });
});

describe('configuration mistakes', () => {
  it('a base URL that is not an http URL is an EndpointError, not a crash', async () => {
    for (const baseUrl of ['127.0.0.1:8700', 'ftp://127.0.0.1:8700', '']) {
      const error = await rejection(new DeploymentClient({ baseUrl, service: 'churn-scorer' }).getService());
      expect(error).toMatchObject({ kind: 'unreachable', code: 'invalid_url', attempts: 0 });
      expect(error.message).toContain('check endpoints.deployment.url, e.g. http://127.0.0.1:8700');
    }
  });
});

describe('malformed answers', () => {
  it('a deployment endpoint that answers with something else is reported as malformed', async () => {
    const server = await faultServer((_request, response) => json(response, 200, { service: 'churn-scorer', versions: 'many' }));
    const error = await rejection(new DeploymentClient({ baseUrl: server.url, service: 'churn-scorer' }).getService());
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('with a body that is not a service state');
    expect(error.message).toContain('Is ' + server.url + ' really a Rollgate deployment endpoint');
  });

  it('an HTML page where Prometheus should be is reported as malformed', async () => {
    const server = await faultServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>login</html>');
    });
    const error = await rejection(new PrometheusClient({ baseUrl: server.url }).query('up'));
    expect(error.kind).toBe('malformed');
    expect(error.endpoint).toBe('metrics');
    expect(error.message).toContain('really a Prometheus server');
  });
});
