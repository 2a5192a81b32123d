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
 * answers 200 for HAProxy's health check.
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
