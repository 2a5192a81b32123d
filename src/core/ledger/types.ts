/** Any value that survives a JSON round trip unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The actions Rollgate itself writes. */
export type KnownLedgerAction =
  | 'rollout-start'
  | 'rollout-end'
  | 'traffic-change'
  | 'promote'
  | 'pause'
  | 'resume'
  | 'approve'
  | 'rollback'
  | 'guardrail-breach'
  | 'guardrail-measurement'
  | 'cell-run'
  | 'ledger-repair'
  /** A notification delivered to a plan's `notify` target, or its final failure. */
  | 'notification'
  /** A confirm-promotion gate's answer: held, opened, or timed out. */
  | 'promotion-gate'
  /** Feature flags set again by the engine after an earlier attempt failed (outside a traffic change). */
  | 'flag-change';

/**
 * What an entry records: one of Rollgate's own actions, or any other string, so that teams can
 * record their own events in the same chain.
 */
export type LedgerAction = KnownLedgerAction | (string & {});

/** Traffic before or after an action: versions and their weights (percent), mirror and stage. */
export interface LedgerTraffic {
  /** The version the action concerns (for example the rollback target). */
  version?: string;
  /** Weight in percent per version; the weights of one state sum to 100. */
  weights?: Record<string, number>;
  /** Version receiving mirrored (shadow) traffic and the share mirrored, in percent. */
  mirror?: { version: string; percent: number };
  stable?: string;
  stage?: string;
}

/** Why a guardrail decided what it decided: the query, the measured value and the bound. */
export interface LedgerEvidence {
  guardrail?: string;
  query?: string;
  /** Measured value; null when the query returned no data. */
  value?: number | null;
  /** For baseline-relative guardrails: the baseline's value. */
  baselineValue?: number | null;
  bound?: { min?: number; max?: number; maxRatio?: number };
  /** Measurement window or interval, as written in the plan (`1m`, `15s`). */
  window?: string;
  /** Consecutive failed measurements when the decision was taken. */
  failures?: number;
  outcome?: 'pass' | 'fail' | 'no-data' | 'inconclusive';
}

/** Identity and provenance of the versions an action touched. */
export interface LedgerLineage {
  candidate?: { version: string; digest?: string; artifact?: string };
  baseline?: { version: string; digest?: string; artifact?: string };
  data?: Array<{ name: string; snapshot?: string; digest?: string }>;
  features?: Array<{ name: string; version?: string }>;
  training?: { run?: string; commit?: string };
}

/** The resolved request of a runbook cell run, secrets already redacted by the caller. */
export interface LedgerRequest {
  method: string;
  url: string;
  /** Every header as sent, in order, repeated ones kept (credentials masked, secrets as `{{secret:name}}`). */
  headers?: Array<[string, string]>;
  status?: number;
  durationMs?: number;
  outcome: 'ok' | 'failed' | 'error' | 'cancelled' | 'dry-run' | (string & {});
  error?: string;
  runbook?: string;
  cell?: string;
}

/** A feature flag's state as the ledger shows it; `percent` is absent when it has no gradual rollout. */
export interface LedgerFlagState {
  enabled: boolean;
  percent?: number;
}

/**
 * One feature-flag change, before → after (docs/flags.md). A rollout's start, stage and rollback
 * entries, `flag-change` entries and flag cells of runbooks list them in `flags`.
 */
export interface LedgerFlagChange {
  name: string;
  /** Why: `default`, `stage canary-10`, `rollback: restore`, `runbook`, … */
  reason: string;
  /** Where the flag lives: `Unleash http://… (project default, environment production)`. */
  service?: string;
  before?: LedgerFlagState;
  /** What the change aimed for, in words: `on at 10%`, `off, no gradual rollout`. */
  target: string;
  after?: LedgerFlagState;
  outcome: 'ok' | 'failed';
  attempts: number;
  error?: string;
  /** For a failed change: what a person must set by hand, and where. */
  manual?: string;
  /** At rollout start: the flag's whole state there, which `onRollback: restore` puts back. */
  recorded?: LedgerFlagState & { rules: Array<{ id: string; kind: string; title?: string; disabled: boolean; parameters: Record<string, string>; constraints: number }> };
}

/**
 * What a writer passes to `Ledger.append`: everything except `seq`, `time`, `prev` and `hash`,
 * which the ledger fills in under its lock.
 */
export interface LedgerEntryInput {
  /** Who acted: a user name, `rollgate-engine`, `ci`, ... */
  actor: string;
  action: LedgerAction;
  service?: string;
  from?: LedgerTraffic;
  to?: LedgerTraffic;
  reason?: string;
  evidence?: LedgerEvidence | LedgerEvidence[];
  /** `sha256:<hex>` digest of the rollout plan the action followed. */
  planDigest?: string;
  lineage?: LedgerLineage;
  request?: LedgerRequest;
  /** Rollout or runbook run this entry belongs to, to group entries. */
  runId?: string;
  /** Feature flags the action changed (or recorded), in the same entry as the traffic. */
  flags?: LedgerFlagChange[];
  /** Anything else worth keeping; plain JSON. */
  details?: { [key: string]: JsonValue };
}

/** One line of the ledger as written. */
export interface LedgerEntry extends LedgerEntryInput {
  /** 1 for the first entry, then +1 per entry. */
  seq: number;
  /** ISO 8601 time of the append. */
  time: string;
  /** `hash` of the previous entry, or `GENESIS_HASH` for the first. */
  prev: string;
  /** sha256 (hex) of the canonical encoding of this entry without `hash`. */
  hash: string;
}
