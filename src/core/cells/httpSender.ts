// Sends http cells with node:http / node:https over keep-alive connections. undici's `fetch` in
// Node 20 costs about twice as much per request as the http module on loopback (bench/httpCell
// measures both); an on-call engineer re-running a status cell should wait for the endpoint,
// not for the client. What `fetch` did for cells is kept: redirects are followed (dropping
// credentials across origins), compressed answers are decoded, one deadline covers the whole
// exchange (decoding included) and the caller's signal cancels it.
import * as http from 'node:http';
import * as https from 'node:https';

import { AnswerTooLargeError, MAX_ANSWER_BYTES, readDecoded, UndecodableAnswerError } from '../endpoints/bounded';
import { errorMessage } from '../errors';
import { CREDENTIAL_HEADERS } from './redact';
import type { HttpResponse, HttpSender, RedirectHop } from './types';
import { wireRequest, type WireRequest } from './httpWire';

export { MAX_ANSWER_BYTES };

const MAX_REDIRECTS = 10;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Headers that describe a body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);
/** A connection the server closed while it sat idle in the pool fails like this on reuse. */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

// Idle pooled connections are closed after 4 s: earlier than the 5 s most servers (Node's
// default) allow, so a request rarely meets a connection the server is closing.
const agents = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 }),
};

/** One request of an exchange, and the names of the headers never to carry to another origin. */
interface Exchange {
  wire: WireRequest;
  guarded: Set<string>;
  secretBody: boolean;
}

class Cancelled extends Error {}
/** A problem with the answer itself, not with reaching the endpoint: said without the reachability hint. */
class BadAnswer extends Error {}

/** Sends requests with node's http client; a timeout and the caller's signal both abort it. */
export const nodeHttpSender: HttpSender = {
  async send(request, options) {
    const where = `${request.method} ${request.url}`;
    let wire: WireRequest;
    try {
      wire = wireRequest(request);
    } catch (error) {
      throw new Error(`${where} failed: ${error instanceof TypeError && /http/.test(error.message) ? error.message : 'not a valid URL'}.`);
    }
    if (options.signal?.aborted) throw new Error(`Cancelled: ${where} was aborted.`);

    // One deadline and one cancellation for the whole exchange, redirects and decoding included.
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
      const guarded = new Set([...CREDENTIAL_HEADERS, ...(request.secretHeaders ?? []).map((name) => name.toLowerCase())]);
      let exchange: Exchange = { wire, guarded, secretBody: request.secretBody === true };
      const redirects: RedirectHop[] = [];
      for (;;) {
        const answer = await Promise.race([sendWithOneRetry(exchange.wire, onSent), stopped]);
        const location = answer.headers.location;
        if (options.followRedirects === false || !isRedirect(answer.status) || typeof location !== 'string') {
          // Reading and decoding the answer runs under the same deadline as the rest.
          return await Promise.race([toResponse(answer, exchange.wire.method, redirects), stopped]);
        }
        answer.body.destroy();
        if (redirects.length === MAX_REDIRECTS) throw new BadAnswer(`more than ${MAX_REDIRECTS} redirects`);
        exchange = redirected(exchange, answer.status, new URL(location, exchange.wire.url));
        redirects.push({ status: answer.status, method: exchange.wire.method, url: exchange.wire.url.href });
      }
    } catch (error) {
      if (timedOut) throw new Error(`${where} did not answer within ${options.timeoutMs ?? 0} ms; raise the cell's "timeout" attribute or check the endpoint.`);
      if (options.signal?.aborted || error instanceof Cancelled) throw new Error(`Cancelled: ${where} was aborted.`);
      if (error instanceof BadAnswer || error instanceof AnswerTooLargeError || error instanceof UndecodableAnswerError) {
        throw new Error(`${where} failed: ${error.message}.`);
      }
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`${where} failed: ${code ?? errorMessage(error)}. Is the endpoint running and reachable?`);
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  },
};

interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  /** The body, not yet read: it is decoded (bounded) only for the final answer. */
  body: http.IncomingMessage;
}

/**
 * Sends once; a safe request that fails on a pooled connection the server had already closed is
 * sent again on a new one. A mutating request is never repeated: it may have been applied.
 */
async function sendWithOneRetry(wire: WireRequest, onSent: (request: http.ClientRequest) => void): Promise<Answer> {
  try {
    return await sendOnce(wire, onSent, false);
  } catch (error) {
    const stale = (error as { reusedSocket?: boolean }).reusedSocket === true && STALE_CONNECTION_CODES.has((error as NodeJS.ErrnoException).code ?? '');
    if (!stale || !SAFE_METHODS.has(wire.method)) throw error;
    return sendOnce(wire, onSent, true);
  }
}

function sendOnce(wire: WireRequest, onSent: (request: http.ClientRequest) => void, freshConnection: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const secure = wire.url.protocol === 'https:';
    // Headers go as a flat list, exactly as `wireRequest` made them: node adds none of its own.
    const headers = wire.headers.flat();
    let request: http.ClientRequest;
    try {
      request = (secure ? https : http).request(wire.url, {
        method: wire.method,
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
      resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: response.headers, body: response });
    });
    request.end(wire.body);
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * The next request of a redirect, as fetch follows it; on another origin without any header that
 * carries a credential or a secret. A body holding a secret is never sent to another origin.
 */
function redirected(previous: Exchange, status: number, target: URL): Exchange {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new BadAnswer(`a redirect to ${target.protocol} URLs is not followed`);
  const wire = previous.wire;
  const becomesGet = status === 303 ? wire.method !== 'GET' && wire.method !== 'HEAD' : (status === 301 || status === 302) && wire.method === 'POST';
  const sameOrigin = target.origin === wire.url.origin;
  const keepsBody = !becomesGet && wire.body !== undefined;
  if (!sameOrigin && keepsBody && previous.secretBody) {
    throw new BadAnswer(`the endpoint redirected to another origin (${target.origin}) with a ${status}, which would send the body again, and the body holds a secret; Rollgate did not follow it`);
  }
  const headers = wire.headers.filter(([name]) => {
    const lower = name.toLowerCase();
    if (lower === 'host') return false;
    if (becomesGet && BODY_HEADERS.has(lower)) return false;
    return sameOrigin || !previous.guarded.has(lower);
  });
  const next: WireRequest = {
    method: becomesGet ? 'GET' : wire.method,
    url: target,
    target: `${target.pathname}${target.search}`,
    headers: [['Host', target.host], ...headers],
    ...(keepsBody ? { body: wire.body! } : {}),
  };
  return { wire: next, guarded: previous.guarded, secretBody: previous.secretBody && keepsBody };
}

async function toResponse(answer: Answer, method: string, redirects: RedirectHop[]): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  let body = '';
  if (method === 'HEAD') answer.body.resume();
  else body = utf8.decode(await readDecoded(answer.body, headers['content-encoding'], MAX_ANSWER_BYTES));
  return { status: answer.status, statusText: answer.statusText, headers, body, ...(redirects.length > 0 ? { redirects } : {}) };
}

/** UTF-8 text as `Response.text()` gives it: a leading byte-order mark dropped, bad bytes replaced. */
const utf8 = new TextDecoder('utf-8');
