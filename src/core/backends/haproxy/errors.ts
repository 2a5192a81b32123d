/**
 * What went wrong talking to HAProxy's runtime API:
 * - `unreachable`: no connection (nothing listening, no socket file, connection reset);
 * - `timeout`: no complete answer in time;
 * - `aborted`: the caller cancelled;
 * - `permission`: the socket file cannot be opened, or its `level` is too low for the command;
 * - `unknown-backend` / `unknown-server`: HAProxy has no backend or server of that name;
 * - `server-down`: refused before sending: the server that would get traffic is down;
 * - `not-exact`: refused before sending: the split cannot be expressed exactly in weights;
 * - `rejected`: HAProxy refused a command for another reason (static balancing algorithm, ...);
 * - `partial`: some commands of one line were applied and others were not;
 * - `malformed`: HAProxy answered something this client does not understand.
 */
export type HaproxyErrorKind = 'unreachable' | 'timeout' | 'aborted' | 'permission' | 'unknown-backend' | 'unknown-server' | 'server-down' | 'not-exact' | 'rejected' | 'partial' | 'malformed';

export interface HaproxyErrorDetails {
  kind: HaproxyErrorKind;
  /** The runtime API address, e.g. `tcp://127.0.0.1:9999` (it carries no credential). */
  socket: string;
  backend?: string;
  server?: string;
  /** The runtime API line concerned, when one was (or would have been) sent. */
  line?: string;
  /** True when the line reached HAProxy, so its effect is applied or unknown rather than absent. */
  sent: boolean;
  /** For `server-down`: why HAProxy would not send requests to the server. */
  reason?: string;
  cause?: unknown;
}

/**
 * The one error type of the HAProxy backend. Its message names the socket, the backend and the
 * server, and says what to do; `transient` tells the rollout engine whether repeating can help.
 */
export class HaproxyError extends Error {
  readonly kind: HaproxyErrorKind;
  readonly socket: string;
  readonly backend: string | undefined;
  readonly server: string | undefined;
  readonly line: string | undefined;
  readonly sent: boolean;
  readonly reason: string | undefined;
  /** Timeouts and lost connections may pass; every other kind repeats the same way. */
  readonly transient: boolean;

  constructor(message: string, details: HaproxyErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HaproxyError';
    this.kind = details.kind;
    this.socket = details.socket;
    this.backend = details.backend;
    this.server = details.server;
    this.line = details.line;
    this.sent = details.sent;
    this.reason = details.reason;
    this.transient = details.kind === 'unreachable' || details.kind === 'timeout';
  }
}

/** True when `error` is a {@link HaproxyError}, optionally of one of the given kinds. */
export function isHaproxyError(error: unknown, ...kinds: HaproxyErrorKind[]): error is HaproxyError {
  return error instanceof HaproxyError && (kinds.length === 0 || kinds.includes(error.kind));
}
