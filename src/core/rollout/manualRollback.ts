// "Roll back now" when no engine of this process drives the service: the side panel's button with
// no rollout running in the window, and `rollgate rollback` on the command line. One
// idempotency-keyed rollback through the plan's deployment backend (retried on transient
// failure by the rollback sender, safely, because of the key), recorded in the ledger whatever
// the outcome. It takes no lock: during an incident the rollback comes first, and a runner that
// meets the changed traffic pauses instead of undoing it.
import { randomUUID } from 'node:crypto';

import { errorMessage } from '../errors';
import { describeFlagEndpoint } from '../flags/providers';
import { flagsNotConnected, lastRecordedFlags } from '../flags/recorded';
import { RolloutFlags, type FlagStepResult } from '../flags/rolloutFlags';
import { Ledger } from '../ledger/ledger';
import type { JsonValue, LedgerEntry } from '../ledger/types';
import type { LockOwner } from '../lock/index';
import type { Plan } from '../plan/schema';
import type { SecretResolver } from '../secrets';
import { connectDeployment, connectFlags } from './connect';
import { FileStateStore } from './fileStore';
import { planLineage, rollbackTarget } from './planFacts';
import type { TrafficControl, TrafficState } from './ports';
import { sendRollbackWithRetries, type RollbackFlags, type RollbackRetryPolicy } from './rollbackSender';
import { serviceLockHolder } from './serviceLock';
import { FINISHED_STATUSES, type RolloutSnapshot } from './state';

/** A manual rollback's retries: 3 attempts, 200 ms doubling (what the deployment client used to do inside one call). */
export const MANUAL_ROLLBACK_RETRIES: RollbackRetryPolicy = { attempts: 3, firstDelayMs: 200, maxDelayMs: 2000 };

export interface ManualRollbackOptions {
  plan: Plan;
  planDigest: string;
  traffic: Pick<TrafficControl, 'getState' | 'rollback'>;
  ledger: Ledger;
  actor: string;
  reason: string;
  /** Default: the plan's rollback target. */
  to?: string;
  /** The rollout run this rollback belongs to, when one is known. */
  runId?: string;
  /** Prefix of the idempotency key, naming where the action came from (`cli`, `vscode`). */
  keyPrefix?: string;
  retries?: RollbackRetryPolicy;
  /** The plan's feature flags, restored after the traffic and recorded in the same entry. */
  flags?: RollbackFlags;
  /** Which backend and where (`DeploymentBackend.ledger`), recorded as `details.deployment`. */
  deployment?: { [key: string]: JsonValue };
}

export interface ManualRollbackResult {
  ok: boolean;
  to: string;
  /** Traffic before the rollback, when the endpoint could be read. */
  from?: TrafficState;
  idempotencyKey: string;
  /** Milliseconds from sending the rollback to the endpoint's (last) answer. */
  ms: number;
  attempts: number;
  /** Why the rollback failed (the endpoint's error), when it did. */
  error?: string;
  /** The flags' restore, when the plan lists flags (`ok: false`: some must be set by hand). */
  flags?: FlagStepResult;
  /** The ledger entry written, or why none could be written. */
  recorded?: LedgerEntry;
  ledgerError?: string;
}

/** Sends one rollback and records it. Never throws for endpoint or ledger trouble: the result says. */
export async function rollBackService(options: ManualRollbackOptions): Promise<ManualRollbackResult> {
  const { plan, traffic, ledger } = options;
  const to = options.to ?? rollbackTarget(plan);
  const idempotencyKey = `${options.keyPrefix ?? 'manual'}:rollback:${randomUUID()}`;
  let from: TrafficState | undefined;
  try {
    from = await traffic.getState();
  } catch {
    // The rollback matters more than knowing what it replaces.
  }
  const started = performance.now();
  const sent = await sendRollbackWithRetries(traffic, { to, reason: options.reason, idempotencyKey }, options.retries ?? MANUAL_ROLLBACK_RETRIES, {
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const ms = performance.now() - started;
  const error = sent.ok ? undefined : errorMessage(sent.error);
  // Traffic first; the flags after it, however long their service takes.
  const flags = options.flags ? await options.flags.restore() : undefined;
  const result: ManualRollbackResult = { ok: sent.ok, to, ...(from ? { from } : {}), idempotencyKey, ms, attempts: sent.attempts, ...(error ? { error } : {}), ...(flags ? { flags } : {}) };
  try {
    result.recorded = await ledger.append({
      actor: options.actor,
      action: 'rollback',
      service: plan.metadata.service,
      ...(from ? { from: { weights: from.weights } } : {}),
      ...(error ? {} : { to: { version: to, weights: { [to]: 100 } } }),
      reason: error ? `${options.reason}; FAILED: ${error}` : options.reason,
      planDigest: options.planDigest,
      lineage: planLineage(plan),
      ...(options.runId ? { runId: options.runId } : {}),
      ...(flags ? { flags: flags.changes } : {}),
      details: { outcome: error ? 'failed' : 'ok', idempotencyKey, ...(options.deployment ? { deployment: options.deployment } : {}) },
    });
  } catch (caught) {
    result.ledgerError = errorMessage(caught);
  }
  return result;
}

export interface RollBackPlanOptions {
  plan: Plan;
  planDigest: string;
  /** Where the deployment token comes from. */
  secrets: SecretResolver;
  ledgerPath: string;
  /** The folder of rollout state and service locks (`<workspace>/.rollgate/state`). */
  stateDir: string;
  actor: string;
  reason: string;
  to?: string;
  keyPrefix: string;
}

export interface RollBackPlanResult extends ManualRollbackResult {
  /** The rollback call in words (`POST <url>/rollback`), for "roll back by hand" messages. */
  rollbackRequest: string;
  /** The service's stored rollout, when one could be read. */
  stored?: RolloutSnapshot;
  /** Why the stored rollout could not be read (the rollback went out all the same). */
  storedProblem?: string;
  /** The live runner holding the service, read after the rollback without touching its lock. */
  runner?: LockOwner;
}

/**
 * Connects the plan's deployment backend (a missing token throws `SecretNotSetError` before
 * anything is sent), rolls back, and records it. The stored rollout of the service lends the
 * rollback its run id when it is unfinished or of this plan, so the ledger groups them.
 */
export async function rollBackPlan(options: RollBackPlanOptions): Promise<RollBackPlanResult> {
  const { plan } = options;
  const { deployment, secrets } = await connectDeployment(plan, options.secrets);
  let stored: RolloutSnapshot | undefined;
  let storedProblem: string | undefined;
  try {
    stored = await new FileStateStore(options.stateDir).load(plan.metadata.service);
  } catch (error) {
    storedProblem = errorMessage(error);
  }
  const joinsRun = stored && (!FINISHED_STATUSES.includes(stored.status) || stored.planDigest === options.planDigest);
  const ledger = new Ledger({ path: options.ledgerPath, secrets });
  const flags = await planRollbackFlags(plan, options.secrets, joinsRun ? stored : undefined, ledger, secrets);
  const result = await rollBackService({
    plan,
    planDigest: options.planDigest,
    traffic: deployment.traffic,
    ledger,
    ...(flags ? { flags } : {}),
    actor: options.actor,
    reason: options.reason,
    keyPrefix: options.keyPrefix,
    ...(deployment.ledger ? { deployment: deployment.ledger } : {}),
    ...(options.to ? { to: options.to } : {}),
    ...(joinsRun && stored ? { runId: stored.runId } : {}),
  });
  const runner = await serviceLockHolder(options.stateDir, plan.metadata.service).catch(() => undefined);
  return { ...result, rollbackRequest: deployment.rollbackRequest(result.to), ...(stored ? { stored } : {}), ...(storedProblem ? { storedProblem } : {}), ...(runner ? { runner } : {}) };
}

/**
 * A manual rollback's flags: restored as the plan says, from the state the rollout recorded at
 * its start (its stored state, else its `rollout-start` ledger entry). A flag service that cannot
 * be connected (a token not set) never stops the traffic rollback: its flags are recorded as
 * failed, with what to set by hand. `secrets` gains the flag token, for the ledger to redact.
 */
async function planRollbackFlags(plan: Plan, resolver: SecretResolver, stored: RolloutSnapshot | undefined, ledger: Ledger, secrets: Record<string, string>): Promise<RollbackFlags | undefined> {
  const endpoint = plan.endpoints.flags;
  if (!endpoint || !plan.flags?.length) return undefined;
  const flags = plan.flags;
  const where = { describe: () => describeFlagEndpoint(endpoint) };
  const recorded = async () => stored?.flags?.recorded ?? (await lastRecordedFlags(ledger, plan.metadata.service).catch(() => undefined));
  try {
    const connected = await connectFlags(plan, resolver);
    Object.assign(secrets, connected.secrets);
    const provider = connected.flags;
    if (!provider) return undefined;
    const rolloutFlags = new RolloutFlags(provider, flags);
    return { describe: () => provider.describe(), restore: async () => rolloutFlags.rollback(await recorded()) };
  } catch (error) {
    const message = errorMessage(error);
    return { describe: where.describe, restore: async () => flagsNotConnected(flags, await recorded(), where, message) };
  }
}
