// "Roll back now" when no engine of this process drives the service: the side panel's button with
// no rollout running in the window, and `rollgate rollback` on the command line. One
// idempotency-keyed call (the deployment client retries it on transient failure, safely, because
// of the key), recorded in the ledger whatever the outcome.
import { randomUUID } from 'node:crypto';

import type { DeploymentClient } from '../endpoints/deployment';
import type { Ledger } from '../ledger/ledger';
import type { LedgerEntry } from '../ledger/types';
import type { Plan } from '../plan/schema';
import { trafficFromService } from './adapters';
import { planLineage, rollbackTarget } from './planFacts';
import type { TrafficState } from './ports';

export interface ManualRollbackOptions {
  plan: Plan;
  planDigest: string;
  deployment: DeploymentClient;
  ledger: Ledger;
  actor: string;
  reason: string;
  /** Default: the plan's rollback target. */
  to?: string;
  /** The rollout run this rollback belongs to, when one is known (a stored, unfinished rollout). */
  runId?: string;
  /** Prefix of the idempotency key, naming where the action came from (`cli`, `vscode`). */
  keyPrefix?: string;
}

export interface ManualRollbackResult {
  ok: boolean;
  to: string;
  /** Traffic before the rollback, when the endpoint could be read. */
  from?: TrafficState;
  idempotencyKey: string;
  /** Milliseconds from sending the rollback to the endpoint's answer. */
  ms: number;
  /** Why the rollback failed (the endpoint's error), when it did. */
  error?: string;
  /** The ledger entry written, or why none could be written. */
  recorded?: LedgerEntry;
  ledgerError?: string;
}

/** Sends one rollback and records it. Never throws for endpoint or ledger trouble: the result says. */
export async function rollBackService(options: ManualRollbackOptions): Promise<ManualRollbackResult> {
  const { plan, deployment, ledger } = options;
  const to = options.to ?? rollbackTarget(plan);
  const idempotencyKey = `${options.keyPrefix ?? 'manual'}:rollback:${randomUUID()}`;
  let from: TrafficState | undefined;
  try {
    from = trafficFromService(await deployment.getService());
  } catch {
    // The rollback matters more than knowing what it replaces.
  }
  const started = performance.now();
  let error: string | undefined;
  try {
    await deployment.rollback(to, options.reason, { idempotencyKey });
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  const ms = performance.now() - started;
  const result: ManualRollbackResult = { ok: error === undefined, to, ...(from ? { from } : {}), idempotencyKey, ms, ...(error ? { error } : {}) };
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
      details: { outcome: error ? 'failed' : 'ok', idempotencyKey },
    });
  } catch (caught) {
    result.ledgerError = caught instanceof Error ? caught.message : String(caught);
  }
  return result;
}
