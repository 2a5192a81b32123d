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
  /** Opens the runbook cell a ledger entry came from; the host reads the entry itself (the view names only its seq). */
  | { type: 'openSource'; seq: number };

/** Messages from the host to the webview. */
export type HostMessage = { type: 'state'; state: PanelState } | { type: 'changelog'; changelog: PanelChangelog };

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
  /** Where a change made from a runbook came from: "churn-canary.runbook.md, cell 7 (rollback)". */
  source?: string;
  failed: boolean;
  lineage: PanelLineageLine[];
  evidence: PanelEvidence[];
  hash: string;
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
