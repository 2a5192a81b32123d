// Sends http cells with node:http / node:https over keep-alive connections. undici's `fetch` in
// Node 20 costs about twice as much per request as the http module on loopback (bench/httpCell
// measures both); an on-call engineer re-running a status cell should wait for the endpoint,
// not for the client. What `fetch` did for cells is kept: redirects are followed (dropping
// credentials across origins), compressed answers are decoded, one deadline covers the whole
// exchange and the caller's signal cancels it.
import * as http from 'node:http';
import * as https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

import type { HttpRequest, HttpResponse, HttpSender } from './types';
import { errorMessage } from '../errors';

const MAX_REDIRECTS = 10;
/** An answer larger than this is not read to the end: a cell's output is for a person to read. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Headers that describe a body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);
/** Headers that carry credentials, never sent on to another origin by a redirect. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
/** A connection the server closed while it sat idle in the pool fails like this on reuse. */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

// Idle pooled connections are closed after 4 s: earlier than the 5 s most servers (Node's
// default) allow, so a request rarely meets a connection the server is closing.
const agents = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 }),
};

interface Exchange {
  method: string;
  url: URL;
  headers: Array<[string, string]>;
  body?: Buffer;
}

class Cancelled extends Error {}
/** A problem with the answer itself, not with reaching the endpoint: said without the reachability hint. */
class BadAnswer extends Error {}

/** Sends requests with node's http client; a timeout and the caller's signal both abort it. */
export const nodeHttpSender: HttpSender = {
  async send(request, options) {
    const where = `${request.method} ${request.url}`;
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new Error(`${where} failed: not a valid URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where} failed: only http:// and https:// URLs can be sent.`);
    if (options.signal?.aborted) throw new Error(`Cancelled: ${where} was aborted.`);

    // One deadline and one cancellation for the whole exchange, redirects included.
    let current: http.ClientRequest | undefined;
    let stop: ((reason: Error) => void) | undefined;
    let stoppedBy: Error | undefined;
    let timedOut = false;
    const abort = (reason: Error) => {
      stoppedBy = reason;
      stop?.(reason);
      current?.destroy(reason);
    };
    // A request made after the abort (a redirect's, a retry's) is destroyed as soon as it exists.
    const onSent = (sent: http.ClientRequest) => {
      current = sent;
      if (stoppedBy) sent.destroy(stoppedBy);
    };
    const onAbort = () => abort(new Cancelled());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            abort(new Cancelled());
          }, options.timeoutMs)
        : undefined;
    const stopped = new Promise<never>((_resolve, reject) => {
      stop = reject;
    });
    stopped.catch(() => undefined);

    try {
      let exchange = firstExchange(request, url);
      for (let redirects = 0; ; redirects++) {
        const answer = await Promise.race([sendWithOneRetry(exchange, onSent), stopped]);
        const location = answer.headers.location;
        if (!isRedirect(answer.status) || typeof location !== 'string') return toResponse(answer, exchange.method);
        if (redirects === MAX_REDIRECTS) throw new BadAnswer(`more than ${MAX_REDIRECTS} redirects`);
        exchange = redirected(exchange, answer.status, new URL(location, exchange.url));
      }
    } catch (error) {
      if (timedOut) throw new Error(`${where} did not answer within ${options.timeoutMs ?? 0} ms; raise the cell's "timeout" attribute or check the endpoint.`);
      if (options.signal?.aborted || error instanceof Cancelled) throw new Error(`Cancelled: ${where} was aborted.`);
      if (error instanceof BadAnswer) throw new Error(`${where} failed: ${error.message}.`);
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`${where} failed: ${code ?? (errorMessage(error))}. Is the endpoint running and reachable?`);
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  },
};

function firstExchange(request: HttpRequest, url: URL): Exchange {
  const headers = [...request.headers];
  const has = (name: string) => headers.some(([header]) => header.toLowerCase() === name);
  if (!has('accept')) headers.push(['Accept', '*/*']);
  if (!has('user-agent')) headers.push(['User-Agent', 'rollgate']);
  const hasBody = request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD';
  // What fetch sent for a string body; servers that need JSON say so and the cell sets it.
  if (hasBody && !has('content-type')) headers.push(['Content-Type', 'text/plain;charset=UTF-8']);
  return { method: request.method, url, headers, ...(hasBody ? { body: Buffer.from(request.body!, 'utf8') } : {}) };
}

interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Sends once; a safe request that fails on a pooled connection the server had already closed is
 * sent again on a new one. A mutating request is never repeated: it may have been applied.
 */
async function sendWithOneRetry(exchange: Exchange, onSent: (request: http.ClientRequest) => void): Promise<Answer> {
  try {
    return await sendOnce(exchange, onSent, false);
  } catch (error) {
    const stale = (error as { reusedSocket?: boolean }).reusedSocket === true && STALE_CONNECTION_CODES.has((error as NodeJS.ErrnoException).code ?? '');
    if (!stale || !SAFE_METHODS.has(exchange.method)) throw error;
    return sendOnce(exchange, onSent, true);
  }
}

function sendOnce(exchange: Exchange, onSent: (request: http.ClientRequest) => void, freshConnection: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const secure = exchange.url.protocol === 'https:';
    // Headers go as a flat list so a repeated header is sent as written; node then adds no Host of its own.
    const headers: string[] = [];
    if (!exchange.headers.some(([name]) => name.toLowerCase() === 'host')) headers.push('Host', exchange.url.host);
    for (const [name, value] of exchange.headers) headers.push(name, value);
    if (exchange.body && !exchange.headers.some(([name]) => name.toLowerCase() === 'content-length')) headers.push('Content-Length', String(exchange.body.length));
    let request: http.ClientRequest;
    try {
      request = (secure ? https : http).request(exchange.url, {
        method: exchange.method,
        headers,
        agent: freshConnection ? false : agents[secure ? 'https:' : 'http:'],
      });
    } catch (error) {
      // Invalid header names or values are refused before anything is sent.
      reject(error);
      return;
    }
    onSent(request);
    request.on('error', (error: Error & { reusedSocket?: boolean }) => {
      error.reusedSocket = request.reusedSocket;
      reject(error);
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          request.destroy(new BadAnswer(`the answer is larger than ${MAX_ANSWER_BYTES / (1024 * 1024)} MB; Rollgate stopped reading it (narrow the request)`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('aborted', () => reject(Object.assign(new Error('the connection closed before the whole answer arrived'), { code: 'ECONNRESET' })));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.end(exchange.body);
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** The next request of a redirect, as fetch follows it. */
function redirected(previous: Exchange, status: number, target: URL): Exchange {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new BadAnswer(`a redirect to ${target.protocol} URLs is not followed`);
  const becomesGet = status === 303 ? previous.method !== 'GET' && previous.method !== 'HEAD' : (status === 301 || status === 302) && previous.method === 'POST';
  const sameOrigin = target.origin === previous.url.origin;
  const headers = previous.headers.filter(([name]) => {
    const lower = name.toLowerCase();
    if (lower === 'host') return false;
    if (becomesGet && BODY_HEADERS.has(lower)) return false;
    return sameOrigin || !CREDENTIAL_HEADERS.has(lower);
  });
  return { method: becomesGet ? 'GET' : previous.method, url: target, headers, ...(!becomesGet && previous.body ? { body: previous.body } : {}) };
}

function toResponse(answer: Answer, method: string): HttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const body = method === 'HEAD' ? '' : decodeText(decompress(answer.body, headers['content-encoding']));
  return { status: answer.status, statusText: answer.statusText, headers, body };
}

function decompress(body: Buffer, encoding: string | undefined): Buffer {
  if (!encoding || body.length === 0) return body;
  // Encodings apply in the order listed; undo them last to first.
  let data = body;
  for (const coding of encoding.split(',').map((part) => part.trim().toLowerCase()).reverse()) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') data = gunzipSync(data);
      else if (coding === 'deflate') data = inflateDeflate(data);
      else if (coding === 'br') data = brotliDecompressSync(data);
      else if (coding !== 'identity') throw new BadAnswer(`the answer uses content-encoding "${coding}", which Rollgate cannot decode`);
    } catch (error) {
      if (error instanceof BadAnswer) throw error;
      throw new BadAnswer(`the answer says content-encoding "${coding}" but does not decode as such (${(error as Error).message})`);
    }
  }
  return data;
}

/** "deflate" is meant to be zlib-wrapped, but some servers send the raw stream; fetch takes both. */
function inflateDeflate(data: Buffer): Buffer {
  try {
    return inflateSync(data);
  } catch {
    return inflateRawSync(data);
  }
}

const utf8 = new TextDecoder('utf-8');

/** UTF-8 text as `Response.text()` gives it: a leading byte-order mark dropped, bad bytes replaced. */
function decodeText(body: Buffer): string {
  return utf8.decode(body);
}
