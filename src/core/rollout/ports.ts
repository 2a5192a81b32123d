import type { GuardrailMeasurement } from '../guardrails/evaluate';
import type { JudgeResult } from '../guardrails/judge';
import type { KnownLedgerAction, LedgerFlagChange } from '../ledger/types';
import type { RolloutSnapshot } from './state';

export type { MetricSource, MetricReading, MetricHint } from '../guardrails/evaluate';

/** A share of live traffic copied to a version whose answers are discarded (shadow). */
export interface MirrorTarget {
  version: string;
  percent: number;
}

/** What the deployment endpoint serves: percent of live traffic per version, and any mirror. */
export interface TrafficState {
  weights: Record<string, number>;
  mirror?: MirrorTarget;
}

/** Options of a mutating deployment call. The key makes a retried call safe to repeat. */
export interface MutationOptions {
  idempotencyKey: string;
  signal?: AbortSignal;
}

/** What a backend adds about a traffic change it made, for the rollout's events and ledger. */
export interface TrafficChangeReport {
  /** One sentence, e.g. which servers outside the plan were held at weight 0. */
  note?: string;
}

/**
 * The engine's view of the deployment endpoint. Errors may carry `transient: boolean` (or
 * `retryable: boolean`); anything not marked permanent is retried for a rollback.
 */
export interface TrafficControl {
  getState(signal?: AbortSignal): Promise<TrafficState>;
  setTraffic(weights: Record<string, number>, mirror: MirrorTarget | undefined, options: MutationOptions): Promise<void | TrafficChangeReport>;
  /** Sends every request to `to`, in one call. */
  rollback(to: string, reason: string, options: MutationOptions): Promise<void>;
}

/** Ledger actions the engine writes: all of Rollgate's own but those of runbooks, notifications and the ledger itself. */
export type ChangeAction = Exclude<KnownLedgerAction, 'cell-run' | 'ledger-repair' | 'notification'>;

/** Where the candidate came from, copied to every ledger entry. */
export interface RolloutLineage {
  candidate: { version: string; artifact: string; digest: string };
  baseline: { version: string; artifact: string; digest: string };
  data?: unknown[];
  features?: unknown[];
  training?: unknown;
}

/** One auditable action, as the engine hands it to the ledger. */
export interface ChangeEntry {
  action: ChangeAction;
  actor: string;
  service: string;
  stage?: string;
  reason?: string;
  from?: TrafficState;
  to?: TrafficState;
  /** Guardrail measurements that led to the action. */
  evidence?: GuardrailMeasurement[];
  /** Feature flags the action changed (docs/flags.md), in the same entry as its traffic. */
  flags?: LedgerFlagChange[];
  /** The stage's latest judgement when the stage is judged (score, verdict, reason). */
  judgement?: JudgeResult;
  outcome: 'ok' | 'failed';
  planDigest: string;
  lineage: RolloutLineage;
  /** Identifies one run of a plan across restarts. */
  runId: string;
}

/** The ledger as the engine sees it. */
export interface ChangeLog {
  append(entry: ChangeEntry): Promise<void>;
}

/** What confirm-promotion gates decided about promoting a stage. */
export interface PromotionGateDecision {
  open: boolean;
  /** The gate that decided (the one that held, when not open). */
  gate?: string;
  /** One line for the ledger and people: who confirmed, or why the promotion was not confirmed. */
  reason: string;
}

/**
 * Confirm-promotion gates (the plan's `notify` targets of `type: confirm-promotion`): asked after a
 * stage's bake, before it is promoted. Implemented in `notify/gateControl.ts`.
 */
export interface PromotionGate {
  /** Whether promoting after `stage` waits for a gate. */
  appliesTo(stage: string): boolean;
  /** Asks until every gate of the stage confirms, one gives up (`maxWait`), or `signal` aborts. Never throws. */
  confirm(question: { stage: string; nextStage?: string; snapshot: RolloutSnapshot }, hooks: { signal: AbortSignal; onHold(gate: string, reason: string, attempt: number): void }): Promise<PromotionGateDecision>;
}

/** Time, injected so the state machine can be driven by a virtual clock in tests and dry runs. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * A clock whose sleeps return at once and move time forward: a dry run walks a 30-minute
 * bake in microseconds and reports the decisions with the times they would be taken.
 */
/** Node's `setImmediate` (this file is also type-checked for the browser, which lacks it). */
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;

export class VirtualClock implements Clock {
  constructor(private current = Date.parse('2025-01-01T00:00:00Z')) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.current += Math.max(0, ms);
    // Yield to the event loop, not only to other promises: operations called from event
    // listeners interleave as they would in real time, and Ctrl-C (a signal handler) is heard.
    await new Promise<void>((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
  }
}
