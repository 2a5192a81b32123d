import type { Diagnostic } from '../diagnostics';

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
  body?: string;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends one HTTP request. Must honour `signal` (cancelling a cell aborts its request). */
export interface HttpSender {
  send(request: HttpRequest, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<HttpResponse>;
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
  range(
    query: string,
    window: { start: number; end: number; stepSeconds: number },
    options: { signal?: AbortSignal },
  ): Promise<MetricSeries[]>;
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
}

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
}

// ---- Results

/** A resolved request as shown to people and written to the ledger (secrets redacted). */
export interface RequestSummary {
  method: string;
  url: string;
  headers?: Array<[string, string]>;
  body?: string;
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
  /** The deployment change the cell made or tried (rollout actions, http calls to the deployment endpoint). */
  change?: DeploymentChange;
}
