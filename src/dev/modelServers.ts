import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ModelSimulator } from './simulator';

/** One simulated model version served on its own port (what HAProxy balances over). */
export interface ModelServer {
  version: string;
  port: number;
  url: string;
}

export interface ModelServers {
  servers: ModelServer[];
  close(): Promise<void>;
}

/**
 * Serves each version as its own HTTP server on 127.0.0.1: `POST /predict` scores with that
 * version (faults injected on it apply, and its metrics count the request), `GET /healthz`
 * answers 200 for HAProxy's health check, and `/v1/faults` sets (`POST {"errorRate","latencyMs"}`),
 * reads (`GET`) and clears (`DELETE`) this version's fault: a drill that only knows a server's
 * address (from HAProxy's `show servers state`) can break that version. Like HAProxy's runtime
 * API beside them, these loopback-only dev routes take no token (the stack's `--token-env` guards
 * the deployment endpoint): a drill on an HAProxy plan has no token to send.
 */
export async function startModelServers(simulator: ModelSimulator, versions: readonly string[]): Promise<ModelServers> {
  const started: Array<{ version: string; server: Server }> = [];
  const close = async (): Promise<void> => {
    await Promise.all(
      started.map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  };
  try {
    for (const version of versions) {
      const server = createServer((request, response) => {
        answer(simulator, version, request, response).catch(() => {
          if (!response.headersSent) send(response, 500, { error: { code: 'internal_error', message: `version ${version} failed` } }, version);
          else response.destroy();
        });
      });
      server.keepAliveTimeout = 5000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      started.push({ version, server });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    servers: started.map(({ version, server }) => {
      const port = (server.address() as AddressInfo).port;
      return { version, port, url: `http://127.0.0.1:${port}` };
    }),
    close,
  };
}

async function answer(simulator: ModelSimulator, version: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  if (path === '/v1/faults') return faults(simulator, version, request, response);
  // Drain the body: the prediction does not read it, but keep-alive needs it consumed.
  request.resume();
  if (path === '/healthz') return send(response, 200, { ok: true, version }, version);
  if (path !== '/predict') return send(response, 404, { error: { code: 'not_found', message: `no route ${request.method} ${path}` } }, version);
  if (request.method !== 'POST') return send(response, 405, { error: { code: 'method_not_allowed', message: 'use POST /predict' } }, version);
  const prediction = await simulator.predict(version);
  if (prediction.status === 500) return send(response, 500, { error: { code: 'model_error', message: `version ${version} failed to score the request` } }, version);
  return send(response, 200, prediction, version);
}

function send(response: ServerResponse, status: number, body: unknown, version: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-rollgate-version': version });
  response.end(text);
}

const MAX_FAULT_BODY = 10_000;

async function faults(simulator: ModelSimulator, version: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const own = () => ({ faults: simulator.faults().filter((fault) => fault.version === version) });
  switch (request.method) {
    case 'GET':
      request.resume();
      return send(response, 200, own(), version);
    case 'DELETE':
      request.resume();
      simulator.clearFaults(version);
      return send(response, 200, own(), version);
    case 'POST': {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(request));
      } catch {
        return send(response, 400, { error: { code: 'invalid_json', message: `the request body must be a JSON object {"errorRate":0.3,"latencyMs":200} of at most ${MAX_FAULT_BODY} bytes` } }, version);
      }
      // The version is this server's; a body naming another one is a mistake, not a redirect.
      const spec = { ...(body !== null && typeof body === 'object' ? body : {}), version };
      if (body !== null && typeof body === 'object' && 'version' in body && (body as { version: unknown }).version !== version) {
        return send(response, 422, { error: { code: 'invalid_fault', message: `this server is version ${version}; it cannot set a fault on version ${String((body as { version: unknown }).version)}` } }, version);
      }
      const problem = simulator.checkFault(spec);
      if (problem) return send(response, 422, { error: { code: 'invalid_fault', message: problem } }, version);
      simulator.injectFault(spec);
      return send(response, 200, own(), version);
    }
    default:
      request.resume();
      return send(response, 405, { error: { code: 'method_not_allowed', message: 'use GET, POST or DELETE /v1/faults' } }, version);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FAULT_BODY) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
