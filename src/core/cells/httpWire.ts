// The exact request an http cell puts on the wire, computed by one pure function that the sender
// sends and the dry run, `--format json` and the ledger show: what is recorded is what is sent.
import { createHash } from 'node:crypto';

import type { HttpRequest, RequestSummary } from './types';

/** Methods whose requests node's client frames with a body even when there is none. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Recorded bodies above this size keep their length and digest, not their text. */
export const RECORDED_BODY_TEXT_LIMIT = 64 * 1024;

/** One request as written to the socket: the headers in order, with every one Rollgate adds. */
export interface WireRequest {
  method: string;
  url: URL;
  /** `path?query` of the request line. */
  target: string;
  headers: Array<[string, string]>;
  body?: Buffer;
}

const has = (headers: Array<[string, string]>, name: string) => headers.some(([header]) => header.toLowerCase() === name);

function bodyBytes(body: HttpRequest['body']): Buffer | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}

/**
 * What goes on the wire for `request`: `Host` first (unless the cell set one), the cell's headers
 * in order (a `Content-Length` it wrote is replaced by the real one, as REST Client does), then
 * `Accept: *∕*` and `User-Agent: rollgate` unless set, `Content-Type: text/plain;charset=UTF-8` for
 * a body without one (what `fetch` sent), `Content-Length`, and `Connection: keep-alive`.
 * Throws on a URL that is not http(s).
 */
export function wireRequest(request: HttpRequest): WireRequest {
  const url = new URL(request.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('only http:// and https:// URLs can be sent');
  const body = bodyBytes(request.body);
  const written = request.headers.filter(([name]) => name.toLowerCase() !== 'content-length');
  const headers: Array<[string, string]> = [];
  if (!has(written, 'host')) headers.push(['Host', url.host]);
  headers.push(...written);
  if (!has(written, 'accept')) headers.push(['Accept', '*/*']);
  if (!has(written, 'user-agent')) headers.push(['User-Agent', 'rollgate']);
  if (body && !has(written, 'content-type')) headers.push(['Content-Type', 'text/plain;charset=UTF-8']);
  if (body) headers.push(['Content-Length', String(body.length)]);
  else if (BODY_METHODS.has(request.method)) headers.push(['Content-Length', '0']);
  if (!has(written, 'connection')) headers.push(['Connection', 'keep-alive']);
  return { method: request.method, url, target: `${url.pathname}${url.search}`, headers, ...(body ? { body } : {}) };
}

/** `sha256:<hex>` of a body, as recorded. */
export function bodyDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * The record of a wire request: method, URL, every header in order and the body, as text when it
 * is UTF-8 and not too long, always with its length; with its digest unless `secretBody` (a
 * digest of a body holding a secret would let anyone test guesses of the secret).
 */
export function summarizeWire(wire: WireRequest, options: { secretBody?: boolean } = {}): RequestSummary {
  const summary: RequestSummary = { method: wire.method, url: wire.url.href, headers: wire.headers.map(([name, value]) => [name, value]) };
  if (wire.body) {
    const text = wire.body.length <= RECORDED_BODY_TEXT_LIMIT ? asText(wire.body) : undefined;
    if (text !== undefined) summary.body = text;
    summary.bodyBytes = wire.body.length;
    if (!options.secretBody) summary.bodySha256 = bodyDigest(wire.body);
  }
  return summary;
}
