// Delivers notifications for ledger entries to the plan's event targets. `notify` only queues and
// returns: a failing or slow receiver can never delay the rollout, the rollback or the ledger write
// that came first. Each target gets its events in ledger order; each delivery, or its final
// failure after bounded retries with backoff, is recorded in the ledger.
import type { SecretResolver } from '../secrets';
import type { LedgerEntry, LedgerEntryInput } from '../ledger/types';
import { NOTIFY_DEFAULTS, type NotifyEventKind } from '../plan/notifySchema';
import { parseDuration, type NotifyTarget } from '../plan/schema';
import { eventOfEntry, notificationDocument, slackMessage, type NotifyPlanInfo } from './payload';
import { PostFailure, postNotification, type PostAnswer, type Poster } from './post';
import { notifyTargetLabel, resolveTarget, TargetResolutionError } from './target';

/** What a delivery ended as; also the `details` of its `notification` ledger entry. */
export interface DeliveryRecord {
  target: string;
  event: NotifyEventKind;
  outcome: 'delivered' | 'failed' | 'dropped';
  /** Where it went, without secrets: the URL without its query, or `secret:<name>`. */
  url: string;
  attempts: number;
  status?: number;
  error?: string;
  durationMs: number;
  /** The ledger entry the notification was about. */
  entrySeq: number;
  entryHash: string;
}

export interface NotifierOptions {
  /** The plan's `notify` list; confirm-promotion gates in it are ignored here. */
  targets: readonly NotifyTarget[];
  plan: NotifyPlanInfo;
  /** Resolves `urlSecret` and header secret references at send time. */
  secrets: SecretResolver;
  /** Where delivery records go (the ledger). Optional for previews. */
  ledger?: { append(input: LedgerEntryInput): Promise<unknown> };
  actor?: string;
  post?: Poster;
  /** Waits between attempts; injected by tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** First retry delay (doubling, with jitter) and its cap. Defaults 500 ms and 8 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Events waiting per target before new ones are dropped (and the drop recorded). Default 100. */
  maxQueue?: number;
  /** Told about each finished delivery (for the CLI's and the editor's output). */
  onDelivery?: (record: DeliveryRecord) => void;
}

const abortableDelay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A status worth trying again: the receiver is overloaded or briefly down. */
function retryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

interface TargetQueue {
  target: NotifyTarget;
  name: string;
  chain: Promise<void>;
  waiting: number;
}

/**
 * Sends notifications for ledger entries. Create one per rollout run with the plan's targets;
 * call {@link notify} with each entry right after the ledger wrote it, {@link drain} before the
 * process exits, {@link close} to give up on what is still pending.
 */
export class Notifier {
  private readonly queues: TargetQueue[];
  private readonly post: Poster;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly stop = new AbortController();

  constructor(private readonly options: NotifierOptions) {
    this.queues = options.targets
      .map((target, index) => ({ target, index }))
      .filter(({ target }) => target.type !== 'confirm-promotion')
      .map(({ target, index }) => ({ target, name: target.name ?? `notify-${index}`, chain: Promise.resolve(), waiting: 0 }));
    this.post = options.post ?? postNotification;
    this.sleep = options.sleep ?? abortableDelay;
    this.random = options.random ?? Math.random;
  }

  /** True when some target listens to anything. */
  get active(): boolean {
    return this.queues.length > 0;
  }

  /** Queues the notifications an entry calls for and returns at once. Never throws. */
  notify(entry: LedgerEntry): void {
    try {
      const event = eventOfEntry(entry);
      if (!event || this.stop.signal.aborted) return;
      for (const queue of this.queues) {
        const events = queue.target.events;
        if (events && !events.includes(event)) continue;
        if (queue.waiting >= (this.options.maxQueue ?? 100)) {
          const dropped = this.recordOf(queue, event, entry, { outcome: 'dropped', attempts: 0, durationMs: 0, error: `${queue.waiting} notifications were already waiting for this target` });
          void this.finish(dropped, entry);
          continue;
        }
        queue.waiting += 1;
        queue.chain = queue.chain.then(async () => {
          try {
            await this.finish(await this.deliver(queue, event, entry), entry);
          } catch {
            // A bug here must not break the chain of later notifications.
          } finally {
            queue.waiting -= 1;
          }
        });
      }
    } catch {
      // Notifications never disturb the caller.
    }
  }

  /** Resolves when every queued delivery has finished, or after `timeoutMs`; true when all finished. */
  async drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const all = Promise.all(this.queues.map((queue) => queue.chain)).then(() => true);
    if (!Number.isFinite(timeoutMs)) return all;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops retrying and cancels requests in flight; their failures are still recorded. */
  close(): void {
    this.stop.abort();
  }

  private recordOf(queue: TargetQueue, event: NotifyEventKind, entry: LedgerEntry, rest: Pick<DeliveryRecord, 'outcome' | 'attempts' | 'durationMs'> & Partial<DeliveryRecord>): DeliveryRecord {
    return { target: queue.name, event, url: notifyTargetLabel(queue.target), entrySeq: entry.seq, entryHash: entry.hash, ...rest };
  }

  private async deliver(queue: TargetQueue, event: NotifyEventKind, entry: LedgerEntry): Promise<DeliveryRecord> {
    const started = performance.now();
    const { target } = queue;
    let resolved;
    try {
      resolved = await resolveTarget(target, this.options.secrets);
    } catch (error) {
      const message = error instanceof TargetResolutionError ? error.message : String(error);
      return this.recordOf(queue, event, entry, { outcome: 'failed', attempts: 0, durationMs: performance.now() - started, error: message });
    }
    const document = notificationDocument(entry, event, this.options.plan);
    const body = JSON.stringify((target.format ?? NOTIFY_DEFAULTS.format) === 'slack' ? slackMessage(document) : document);
    const timeoutMs = parseDuration(target.timeout ?? NOTIFY_DEFAULTS.timeout) ?? 5000;
    const attempts = 1 + (target.retries ?? NOTIFY_DEFAULTS.retries);
    let last: { status?: number; error: string } = { error: 'not sent' };
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let answer: PostAnswer | undefined;
      try {
        answer = await this.post({ url: resolved.url, body, headers: resolved.headers, timeoutMs, signal: this.stop.signal });
      } catch (error) {
        const failure = error instanceof PostFailure ? error : undefined;
        last = { error: resolved.scrub(failure ? failure.message : String(error)) };
        if (failure?.kind === 'aborted' || failure?.kind === 'invalid-url') return this.recordOf(queue, event, entry, { outcome: 'failed', attempts: attempt, durationMs: performance.now() - started, ...last });
      }
      if (answer && answer.status >= 200 && answer.status < 300) {
        return this.recordOf(queue, event, entry, { outcome: 'delivered', attempts: attempt, status: answer.status, durationMs: performance.now() - started });
      }
      if (answer) {
        const detail = resolved.scrub(answer.body.trim().slice(0, 200));
        last = { status: answer.status, error: `HTTP ${answer.status}${answer.status >= 300 && answer.status < 400 ? ' (a redirect: notifications are not redirected; fix the URL)' : ''}${detail ? `: ${detail}` : ''}` };
        if (!retryableStatus(answer.status)) return this.recordOf(queue, event, entry, { outcome: 'failed', attempts: attempt, durationMs: performance.now() - started, ...last });
      }
      if (attempt === attempts || this.stop.signal.aborted) break;
      const backoff = this.options.backoffMs ?? 500;
      const cap = this.options.maxBackoffMs ?? 8000;
      const exponential = Math.min(cap, backoff * 2 ** (attempt - 1));
      const delay = Math.min(cap, Math.max(exponential / 2 + this.random() * (exponential / 2), answer?.retryAfterMs ?? 0));
      await this.sleep(delay, this.stop.signal);
    }
    return this.recordOf(queue, event, entry, { outcome: 'failed', attempts, durationMs: performance.now() - started, ...last });
  }

  /** Records the delivery in the ledger and tells the listener; neither may throw out of here. */
  private async finish(record: DeliveryRecord, entry: LedgerEntry): Promise<void> {
    const rounded = { ...record, durationMs: Math.round(record.durationMs) };
    try {
      this.options.onDelivery?.(rounded);
    } catch {
      // A listener's problem is not the delivery's.
    }
    if (!this.options.ledger) return;
    const verb = record.outcome === 'delivered' ? 'delivered' : record.outcome === 'dropped' ? 'dropped' : 'could not deliver';
    const how = record.outcome === 'delivered' ? ` (HTTP ${record.status}, ${record.attempts} attempt${record.attempts === 1 ? '' : 's'})` : `: ${record.error ?? 'failed'}`;
    try {
      await this.options.ledger.append({
        actor: this.options.actor ?? 'rollgate-notify',
        action: 'notification',
        ...(entry.service ? { service: entry.service } : {}),
        ...(entry.runId ? { runId: entry.runId } : {}),
        reason: `${verb} ${record.event} notification to ${record.target}${how}`,
        details: {
          target: rounded.target,
          event: rounded.event,
          outcome: rounded.outcome,
          url: rounded.url,
          attempts: rounded.attempts,
          durationMs: rounded.durationMs,
          entrySeq: rounded.entrySeq,
          entryHash: rounded.entryHash,
          ...(rounded.status !== undefined ? { status: rounded.status } : {}),
          ...(rounded.error !== undefined ? { error: rounded.error } : {}),
        },
      });
    } catch {
      // The ledger refused (damaged, locked away): the rollout's own entries report that.
    }
  }
}
