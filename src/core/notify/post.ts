// One POST of a notification or a gate question. Deliberately small: no redirects (a webhook that
// moved is misconfigured, and following it could carry the headers' secrets to another origin),
// one deadline for the whole exchange, and at most a few kilobytes of the answer read.
import * as http from 'node:http';
import * as https from 'node:https';

/** How much of a receiver's answer is kept (for the ledger and messages). */
export const MAX_ANSWER_BYTES = 4096;

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface PostAnswer {
  status: number;
  /** The start of the answer's body, for messages. */
  body: string;
  /** `Retry-After` in milliseconds, when the receiver sent one in seconds. */
  retryAfterMs?: number;
  durationMs: number;
}

export type PostFailureKind = 'timeout' | 'unreachable' | 'aborted' | 'invalid-url';

/** The POST got no HTTP answer. */
export class PostFailure extends Error {
  constructor(
    readonly kind: PostFailureKind,
    message: string,
    readonly durationMs: number,
  ) {
    super(message);
    this.name = 'PostFailure';
  }
}

/** Sends a POST; a function type so tests and callers can swap it. */
export type Poster = (request: PostRequest) => Promise<PostAnswer>;

/** POSTs `body` with node's http client. Resolves with any HTTP answer; rejects with {@link PostFailure}. */
export const postNotification: Poster = (request) =>
  new Promise<PostAnswer>((resolve, reject) => {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let url: URL;
    try {
      url = new URL(request.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    } catch {
      reject(new PostFailure('invalid-url', 'the target URL is not an http:// or https:// URL', 0));
      return;
    }
    if (request.signal?.aborted) {
      reject(new PostFailure('aborted', 'cancelled before sending', 0));
      return;
    }
    const body = Buffer.from(request.body, 'utf8');
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      action();
    };
    const outgoing = client.request(url, {
      method: 'POST',
      agent: false,
      headers: { ...request.headers, 'content-length': String(body.length) },
    });
    const fail = (kind: PostFailureKind, message: string) => {
      finish(() => reject(new PostFailure(kind, message, elapsed())));
      outgoing.destroy();
    };
    const timer = setTimeout(() => fail('timeout', `no answer within ${request.timeoutMs} ms`), request.timeoutMs);
    const onAbort = () => fail('aborted', 'cancelled');
    request.signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (error: NodeJS.ErrnoException) => fail('unreachable', `${error.code ?? 'error'}: ${error.message}`));
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const done = () => {
        const retryAfter = Number(incoming.headers['retry-after']);
        finish(() =>
          resolve({
            status: incoming.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
            durationMs: elapsed(),
          }),
        );
      };
      incoming.on('data', (chunk: Buffer) => {
        if (kept >= MAX_ANSWER_BYTES) return;
        const piece = chunk.subarray(0, MAX_ANSWER_BYTES - kept);
        chunks.push(piece);
        kept += piece.length;
        // The status is what matters; a receiver streaming a large answer is not waited for.
        if (kept >= MAX_ANSWER_BYTES) {
          done();
          incoming.destroy();
        }
      });
      incoming.on('end', done);
      incoming.on('error', done);
    });
    outgoing.end(body);
  });
