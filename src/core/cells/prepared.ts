import type { Diagnostic } from '../diagnostics';
import type { Plan } from '../plan/schema';
import type { BodyFiles } from './httpBody';
import type { LedgerFlagChange } from '../ledger/types';
import type { FlagActions } from './ports';
import type { VariableScope } from './variables';
import type { CellKind, CellOutput, DeploymentActions, DeploymentChangeAction, HttpSender, MetricQuery, RequestSummary, TargetDescription } from './types';

/** The endpoints a session talks to. `metrics` and `deployment` exist only with a linked plan. */
export interface CellPorts {
  http: HttpSender;
  metrics?: MetricQuery;
  deployment?: DeploymentActions;
  /** The plan's feature flags on their flag service, when the plan lists flags. */
  flags?: FlagActions;
}

/** What every cell kind is prepared with: variables are resolved here, nothing is sent. */
export interface PrepareContext {
  scope: VariableScope;
  attributes: Record<string, unknown>;
  plan?: Plan;
  ports: CellPorts;
  environment?: string;
  /** Milliseconds since the epoch; injectable so range windows are testable. */
  now: () => number;
  /** Where http cells' `< ./file` bodies are read from (the runbook's folder) and the folder they must stay in. */
  files?: BodyFiles;
}

/** Given to `execute`: secrets resolve only here, at send time. */
export interface ExecuteRuntime {
  signal?: AbortSignal;
  /** Returns the secret's value (and registers it for redaction); throws when it is not set. */
  secret(name: string): Promise<string>;
  /** A fresh key for one mutating action, so a retried action is applied once. */
  idempotencyKey(): string;
  /**
   * Registers a value built from secrets (a whole header value such as `Bearer <token>`, a Basic
   * credential) for redaction, with its encoded forms, like a secret itself.
   */
  redact?(value: string): void;
}

export interface ExecuteOutcome {
  /** The request as it went on the wire (http cells), recorded instead of the prepared one. */
  request?: RequestSummary;
  ok: boolean;
  outputs: CellOutput[];
  value?: unknown;
  status?: number;
  error?: string;
  /** A metric query that returned no series. */
  noData?: boolean;
  /** Feature flags the action changed, for the ledger entry of the run. */
  flags?: LedgerFlagChange[];
}

/** A cell whose variables are resolved: it can be described, confirmed, dry-run or executed. */
export interface PreparedCell {
  kind: CellKind;
  mutating: boolean;
  /** The resolved request with secrets as `{{secret:name}}` markers: safe to show and record. */
  request: RequestSummary;
  target: TargetDescription;
  /** Set when the cell changes the deployment (see DeploymentChange); the session records it as that action. */
  deploymentChange?: { action: DeploymentChangeAction; reason?: string; stage?: string };
  execute(runtime: ExecuteRuntime): Promise<ExecuteOutcome>;
}

export interface PrepareResult {
  prepared?: PreparedCell;
  diagnostics: Diagnostic[];
}

export function error(code: string, message: string, start = 0, end = 0): Diagnostic {
  return { severity: 'error', code, message, start, end };
}

/** Longest duration attribute used as a timer: Node fires a timer above 2^31-1 ms (24.8 days) at once. */
export const MAX_TIMER_MS = 24 * 3_600_000;

/** Reads a duration attribute such as `"30s"`; reports a diagnostic when it is not one or is too long. */
export function durationAttribute(attributes: Record<string, unknown>, name: string, parse: (text: string) => number | undefined, diagnostics: Diagnostic[], maxMs = MAX_TIMER_MS): number | undefined {
  const raw = attributes[name];
  if (raw === undefined) return undefined;
  const millis = typeof raw === 'string' ? parse(raw) : undefined;
  if (millis === undefined || millis <= 0) {
    diagnostics.push(error('cell/attribute', `Attribute "${name}" must be a duration such as "30s", "5m" or "1h"; got ${JSON.stringify(raw)}.`));
    return undefined;
  }
  if (millis > maxMs) {
    diagnostics.push(error('cell/attribute', `Attribute "${name}" may be at most ${Math.round(maxMs / 3_600_000)}h; got ${JSON.stringify(raw)}.`));
    return undefined;
  }
  return millis;
}

/** Time between attempts of a cell with a `wait` attribute: about one Prometheus scrape. */
export const WAIT_INTERVAL_MS = 1000;

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Repeats a measurement until it succeeds or `waitMs` has passed (the `wait` attribute of promql
 * and check cells): a drill that has just shifted traffic waits for the metrics to show it,
 * instead of failing on the first, still empty, reading.
 */
export async function retryUntilOk(waitMs: number | undefined, runtime: ExecuteRuntime, now: () => number, attempt: () => Promise<ExecuteOutcome>): Promise<ExecuteOutcome> {
  let outcome = await attempt();
  if (waitMs === undefined) return outcome;
  const deadline = now() + waitMs;
  let attempts = 1;
  while (!outcome.ok && !runtime.signal?.aborted && now() < deadline) {
    await pause(Math.min(WAIT_INTERVAL_MS, Math.max(0, deadline - now())), runtime.signal);
    if (runtime.signal?.aborted) break;
    outcome = await attempt();
    attempts++;
  }
  if (!outcome.ok && outcome.error) outcome = { ...outcome, error: `${outcome.error} (still failing after waiting ${Math.round(waitMs / 1000)} s, ${attempts} attempts)` };
  return outcome;
}
