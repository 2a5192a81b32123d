/** Which endpoint a request went to; error messages name it. */
export type EndpointName = 'deployment' | 'metrics' | 'flags';

/**
 * What went wrong:
 * - `timeout`: no complete answer within the configured time;
 * - `unreachable`: the connection failed (refused, reset, unknown host);
 * - `http`: the endpoint answered with a non-success status;
 * - `malformed`: the endpoint answered, but not with the shape the contract promises;
 * - `aborted`: the caller cancelled through its `AbortSignal`;
 * - `prometheus`: Prometheus answered `status: "error"` (bad PromQL, execution error, ...).
 */
export type EndpointErrorKind = 'timeout' | 'unreachable' | 'http' | 'malformed' | 'aborted' | 'prometheus';

export interface EndpointErrorDetails {
  endpoint: EndpointName;
  kind: EndpointErrorKind;
  /** Full request URL (never contains credentials: tokens travel in a header). */
  url: string;
  method: string;
  /** HTTP status when the endpoint answered. */
  status?: number;
  /**
   * Machine-readable code: the deployment contract's `error.code`, Prometheus' `errorType`, or a
   * network error code such as `ECONNREFUSED`.
   */
  code?: string;
  /** How many attempts were made, retries included. */
  attempts: number;
  cause?: unknown;
}

/**
 * The one error type the endpoint clients throw. The message says which endpoint failed, what
 * happened and what to try next; it never contains a token.
 */
export class EndpointError extends Error {
  readonly endpoint: EndpointName;
  readonly kind: EndpointErrorKind;
  readonly url: string;
  readonly method: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly attempts: number;

  constructor(message: string, details: EndpointErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EndpointError';
    this.endpoint = details.endpoint;
    this.kind = details.kind;
    this.url = details.url;
    this.method = details.method;
    this.status = details.status;
    this.code = details.code;
    this.attempts = details.attempts;
  }
}

/** True when `error` is an {@link EndpointError}, optionally of one of the given kinds. */
export function isEndpointError(error: unknown, ...kinds: EndpointErrorKind[]): error is EndpointError {
  return error instanceof EndpointError && (kinds.length === 0 || kinds.includes(error.kind));
}
