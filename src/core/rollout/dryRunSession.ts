// A dry run of a plan, set up once for the CLI (`rollgate rollout --dry-run`) and the editor's
// "Dry run" command: the engine runs the plan on a virtual clock against stand-ins that send
// nothing, and each event is retold as what would have been sent.
import { describeFlagEndpoint, DryRunFlagProvider, flagProviderCapabilities, RolloutFlags } from '../flags/index';
import type { MetricSource } from '../guardrails/evaluate';
import type { Plan } from '../plan/schema';
import { VirtualClock } from './ports';
import { DryRunTraffic, unreadMetrics } from './dryRun';
import { RolloutEngine } from './engine';
import type { RolloutEvent } from './events';
import { MemoryStateStore } from './state';
import { describeTraffic } from './traffic';

export interface DryRunSession {
  engine: RolloutEngine;
  /** The calls the deployment endpoint would have received, in order. */
  traffic: DryRunTraffic;
  /** The calls the flag service would have received, when the plan has flags. */
  flagCalls: DryRunFlagProvider | undefined;
  clock: VirtualClock;
  /** The first line to show: what is sent (nothing), what the guardrails read, how flags start. */
  headline: string;
  /** The event as a dry run tells it: what would be sent instead of what was set. */
  retell(event: RolloutEvent): RolloutEvent;
}

/**
 * Sets up a dry run of `plan`. `metrics` is what the guardrails read (default: nothing, every
 * guardrail is "not measured"); `metricsNote` says what that is, for the headline.
 */
export async function createDryRun(plan: Plan, digest: string, metrics: MetricSource = unreadMetrics, metricsNote = 'guardrails are not measured'): Promise<DryRunSession> {
  const traffic = new DryRunTraffic(plan.model.baseline.version);
  const clock = new VirtualClock();
  // Flags are not read either: the dry run starts each one off, without a gradual rollout.
  const flagEndpoint = plan.endpoints.flags;
  const flagCalls = flagEndpoint && plan.flags?.length ? new DryRunFlagProvider(describeFlagEndpoint(flagEndpoint), flagProviderCapabilities[flagEndpoint.type], flagEndpoint.type) : undefined;
  const engine = await RolloutEngine.create({
    plan,
    planDigest: digest,
    traffic,
    metrics,
    ...(flagCalls && plan.flags ? { flags: new RolloutFlags(flagCalls, plan.flags, { sleep: (ms, signal) => clock.sleep(ms, signal) }) } : {}),
    clock,
    stateStore: new MemoryStateStore(),
    actor: 'dry-run',
    // A dry run shows the gate, then carries on as if it were approved.
    autoApprove: true,
    progressIntervalMs: Infinity,
  });
  const headline = `Dry run of ${plan.metadata.name} (${plan.metadata.service}): nothing is sent; ${metricsNote}${flagCalls ? '; feature flags are taken to start off, without a gradual rollout' : ''}.`;
  const retell = (event: RolloutEvent): RolloutEvent => {
    if (event.kind === 'traffic-set') {
      const call = traffic.calls.at(-1);
      const weights = call?.weights ? { weights: call.weights, ...(call.mirror ? { mirror: call.mirror } : {}) } : undefined;
      return { ...event, message: `would send PUT traffic ${describeTraffic(weights)} (Idempotency-Key ${call?.idempotencyKey ?? '?'})` };
    }
    // With flags, the traffic call is reported when it is done, before the flags are restored.
    const rollbackCall = `would send POST rollback to ${event.snapshot.rollbackTo}: ${event.snapshot.rollback?.reason ?? ''}`;
    if (event.kind === 'rollback-traffic-done') return { ...event, message: rollbackCall };
    if (event.kind === 'rolled-back') return { ...event, message: flagCalls ? `would record the rollback to ${event.snapshot.rollbackTo} with the traffic and the flags in one ledger entry` : rollbackCall };
    if (event.kind === 'waiting-approval') return { ...event, message: `${event.message} (a dry run continues as if approved)` };
    if (event.kind === 'flags-set') return { ...event, message: `would set ${event.message.replace(/^feature flags (set|restored) on/, 'feature flags on')}` };
    return event;
  };
  return { engine, traffic, flagCalls, clock, headline, retell };
}
