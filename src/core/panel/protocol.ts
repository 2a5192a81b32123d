/**
 * The side panel's message protocol, shared by the extension host (`src/vscode/sidePanel.ts`)
 * and the webview script (`src/webview/main.ts`). Types only, so the webview bundle stays free
 * of node and zod; the host validates inbound messages with `parseViewMessage` (./validate).
 */
import type { RolloutStatus, StageStatus } from '../rollout/state';
import type { GuardrailVisual, JudgeVisual } from './visuals';

/** What a person can ask the host to do from the panel or the command palette. */
export const ROLLOUT_ACTIONS = ['start', 'pause', 'resume', 'approve', 'rollback', 'startDrill'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/** Messages from the webview to the host. Never trusted: the host validates each one. */
export type ViewMessage =
  | { type: 'ready' }
  /** `planId` is an id the host issued in {@link PanelState.plans}; the host maps it back to a file. */
  | { type: 'selectPlan'; planId: string }
  | { type: 'action'; action: RolloutAction }
  /** Asks for the page of entries older than `beforeSeq` (the oldest the view shows). */
  | { type: 'showMoreChangelog'; beforeSeq: number }
  /** Writes the selected run's report into the workspace and opens it. */
  | { type: 'exportReport'; format: ReportExportFormat }
  /** Opens what a ledger entry came from: a runbook at its cell, or a plan at its stage. The host reads the entry itself. */
  | { type: 'openSource'; seq: number };

export const REPORT_EXPORT_FORMATS = ['md', 'html'] as const;
export type ReportExportFormat = (typeof REPORT_EXPORT_FORMATS)[number];

/** Messages from the host to the webview. */
export type HostMessage = { type: 'state'; state: PanelState } | { type: 'changelog'; changelog: PanelChangelog } | { type: 'timeline'; timeline: PanelTimeline } | { type: 'flags'; flags: PanelFlags | null };

/** What a timeline row or changelog entry can open: the runbook cell it ran, or the plan at its stage. */
export type PanelSourceKind = 'cell' | 'plan';

/** The selected run's timeline: the rows of its report (`rollgate report`), ready to show. */
export interface PanelTimeline {
  /** Absent when the selected plan has no run yet (then `problem` or nothing is shown). */
  runId?: string;
  title?: string;
  /** "Rolled back (rolled back to 41)". */
  outcome?: string;
  /** "76 ms: breach measured at …, all traffic on 41 at …". */
  recovery?: string;
  /** Whether the ledger's chain verifies, and a line saying so (or naming the first bad line). */
  verified: boolean;
  verification?: string;
  rows: PanelTimelineRow[];
  /** Measurement entries charted in the report and not listed here. */
  measurementEntries: number;
  problem?: string;
}

export interface PanelTimelineRow {
  seq: number;
  /** `10:22:03` (UTC) and `+12.3 s` from the first entry. */
  clock: string;
  offset: string;
  actor: string;
  action: string;
  stage?: string;
  /** "41 90%, 42 10% → 41 100%", or the traffic it happened under. */
  traffic: string;
  reason?: string;
  detail?: string;
  failed: boolean;
  /** False at and after the ledger's first bad line. */
  verified: boolean;
  source?: PanelSourceKind;
}

export interface PanelPlanChoice {
  /** Opaque id issued by the host (e.g. `plan-3`). */
  id: string;
  /** Workspace-relative path. */
  label: string;
  /** Service and environment, when the plan could be read. */
  description?: string;
}

export interface PanelNotice {
  level: 'info' | 'warning' | 'error';
  text: string;
}

/** Everything the panel shows except the changelog; the host sends a fresh one on each change. */
export interface PanelState {
  trusted: boolean;
  plans: PanelPlanChoice[];
  selectedPlanId?: string;
  /** Why the selected plan cannot run (invalid, unreadable). */
  planProblem?: string;
  rollout?: PanelRollout;
  /** Which actions make sense now (the host re-checks each one when it arrives). */
  enabled: Record<RolloutAction, boolean>;
  /** The action in flight, if any. */
  busy?: RolloutAction;
  notice?: PanelNotice;
  /** The service as its deployment endpoint serves it now (read by the host every few seconds). */
  live?: PanelLive;
  /** Why there is no live picture (endpoint down, secret not set, untrusted folder). */
  liveProblem?: string;
}

export interface PanelLiveVersion {
  version: string;
  /** Percent of live traffic. */
  weight: number;
  /** Percent of traffic mirrored to it. */
  mirror: number;
  /** Its part in the selected plan. */
  role: 'candidate' | 'baseline' | 'other';
  stable: boolean;
  /** The digest the endpoint reports serving. */
  digest?: string;
  /** The digest the plan declares for this version. */
  declaredDigest?: string;
  /** Served digest equals the declared one; undefined when either is unknown. */
  digestMatches?: boolean;
}

export interface PanelLive {
  service: string;
  /** The endpoint URL read (no credentials). */
  target: string;
  versions: PanelLiveVersion[];
  /** "41 90%, 42 10% · mirror 43 100%". */
  trafficText: string;
  stable?: string;
  phase?: string;
  /** The endpoint's time of its last change. */
  updatedAt?: string;
  /** When the host read it. */
  readAt: string;
  /** Digest mismatches between what is served and what the plan declares. */
  warning?: string;
}

export interface PanelRollout {
  service: string;
  planName: string;
  candidateVersion: string;
  baselineVersion: string;
  rollbackTo: string;
  status: RolloutStatus;
  /** One line for people, e.g. "Baking canary-10 (40%)". */
  headline: string;
  pauseReason?: string;
  rollbackText?: string;
  trafficText: string;
  /** True when this window drives the rollout (otherwise it shows stored state). */
  driving: boolean;
  drill: boolean;
  stages: PanelStage[];
  updatedAt: string;
  /** One chart per guardrail across all stages (absent in snapshots without measurement times). */
  charts?: PanelChart[];
}

export interface PanelChartPoint {
  /** Epoch ms. */
  t: number;
  value: number | null;
  outcome: string;
  stage: string;
}

/** A guardrail's measurements on one time axis, with its bound and the stage starts. */
export interface PanelChart {
  guardrail: string;
  points: PanelChartPoint[];
  /** Absolute bounds drawn as lines (relative checks have none: their values are raw, the bound a ratio). */
  max?: number;
  min?: number;
  /** "≤ 0.02", "ratio ≤ 1.2". */
  boundText: string;
  /** Stage starts: the traffic changes. */
  markers: { t: number; label: string }[];
}

export interface PanelStage {
  name: string;
  kind: string;
  status: StageStatus;
  current: boolean;
  /** "traffic 10%", "mirror 100%" or "". */
  trafficText: string;
  /** Bake progress 0..1 while baking (undefined without a bake). */
  progress?: number;
  bakeText?: string;
  manualApproval: boolean;
  guardrails: PanelGuardrail[];
  /** A judged stage's latest score against its thresholds. */
  judge?: JudgeVisual;
}

export interface PanelGuardrail {
  name: string;
  /** Last value, formatted ("0.0132", "no data", "not measured"). */
  valueText: string;
  /** "≤ 0.02", "ratio ≤ 1.2", "0.1 … 0.9". */
  boundText: string;
  outcome?: 'pass' | 'fail' | 'inconclusive' | 'skipped';
  consecutiveFailures: number;
  reason?: string;
  /** Recent values, oldest first; null for no data. */
  trend: (number | null)[];
  /** Upper/lower absolute bound drawn in the sparkline, when the guardrail has one. */
  max?: number;
  min?: number;
  /** Drift, compare and calibration guardrails: what their latest measurement looked like. */
  visual?: GuardrailVisual;
}

/**
 * How the view merges a changelog message: `replace` its list (first load, another plan),
 * put new `head` entries on top (the ledger grew), or `append` an older page (show more).
 * Pages keep each message small however long the ledger is.
 */
export type ChangelogMode = 'replace' | 'head' | 'append';

export interface PanelChangelog {
  mode: ChangelogMode;
  /** Newest first. */
  entries: PanelChangelogEntry[];
  /** More (older) entries exist beyond `entries` (a `head` page's flag matters only if it replaces the list). */
  hasMore: boolean;
  /** Set when the ledger could not be read. */
  problem?: string;
  /** Path shown to the user (workspace-relative). */
  source: string;
}

export interface PanelChangelogEntry {
  seq: number;
  time: string;
  action: string;
  actor: string;
  service?: string;
  stage?: string;
  /** "41 100% → 41 90%, 42 10%". */
  change?: string;
  reason?: string;
  /** The feature flags the entry changed: "new-ranking on at 50% → on at 20% (rollback: restore)". */
  flags?: string;
  /** Where a change made from a runbook came from: "churn-canary.runbook.md, cell 7 (rollback)". */
  origin?: string;
  failed: boolean;
  lineage: PanelLineageLine[];
  evidence: PanelEvidence[];
  hash: string;
  /** What the entry can open: the runbook cell it ran (`cell-run`), or its plan at the stage (rollout entries). */
  source?: PanelSourceKind;
}

export interface PanelLineageLine {
  label: string;
  value: string;
}

export interface PanelEvidence {
  guardrail: string;
  valueText: string;
  boundText: string;
  outcome?: string;
}

/** The selected plan's feature flags and their live state on the flag service (docs/flags.md). */
export interface PanelFlags {
  /** Where they live: `Unleash http://… (project default, environment production)`. */
  service: string;
  flags: PanelFlag[];
  /** Why the live state could not be read (service down, token missing, no permission). */
  problem?: string;
  /** When the live state was read (ISO 8601). */
  readAt?: string;
}

export interface PanelFlag {
  name: string;
  /** What the plan does with it: "default off · follows traffic · rollback: restore". */
  planText: string;
  /** The flag now: "on at 10%", "off", "unknown". */
  liveText: string;
  /** For styling: on (for everyone or a share), off, or not known. */
  live: 'on' | 'off' | 'unknown';
  /** Why this flag could not be read (e.g. it does not exist). */
  problem?: string;
}
