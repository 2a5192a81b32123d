/**
 * The report model: everything a report shows, built from ledger entries by `buildReport` and
 * rendered by the Markdown, HTML and JSON renderers (and the side panel's timeline). Plain data:
 * strings as they were recorded (renderers escape them), numbers, ISO times.
 */
import type { RecordedTraffic } from '../ledger/fields';
import type { LedgerVerifyResult } from '../ledger/verify';

/** Which entries a report covers, as asked for. */
export type ReportSelector =
  /** One rollout run (a unique prefix of its id is enough). */
  | { kind: 'run'; runId: string }
  /** Everything recorded for a service in a time window. */
  | { kind: 'window'; service: string; since: Date; until?: Date }
  /** The newest run in the ledger. */
  | { kind: 'latest-run' };

/** The scope a report ended up covering, for its heading and for people checking it. */
export interface ReportScope {
  kind: 'run' | 'window';
  /** The run id (run reports), or every run id seen in the window. */
  runIds: string[];
  service?: string;
  /** Window asked for (window reports); ISO times. */
  since?: string;
  until?: string;
  /** Time of the first and last entry covered. */
  firstAt?: string;
  lastAt?: string;
}

/** Traffic as recorded: weights in percent per version, and the mirrored share. */
/** A traffic state as an entry recorded it. */
export type ReportTraffic = RecordedTraffic;

export interface TimelineRow {
  seq: number;
  /** 1-based line of the ledger file. */
  line: number;
  time: string;
  /** Milliseconds since the first entry the report covers. */
  offsetMs: number;
  actor: string;
  action: string;
  stage?: string;
  /** Traffic before and after the entry; equal (and `trafficChanged` false) when it changed nothing. */
  trafficBefore?: ReportTraffic;
  trafficAfter?: ReportTraffic;
  trafficChanged: boolean;
  reason?: string;
  /** `ok`, `failed`, or a cell run's outcome (`success`, `failure`, ...). */
  outcome?: string;
  /** For cell runs, notifications and gates: one line saying what was sent. */
  detail?: string;
  /** The feature flags the entry changed: `new-ranking off -> on at 10% (stage canary-10)`, or the failure with what to set by hand. */
  flags?: string[];
  runId?: string;
  /** The runbook and cell a `cell-run` entry came from (as recorded: a workspace-relative path). */
  source?: { runbook?: string; cell?: string };
  planDigest?: string;
  hash: string;
  /** False for entries at or after the ledger's first bad line: the chain does not vouch for them. */
  verified: boolean;
}

export interface GuardrailPoint {
  time: string;
  offsetMs: number;
  /** The candidate's value; null when the query returned no data. */
  value: number | null;
  baselineValue?: number | null;
  /** value / baselineValue for relative guardrails; null when it could not be computed. */
  ratio?: number | null;
  outcome?: string;
  stage?: string;
  dryRun?: boolean;
  /** ML kinds: sample sizes, medians and effect, the worst calibration gap, in one line. */
  note?: string;
  /** The ledger entry the measurement was read from. */
  seq: number;
  verified: boolean;
}

export interface GuardrailBoundText {
  min?: number;
  max?: number;
  minRatio?: number;
  maxRatio?: number;
}

/** Every measurement of one guardrail (with one bound) that the ledger records, oldest first. */
export interface GuardrailSeries {
  guardrail: string;
  /** The query as sent (placeholders resolved), from the newest measurement. */
  query?: string;
  bound: GuardrailBoundText;
  /** What the chart plots: the value against min/max, or the ratio against minRatio/maxRatio. */
  plotted: 'value' | 'ratio';
  points: GuardrailPoint[];
  /** The guardrail's kind when it is not a plain threshold. */
  kind?: 'drift' | 'compare' | 'calibration';
  /** What the number is, for ML kinds (`PSI, candidate against baseline ...`). */
  measures?: string;
  /** The rule in words when the bound alone would mislead (compare: p below alpha and the median moved). */
  rule?: string;
  /** The numbers behind the measurement that decided (the last failing one, else the newest). */
  evidence?: EvidenceTable;
  /** Measurements outside the bound, and with no data. */
  failed: number;
  noData: number;
}

/** A small table of figures (bucket shares, a test's numbers, calibration bins), as text. */
export interface EvidenceTable {
  caption: string;
  header: string[];
  rows: string[][];
}

/** A judged stage's score after a measurement round, a breach or a pause (`details.judgement`). */
export interface JudgementRow {
  seq: number;
  time: string;
  offsetMs: number;
  stage?: string;
  action: string;
  verdict: string;
  score?: number;
  passed?: number;
  counted?: number;
  pass?: number;
  marginal?: number;
  failed: string[];
  criticalBreaches: string[];
  reason?: string;
  verified: boolean;
}

export interface CellRunRow {
  seq: number;
  line: number;
  time: string;
  offsetMs: number;
  actor: string;
  runbook?: string;
  cell?: string;
  kind?: string;
  environment?: string;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string;
  /** A typed action's summary, e.g. `roll back churn-scorer to 41 (reason: ...)`. */
  action?: string;
  status?: number;
  durationMs?: number;
  outcome: string;
  error?: string;
  /** One line: status, time taken, outcome or error. */
  summary: string;
  verified: boolean;
}

export interface NotificationRow {
  seq: number;
  time: string;
  offsetMs: number;
  target: string;
  event?: string;
  outcome: string;
  status?: number;
  attempts?: number;
  error?: string;
  verified: boolean;
}

export interface LineageVersion {
  version: string;
  artifact?: string;
  digest?: string;
}

/** The lineage recorded with the covered entries; one per distinct candidate/baseline pair. */
export interface ReportLineage {
  candidate?: LineageVersion;
  baseline?: LineageVersion;
  data: Array<{ name: string; snapshot?: string; digest?: string }>;
  features: Array<{ name: string; version?: string }>;
  training?: { run?: string; commit?: string; pipeline?: string };
  planDigests: string[];
  runIds: string[];
}

/** Time from the first guardrail breach to traffic back on the known-good version. */
export interface ReportRecovery {
  status: 'no-breach' | 'recovered' | 'not-recovered';
  breachAt?: string;
  breachSeq?: number;
  breachReason?: string;
  /** The version traffic went back to (or should go back to). */
  knownGood?: string;
  recoveredAt?: string;
  recoveredSeq?: number;
  /** The action that put traffic back: `rollback`, `traffic-change`, `cell-run`. */
  recoveredBy?: string;
  ms?: number;
}

/** What the ledger file's verification says, and the entry the report's last row is. */
export interface ReportVerification {
  /** The file as shown to the reader. */
  file: string;
  ok: boolean;
  /** Whole entries that verified (the chain's length up to the first problem). */
  verifiedEntries: number;
  /** seq and hash of the last entry of the file that verified (the chain head when `ok`). */
  chainHeadSeq: number;
  chainHeadHash: string;
  firstBadLine?: number;
  problem?: string;
  /** True when the only problem is a torn last line (an interrupted append): the chain before it is intact. */
  tornOnly: boolean;
  /** The last entry the report covers: a reader checks this seq has this hash in the ledger. */
  lastCovered?: { seq: number; line: number; hash: string; verified: boolean };
  /** Covered entries at or after the first bad line. */
  unverifiedCovered: number;
  /** Lines in the covered part of the file that are not ledger entries (skipped). */
  unreadableLines: number;
}

export interface ReportOutcome {
  /** `promoted`, `rolled-back`, `rollback-failed`, `paused`, `in-progress`, `window` (no single run). */
  status: string;
  /** One line for people. */
  text: string;
}

export interface ReportModel {
  format: 'rollgate-report/v1';
  title: string;
  generatedAt: string;
  scope: ReportScope;
  outcome: ReportOutcome;
  verification: ReportVerification;
  recovery: ReportRecovery;
  timeline: TimelineRow[];
  guardrails: GuardrailSeries[];
  /** Judged stages' scores over time (empty when no stage has `judge:`). */
  judgements: JudgementRow[];
  cellRuns: CellRunRow[];
  notifications: NotificationRow[];
  lineage: ReportLineage[];
  /** Entries of actions the timeline leaves out (one `guardrail-measurement` per measurement round). */
  measurementEntries: number;
}

/** The entries a report covers, read from the ledger, with the file's verification. */
export interface CollectedEntry {
  /** The parsed line; fields are as written and must be checked before use. */
  entry: Record<string, unknown> & { seq: number; hash: string };
  line: number;
  verified: boolean;
}

export interface LedgerCollection {
  file: string;
  entries: CollectedEntry[];
  verification: LedgerVerifyResult;
  scope: ReportScope;
  unreadableLines: number;
}
