import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { apiError, type ApiResult, type DevDeployment } from './deploymentState';
import type { ModelSimulator } from './simulator';
import { errorMessage } from '../core/errors';

export interface DevServerOptions {
  deployment: DevDeployment;
  simulator: ModelSimulator;
  /** When set, every `/v1/...` call must carry `Authorization: Bearer <token>`. */
  token?: string;
}

export interface DevServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const maxBodyBytes = 1_000_000;
const maxRememberedKeys = 1000;
/** Keys are remembered: bound them (the contract says at most 255 characters). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** A body over the limit is read and dropped up to this much, so the 413 reaches the client; beyond, the connection is cut. */
const maxDrainedBytes = 64 * 1024 * 1024;

interface RememberedAnswer {
  fingerprint: string;
  result: ApiResult;
}

/**
 * One HTTP server on 127.0.0.1 for the whole simulated service: the router (`POST /predict`),
 * the metrics (`GET /metrics`), the deployment contract (`/v1/services/...`) and fault injection
 * (`/v1/faults`).
 */
export async function startDevServer(port: number, options: DevServerOptions): Promise<DevServer> {
  const { deployment, simulator } = options;
  const token = options.token === '' ? undefined : options.token;
  // Idempotency-Key -> the first answer; a Map keeps insertion order, so the oldest goes first.
  const remembered = new Map<string, RememberedAnswer>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';

    if (path === '/metrics' && method === 'GET') {
      const text = await simulator.metrics();
      response.writeHead(200, { 'content-type': simulator.registry.contentType });
      response.end(text);
      return;
    }
    if (path === '/healthz' && method === 'GET') return send(response, { status: 200, body: { ok: true } });
    if (path === '/predict') {
      if (method !== 'POST') return send(response, apiError(405, 'method_not_allowed', 'use POST /predict'));
      const prediction = await simulator.route();
      if (prediction.status === 500) {
        return send(response, apiError(500, 'model_error', `version ${prediction.version} failed to score the request`), { 'x-rollgate-version': prediction.version });
      }
      return send(response, { status: 200, body: prediction }, { 'x-rollgate-version': prediction.version });
    }
    if (!path.startsWith('/v1/')) return send(response, apiError(404, 'not_found', `no route ${method} ${path}`));

    if (token !== undefined && !authorised(request.headers.authorization, token)) {
      return send(response, apiError(401, 'unauthorized', 'this endpoint needs an "Authorization: Bearer <token>" header with the configured token'), {
        'www-authenticate': 'Bearer realm="rollgate-dev"',
      });
    }

    let raw: string;
    try {
      raw = await readBody(request);
    } catch {
      // Answered, not reset: the client learns why. The connection is closed after it.
      return send(response, apiError(413, 'body_too_large', `request bodies are limited to ${maxBodyBytes} bytes`), { connection: 'close' });
    }
    let body: unknown;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(response, apiError(400, 'invalid_json', 'the request body is not valid JSON'));
      }
    }

    const key = headerValue(request.headers['idempotency-key']);
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      return send(response, apiError(400, 'invalid_idempotency_key', 'an Idempotency-Key is 1 to 255 printable ASCII characters'));
    }
    const mutating = method !== 'GET' && method !== 'HEAD';
    if (mutating && key !== undefined) {
      const fingerprint = createHash('sha256')
        .update(`${method} ${path}\n${body === undefined ? '' : JSON.stringify(body)}`)
        .digest('hex');
      const earlier = remembered.get(key);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          return send(response, apiError(409, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different request; use a new key for a new action'));
        }
        return send(response, earlier.result, { 'idempotent-replayed': 'true' });
      }
      const result = route(method, path, body);
      remembered.set(key, { fingerprint, result });
      if (remembered.size > maxRememberedKeys) remembered.delete(remembered.keys().next().value as string);
      return send(response, result);
    }
    return send(response, route(method, path, body));
  };

  const route = (method: string, path: string, body: unknown): ApiResult => {
    if (path === '/v1/faults') {
      switch (method) {
        case 'GET':
          return { status: 200, body: { faults: simulator.faults() } };
        case 'POST': {
          const problem = simulator.checkFault(body);
          if (problem) return apiError(422, 'invalid_fault', problem);
          simulator.injectFault(body as { version: string });
          return { status: 200, body: { faults: simulator.faults() } };
        }
        case 'DELETE':
          simulator.clearFaults();
          return { status: 200, body: { faults: [] } };
        default:
          return apiError(405, 'method_not_allowed', 'use GET, POST or DELETE /v1/faults');
      }
    }
    const match = /^\/v1\/services\/([^/]+)(\/[a-z]+)?$/.exec(path);
    if (!match) return apiError(404, 'not_found', `no route ${method} ${path}`);
    const service = decodeURIComponent(match[1] ?? '');
    if (service !== deployment.service) {
      return apiError(404, 'service_not_found', `no service "${service}" here; this endpoint serves "${deployment.service}"`);
    }
    const action = match[2] ?? '';
    const allowed: Record<string, [string, () => ApiResult]> = {
      '': ['GET', () => ({ status: 200, body: deployment.snapshot() })],
      '/traffic': ['PUT', () => deployment.setTraffic(body)],
      '/rollback': ['POST', () => deployment.rollback(body)],
      '/versions': ['POST', () => deployment.registerVersion(body)],
      '/pause': ['POST', () => deployment.pause(body ?? {})],
      '/resume': ['POST', () => deployment.resume()],
    };
    const entry = allowed[action];
    if (!entry) return apiError(404, 'not_found', `no route ${method} ${path}`);
    if (entry[0] !== method) return apiError(405, 'method_not_allowed', `use ${entry[0]} ${path}`);
    return entry[1]();
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, apiError(500, 'internal_error', errorMessage(error)));
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on 127.0.0.1 is already in use (another \`rollgate dev\`?); choose another with --port, or --port 0 for a free one`) : error);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, result: ApiResult, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(result.body);
  response.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function authorised(header: string | undefined, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(request.headers['content-length'] ?? 0) > maxBodyBytes;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      if (size > maxDrainedBytes) {
        request.destroy();
        reject(new Error('body too large'));
        return;
      }
      // Over the limit the rest is read and dropped, so the client is still reading when the 413 comes.
      if (!tooLarge) chunks.push(chunk);
    });
    request.on('end', () => (tooLarge ? reject(new Error('body too large')) : resolve(Buffer.concat(chunks).toString('utf8'))));
    request.on('error', reject);
  });
}
