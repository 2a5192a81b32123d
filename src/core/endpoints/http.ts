import { AnswerTooLargeError, contentCodings, MAX_ANSWER_BYTES, readWebStreamBounded } from './bounded';
import { EndpointError, type EndpointErrorKind, type EndpointName } from './errors';
import { errorMessage } from '../errors';

/** The subset of the global `fetch` the clients use; inject a wrapper to observe or fake calls. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Waits `ms` milliseconds; rejects early when `signal` aborts. Injected so tests need not wait. */
export type SleepLike = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Options shared by both endpoint clients. */
export interface EndpointClientOptions {
  /** Base URL of the endpoint, e.g. `http://127.0.0.1:8700`; a path prefix is kept. */
  baseUrl: string;
  /**
   * Bearer token, already resolved from its secret reference by the caller at send time. It is
   * sent in the `Authorization` header only and scrubbed from every error message.
   */
  token?: string;
  /** Time allowed for one attempt, from sending to the last byte of the answer. Default 5000. */
  timeoutMs?: number;
  /**
   * Extra attempts after a failure worth repeating (connection refused or reset, 429, 502, 503,
   * 504), for repeatable calls only. Default 2.
   */
  retries?: number;
  /**
   * Also repeat an attempt that timed out. Off by default, so that a call to an endpoint that
   * does not answer fails after `timeoutMs`, not after a multiple of it.
   */
  retryOnTimeout?: boolean;
  /** First backoff delay; doubles per attempt, with jitter, up to `maxBackoffMs`. Default 200. */
  backoffMs?: number;
  /** Upper bound for one backoff delay. Default 2000. */
  maxBackoffMs?: number;
  /** Largest answer read, after decoding; a larger one fails as `malformed`. Default 32 MB. */
  maxAnswerBytes?: number;
  fetch?: FetchLike;
  sleep?: SleepLike;
  /** Random source in [0, 1) for backoff jitter. */
  random?: () => number;
}

export interface EndpointRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST' | 'PATCH';
  /** Path below the base URL, starting with `/`. */
  path: string;
  query?: Record<string, string | undefined>;
  /** JSON request body. */
  json?: unknown;
  /** Form-encoded request body (Prometheus accepts queries this way). */
  form?: Record<string, string>;
  /** Sent as the `Idempotency-Key` header; makes a non-idempotent call safe to retry. */
  idempotencyKey?: string;
  /** Marks a call with a non-idempotent method as safe to repeat (a read-only POST). */
  idempotent?: boolean;
  signal?: AbortSignal;
  /** Overrides the client's per-attempt timeout for this call. */
  timeoutMs?: number;
  /** Non-success statuses handed back to the caller instead of thrown (the caller reads the body). */
  acceptStatus?: (status: number) => boolean;
}

export interface EndpointResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or `undefined` when the body is empty or not JSON. */
  body: unknown;
  /** Raw body text. */
  text: string;
  url: string;
  attempts: number;
}

const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
/** Statuses that say "try again later" rather than "this request is wrong". */
const retryableStatuses = new Set([429, 502, 503, 504]);

const endpointLabels: Record<EndpointName, string> = {
  deployment: 'deployment endpoint',
  metrics: 'metric endpoint (Prometheus)',
  flags: 'flag service',
};

const endpointHints: Record<EndpointName, string> = {
  deployment: 'Is `rollgate dev` running, and is endpoints.deployment.url right?',
  metrics: 'Is Prometheus running (`rollgate dev` starts one when the `prometheus` binary is installed), and is endpoints.metrics.url right?',
  flags: 'Is the flag service running, and is endpoints.flags.url right?',
};

const examplePorts: Record<EndpointName, number> = { deployment: 8700, metrics: 9090, flags: 4242 };

/** Formats milliseconds the way a person reads a timeout: `5s`, `1.5s`, `300ms`. */
function formatMilliseconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}

/** Abortable `setTimeout` promise; the default {@link SleepLike}. */
export const abortableSleep: SleepLike = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface AttemptFailure {
  kind: EndpointErrorKind;
  retryable: boolean;
  detail: string;
  code?: string;
  status?: number;
  cause?: unknown;
  response?: EndpointResponse;
}

/**
 * A small JSON-over-HTTP client for one endpoint: per-attempt timeout, caller cancellation,
 * bounded retries with exponential backoff and jitter for repeatable calls only, and
 * {@link EndpointError}s that say which endpoint failed, how, and what to do.
 */
export class EndpointHttpClient {
  readonly endpoint: EndpointName;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryOnTimeout: boolean;
  readonly #token: string | undefined;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #fetch: FetchLike;
  readonly #sleep: SleepLike;
  readonly #random: () => number;
  readonly #maxAnswerBytes: number;

  constructor(endpoint: EndpointName, options: EndpointClientOptions) {
    this.endpoint = endpoint;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = Math.max(0, Math.floor(options.retries ?? 2));
    this.retryOnTimeout = options.retryOnTimeout ?? false;
    this.#token = options.token === '' ? undefined : options.token;
    this.#backoffMs = options.backoffMs ?? 200;
    this.#maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    this.#maxAnswerBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  }

  /** Full URL of a request (without credentials, which travel in headers). */
  urlFor(path: string, query?: Record<string, string | undefined>): string {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  /** Sends `request`, retrying when that is safe; throws {@link EndpointError} on failure. */
  async send(request: EndpointRequest): Promise<EndpointResponse> {
    let url: string;
    try {
      url = this.urlFor(request.path, request.query);
      if (!/^https?:$/.test(new URL(url).protocol)) throw new Error('not http');
    } catch {
      const setting = `endpoints.${this.endpoint}.url`;
      throw this.fail(request, this.baseUrl, 0, {
        kind: 'unreachable',
        code: 'invalid_url',
        message: `${endpointLabels[this.endpoint]} URL "${this.baseUrl}" is not an http(s) URL (${request.method} ${request.path}); check ${setting}, e.g. http://127.0.0.1:${examplePorts[this.endpoint]}.`,
      });
    }
    const repeatable = idempotentMethods.has(request.method) || request.idempotent === true || request.idempotencyKey !== undefined;
    const maxAttempts = repeatable ? this.retries + 1 : 1;
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      if (request.signal?.aborted) throw this.#error(request, url, attempt - 1, { kind: 'aborted', retryable: false, detail: '' }, timeoutMs);
      const outcome = await this.#attempt(request, url, timeoutMs, attempt);
      if (!('kind' in outcome)) return outcome;
      if (!outcome.retryable || attempt >= maxAttempts) {
        if (outcome.response && request.acceptStatus?.(outcome.response.status)) return outcome.response;
        throw this.#error(request, url, attempt, outcome, timeoutMs);
      }
      const exponential = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempt - 1));
      // "Equal jitter": at least half the delay, so retries never hammer, randomised so that
      // many clients failing together do not retry in lockstep.
      const delay = exponential / 2 + this.#random() * (exponential / 2);
      try {
        await this.#sleep(delay, request.signal);
      } catch (cause) {
        throw this.#error(request, url, attempt, { kind: 'aborted', retryable: false, detail: '', cause }, timeoutMs);
      }
    }
  }

  async #attempt(request: EndpointRequest, url: string, timeoutMs: number, attempt: number): Promise<EndpointResponse | AttemptFailure> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'rollgate' };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(request.form).toString();
    }
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = (): void => controller.abort();
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await this.#fetch(url, { method: request.method, headers, body, signal: controller.signal, redirect: 'error' });
      // The body is read under the same timer: a server that sends headers and then stalls
      // is as stuck as one that never answers. fetch decodes gzip/deflate/br as the body is
      // read, so a bound on what is read bounds the decoding too (a "zip bomb" stops at it).
      const decoded = contentCodings(response.headers.get('content-encoding') ?? undefined).length > 0;
      let text: string;
      try {
        text = new TextDecoder('utf-8').decode(await readWebStreamBounded(response.body, decoded, this.#maxAnswerBytes));
      } catch (cause) {
        if (!(cause instanceof AnswerTooLargeError)) throw cause;
        return { kind: 'malformed', retryable: false, status: response.status, detail: cause.message, cause };
      }
      let parsed: unknown;
      if (text.trim() !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
      }
      const result: EndpointResponse = { status: response.status, headers: response.headers, body: parsed, text, url, attempts: attempt };
      if (response.ok) return result;
      const error = readContractError(parsed);
      return {
        kind: 'http',
        retryable: retryableStatuses.has(response.status),
        status: response.status,
        code: error?.code,
        detail: error?.message ?? (text.trim() === '' ? response.statusText : snippet(text)),
        response: result,
      };
    } catch (cause) {
      if (request.signal?.aborted) return { kind: 'aborted', retryable: false, detail: '', cause };
      if (timedOut) return { kind: 'timeout', retryable: this.retryOnTimeout, detail: '', cause };
      const code = networkCode(cause);
      return { kind: 'unreachable', retryable: true, code, detail: describeNetworkCode(code, cause), cause };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** Builds an {@link EndpointError} for a failure outside the transport (e.g. a malformed body). */
  fail(request: Pick<EndpointRequest, 'method' | 'path'>, url: string, attempts: number, failure: { kind: EndpointErrorKind; message: string; status?: number; code?: string; cause?: unknown }): EndpointError {
    return new EndpointError(this.redact(failure.message), {
      endpoint: this.endpoint,
      kind: failure.kind,
      url,
      method: request.method,
      status: failure.status,
      code: failure.code,
      attempts,
      cause: failure.cause,
    });
  }

  /** Describes this endpoint for messages: `deployment endpoint http://127.0.0.1:8700`. */
  describe(): string {
    return `${endpointLabels[this.endpoint]} ${this.baseUrl}`;
  }

  /** Removes the token from text that may echo it (server error messages, causes). */
  redact(text: string): string {
    return this.#token === undefined ? text : text.split(this.#token).join('[redacted]');
  }

  #error(request: EndpointRequest, url: string, attempts: number, failure: AttemptFailure, timeoutMs: number): EndpointError {
    const what = `(${request.method} ${request.path})`;
    const tries = attempts > 1 ? ` Tried ${attempts} times.` : '';
    const hint = endpointHints[this.endpoint];
    let message: string;
    switch (failure.kind) {
      case 'timeout':
        message = `${this.describe()} did not answer within ${formatMilliseconds(timeoutMs)} ${what}.${tries} ${hint}`;
        break;
      case 'unreachable':
        message = `${this.describe()} is unreachable ${what}: ${failure.detail}.${tries} ${hint}`;
        break;
      case 'aborted':
        message = `${request.method} ${request.path} to ${this.describe()} was cancelled.`;
        break;
      default: {
        const code = failure.code ? ` ${failure.code}` : '';
        message = `${this.describe()} answered ${failure.status ?? '?'}${code}: ${failure.detail} ${what}.${tries}${statusHint(this.endpoint, failure.status)}`;
      }
    }
    return this.fail(request, url, attempts, {
      kind: failure.kind,
      message,
      status: failure.status,
      code: failure.code,
      cause: failure.kind === 'aborted' || failure.kind === 'http' ? undefined : scrubCause(failure.cause, (text) => this.redact(text)),
    });
  }
}

function statusHint(endpoint: EndpointName, status: number | undefined): string {
  if (status === 401 || status === 403) {
    if (endpoint === 'flags') return ' Check the token: the secret that endpoints.flags.token refers to must hold a token the flag service accepts.';
    return endpoint === 'deployment' ? ' Check the bearer token: the secret that endpoints.deployment.token refers to must hold the token the endpoint expects.' : ' Check the token configured for the metric endpoint.';
  }
  if (status === 404) return ' Check the endpoint URL and the service name.';
  if (status !== undefined && retryableStatuses.has(status)) return ' The endpoint is overloaded or restarting; try again shortly.';
  return '';
}

/** Reads the deployment contract's `{"error":{"code","message"}}` body, if that is what it is. */
export function readContractError(body: unknown): { code: string; message: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return { code, message };
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeNetworkCode(code: string | undefined, cause: unknown): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused, nothing is listening there';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before an answer arrived';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    default: {
      const message = errorMessage(cause);
      return code ? `${message} (${code})` : message;
    }
  }
}

/** Keeps a cause's message for debugging but never lets it carry the token. */
function scrubCause(cause: unknown, redact: (text: string) => string): unknown {
  if (cause === undefined) return undefined;
  const message = errorMessage(cause);
  const code = networkCode(cause);
  const scrubbed = new Error(redact(message));
  if (code) (scrubbed as Error & { code?: string }).code = code;
  return scrubbed;
}
