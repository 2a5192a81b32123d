// Confirm-promotion gates, in Flagger's sense: before promoting a stage the rollout POSTs to each
// gate of that stage and promotes only when every one answers 2xx. A gate that answers anything
// else, or nothing, holds the promotion; it is asked again every `interval` until `maxWait`, after
// which the rollout pauses for a person.
import type { SecretResolver } from '../secrets';
import { NOTIFY_DEFAULTS } from '../plan/notifySchema';
import { parseDuration, type NotifyTarget } from '../plan/schema';
import { PostFailure, postNotification, type Poster } from './post';
import { notifyTargetLabel, resolveTarget, TargetResolutionError } from './target';

/** What a gate is asked: which run wants to promote which stage to which, with what evidence. */
export interface PromotionQuestion {
  schema: 'rollgate.promotion-gate/v1';
  runId: string;
  service: string;
  plan: { name: string; digest: string; environment?: string };
  /** The stage that passed and the one promotion would start; none after the last stage. */
  stage: string;
  nextStage?: string;
  versions: { candidate: string; baseline: string };
  traffic?: { weights: Record<string, number>; mirror?: { version: string; percent: number } };
  /** Time of this question and how many times this gate was asked for this promotion. */
  askedAt: string;
  attempt: number;
}

export interface GateAnswer {
  gate: string;
  url: string;
  outcome: 'open' | 'timeout' | 'aborted' | 'misconfigured';
  attempts: number;
  waitedMs: number;
  /** Why it held, the last time it did: `HTTP 403: not yet`, `no answer within 5000 ms`. */
  lastHold?: string;
}

export interface GateClock {
  now(): number;
  /** Resolves after `ms` or when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface GateOptions {
  secrets: SecretResolver;
  clock: GateClock;
  post?: Poster;
  signal?: AbortSignal;
  /** Told each time the gate holds (for a "waiting for gate X" line). */
  onHold?: (gate: string, reason: string, attempt: number) => void;
}

/** The gates (in plan order) that the promotion after `stage` must pass. */
export function gatesForStage(targets: readonly NotifyTarget[] | undefined, stage: string): Array<{ target: NotifyTarget; name: string }> {
  return (targets ?? []).map((target, index) => ({ target, name: target.name ?? `notify-${index}` })).filter(({ target }) => target.type === 'confirm-promotion' && (!target.stages || target.stages.includes(stage)));
}

/** Asks one gate until it answers 2xx, `maxWait` passes, or the signal aborts. Never throws. */
export async function askGate(gate: { target: NotifyTarget; name: string }, question: Omit<PromotionQuestion, 'askedAt' | 'attempt'>, options: GateOptions): Promise<GateAnswer> {
  const { clock } = options;
  const post = options.post ?? postNotification;
  const started = clock.now();
  const maxWaitMs = parseDuration(gate.target.maxWait ?? NOTIFY_DEFAULTS.gateMaxWait) ?? 30 * 60_000;
  const intervalMs = Math.max(100, parseDuration(gate.target.interval ?? NOTIFY_DEFAULTS.gateInterval) ?? 10_000);
  const timeoutMs = parseDuration(gate.target.timeout ?? NOTIFY_DEFAULTS.timeout) ?? 5000;
  const answer = (outcome: GateAnswer['outcome'], attempts: number, lastHold?: string): GateAnswer => ({
    gate: gate.name,
    url: notifyTargetLabel(gate.target),
    outcome,
    attempts,
    waitedMs: Math.max(0, clock.now() - started),
    ...(lastHold ? { lastHold } : {}),
  });
  let resolved;
  try {
    resolved = await resolveTarget(gate.target, options.secrets);
  } catch (error) {
    return answer('misconfigured', 0, error instanceof TargetResolutionError ? error.message : String(error));
  }
  let lastHold: string | undefined;
  for (let attempt = 1; ; attempt += 1) {
    if (options.signal?.aborted) return answer('aborted', attempt - 1, lastHold);
    const body: PromotionQuestion = { ...question, askedAt: new Date(clock.now()).toISOString(), attempt };
    try {
      const reply = await post({ url: resolved.url, body: JSON.stringify(body), headers: resolved.headers, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
      if (reply.status >= 200 && reply.status < 300) return answer('open', attempt, lastHold);
      const detail = resolved.scrub(reply.body.trim().slice(0, 200));
      lastHold = `HTTP ${reply.status}${detail ? `: ${detail}` : ''}`;
    } catch (error) {
      if (error instanceof PostFailure && error.kind === 'aborted') return answer('aborted', attempt, lastHold);
      if (error instanceof PostFailure && error.kind === 'invalid-url') return answer('misconfigured', attempt, error.message);
      lastHold = resolved.scrub(error instanceof Error ? error.message : String(error));
    }
    options.onHold?.(gate.name, lastHold, attempt);
    const elapsed = clock.now() - started;
    if (elapsed >= maxWaitMs) return answer('timeout', attempt, lastHold);
    await clock.sleep(Math.min(intervalMs, maxWaitMs - elapsed), options.signal);
  }
}
