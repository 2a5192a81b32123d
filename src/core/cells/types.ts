import type { Diagnostic } from '../diagnostics';
import type { FlagState } from '../flags/provider';
import type { LedgerFlagChange } from '../ledger/types';

/** The code-cell languages that execute. Every other fence stays Markdown. */
export type CellKind = 'http' | 'promql' | 'rollout' | 'check';

export const CELL_KINDS: readonly CellKind[] = ['http', 'promql', 'rollout', 'check'];

/** Returns the cell kind for a fence language, or undefined when the language does not execute. */
export function cellKindOf(language: string): CellKind | undefined {
  const normalized = language.trim().toLowerCase();
  return (CELL_KINDS as readonly string[]).includes(normalized) ? (normalized as CellKind) : undefined;
}

/**
 * One executable cell as the runner sees it: the same shape `parseRunbook` gives for a code cell,
 * and what the notebook controller builds from a `vscode.NotebookCell`.
 */
export interface CellSpec {
  language: string;
  /** The JSON object after the fence's info string (`{"name":"status","effect":"mutate"}`). */
  attributes: Record<string, unknown>;
  /** The cell body; offsets in diagnostics are relative to it. */
  value: string;
}

/** A parse result in the core's usual shape: never throws, diagnostics carry offsets into the body. */
export interface Parsed<T> {
  value?: T;
  diagnostics: Diagnostic[];
}

// ---- Ports: the seams the runner is given, so the core never knows whether it runs in the editor,
// ---- the CLI or a test.

export interface HttpRequest {
  method: string;
  url: string;
  /** Ordered pairs; duplicates allowed, as on the wire. */
  headers: Array<[string, string]>;
  /** Text (sent as UTF-8) or bytes (a file body). */
  body?: string | Uint8Array;
  /**
   * Lower-case names of headers whose value came from a secret: like credential headers, they
   * are never sent on when a redirect leaves the origin.
   */
  secretHeaders?: string[];
  /** The body holds a secret: a redirect to another origin that keeps the body is not followed. */
  secretBody?: boolean;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
  /** Redirects followed before this answer, in order: each one is another request sent. */
  redirects?: RedirectHop[];
}

/** A redirect that was followed: the answer that asked for it and the request sent next. */
export interface RedirectHop {
  status: number;
  method: string;
  url: string;
}

/** Sends one HTTP request. Must honour `signal` (cancelling a cell aborts its request). */
export interface HttpSender {
  send(request: HttpRequest, options: HttpSendOptions): Promise<HttpResponse>;
}

export interface HttpSendOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Default true; `# @no-redirect` in a cell turns it off and the 3xx answer is the result. */
  followRedirects?: boolean;
}

export interface MetricSample {
  labels: Record<string, string>;
  /** Seconds since the epoch, as Prometheus reports it. */
  timestamp: number;
  value: number;
}

export interface MetricSeries {
  labels: Record<string, string>;
  points: Array<{ timestamp: number; value: number }>;
}

/** The metric endpoint: the Prometheus HTTP API or anything that answers like it. */
export interface MetricQuery {
  /** URL the queries go to, shown in confirmations, dry runs and the ledger. */
  readonly baseUrl: string;
  instant(query: string, options: { signal?: AbortSignal; time?: number }): Promise<MetricSample[]>;
  range(query: string, window: { start: number; end: number; stepSeconds: number }, options: { signal?: AbortSignal }): Promise<MetricSeries[]>;
}

export interface ActionOptions {
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key`, so a retried action is applied once. */
  idempotencyKey: string;
}

/** The linked plan's deployment endpoint, bound to its service. */
export interface DeploymentActions {
  readonly baseUrl: string;
  readonly service: string;
  getService(options: { signal?: AbortSignal }): Promise<unknown>;
  setTraffic(weights: Record<string, number>, mirror: Record<string, number> | undefined, options: ActionOptions): Promise<unknown>;
  rollback(to: string, reason: string, options: ActionOptions): Promise<unknown>;
  /** Optional: not every deployment endpoint can pause or resume. */
  pause?(reason: string | undefined, options: ActionOptions): Promise<unknown>;
  resume?(reason: string | undefined, options: ActionOptions): Promise<unknown>;
  /**
   * How a call reaches an endpoint that is not the Rollgate API (HAProxy's runtime API), for the
   * confirmation and the ledger: `method` and `url` as shown, `body` the exact command. Without
   * it, calls are the deployment contract's `METHOD <baseUrl>/v1/services/<service>/...`.
   */
  describe?(call: DeploymentCall): { method: string; url: string; body?: string };
}

/** One call of a rollout cell, as {@link DeploymentActions.describe} is asked about it. */
export type DeploymentCall = { action: 'status' } | { action: 'set-traffic'; weights: Record<string, number> } | { action: 'rollback'; to: string };

export type { SecretResolver } from '../secrets';

/** What a confirmation shows: the resolved method, URL and target. */
export interface TargetDescription {
  method: string;
  url: string;
  /** One line saying what will change, e.g. "roll back churn-scorer to 41 (reason: 5xx)". */
  target: string;
  environment?: string;
  service?: string;
}

export interface ConfirmationRequest extends TargetDescription {
  cellName?: string;
  /** Set in a `prod` environment: the user must type this service name to confirm. */
  typeToConfirm?: string;
}

/** Asks a person. Implementations must never answer yes on their own (Run All never auto-confirms). */
export interface Confirmer {
  confirm(request: ConfirmationRequest): Promise<boolean>;
}

/** The ledger entry a cell run produces (action `cell-run`); secrets already redacted. */
export interface CellRunRecord {
  action: 'cell-run';
  actor: string;
  service?: string;
  environment?: string;
  runbook?: string;
  cell: { index?: number; name?: string; kind: CellKind };
  request?: RequestSummary;
  status?: number;
  durationMs: number;
  outcome: CellOutcome;
  error?: string;
  /** Feature flags the cell changed (a `flag` action, a rollback's restore), before → after. */
  flags?: LedgerFlagChange[];
  /** The deployment change the cell made (or tried), recorded as its own ledger action too. */
  change?: DeploymentChange;
  /** The linked plan's digest and lineage, for the change's entry. */
  plan?: { digest?: string; lineage?: Record<string, unknown> };
}

/** Ledger actions a cell can take on the deployment endpoint, as the engine names them. */
export type DeploymentChangeAction = 'traffic-change' | 'promote' | 'pause' | 'resume' | 'rollback';

/** Traffic as the deployment endpoint reported it: every version's weight (0 included), mirror, stable version, phase. */
export interface ServiceTraffic {
  weights: Record<string, number>;
  mirror?: { version: string; percent: number };
  stable?: string;
  phase?: string;
}

/**
 * What a mutating cell did to the deployment: recorded as a `rollback`, `traffic-change`, ...
 * entry of its own (besides the `cell-run`), with traffic before and after, so the ledger, the
 * panel and reports find a rollback made from a runbook as a rollback.
 */
export interface DeploymentChange {
  action: DeploymentChangeAction;
  reason: string;
  /** Stage a `promote` moved to. */
  stage?: string;
  from?: ServiceTraffic;
  to?: ServiceTraffic;
  outcome: 'ok' | 'failed';
}

/** Appends one record to the durable changelog. */
export interface RunLedger {
  append(record: CellRunRecord): Promise<void>;
  /** The flag states the newest rollout of `service` recorded at its start, which a rollback cell restores. */
  recordedFlags?(service: string): Promise<Record<string, FlagState> | undefined>;
}

// ---- Results

/** A resolved request as shown to people and written to the ledger (secrets redacted). */
export interface RequestSummary {
  method: string;
  url: string;
  /** For http cells: every header as sent, in order, including those Rollgate adds. */
  headers?: Array<[string, string]>;
  /** The body as text, when it is UTF-8 and at most 64 KB. */
  body?: string;
  /** Length of the body in bytes, as sent. */
  bodyBytes?: number;
  /** `sha256:<hex>` of the body as sent (left out when the body holds a secret). */
  bodySha256?: string;
  /** Redirects followed after this request (each one another request sent). */
  redirects?: RedirectHop[];
  /** For typed actions: what is asked of the endpoint, e.g. `rollback to 41`. */
  action?: string;
}

export type CellOutput =
  | { kind: 'text'; text: string }
  | { kind: 'markdown'; text: string }
  /** `collapsed`: shown folded under `title` (a response's headers, a rollout action's full answer). */
  | { kind: 'json'; value: unknown; collapsed?: boolean; title?: string }
  | { kind: 'table'; columns: string[]; rows: string[][] }
  | { kind: 'chart'; title?: string; series: MetricSeries[] };

export type CellOutcome = 'success' | 'failure' | 'declined' | 'cancelled' | 'dry-run';

export interface CellRunResult {
  kind: CellKind;
  name?: string;
  index?: number;
  outcome: CellOutcome;
  /** True only for `success` (and `dry-run`, which sends nothing and cannot fail the run). */
  ok: boolean;
  mutating: boolean;
  /** One line a person can act on; secrets redacted. */
  error?: string;
  diagnostics: Diagnostic[];
  outputs: CellOutput[];
  /** What `{{name.…}}` in later cells reads, when the cell has a name. */
  value?: unknown;
  request?: RequestSummary;
  status?: number;
  durationMs: number;
  /** A metric query that returned no series (the cell may still succeed without `expect`). */
  noData?: boolean;
  /** Feature flags the cell changed, before → after (also in its ledger entry). */
  flags?: LedgerFlagChange[];
  /** The deployment change the cell made or tried (rollout actions, http calls to the deployment endpoint). */
  change?: DeploymentChange;
}
