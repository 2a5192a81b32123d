// The one place that opens a rollout, for the CLI and the editor alike: connects the plan's
// endpoints, takes the service lock, decides once (after the lock) whether to resume, start
// afresh or refuse, and wires the ledger, the state store and, for a drill, the fault.
import * as path from 'node:path';

import { RolloutFlags } from '../flags/rolloutFlags';
import { Ledger } from '../ledger/ledger';
import { planPromotionGate } from '../notify/gateControl';
import { Notifier, type DeliveryRecord } from '../notify/sender';
import type { LedgerEntry } from '../ledger/types';
import type { Plan } from '../plan/schema';
import type { SecretResolver } from '../secrets';
import { deploymentBackendType } from './backends/index';
import { connectPlan, type PlanConnection } from './connect';
import { digestCheckNote } from './digestCheck';
import { isLoopbackUrl, pickDrillStage, runDrill, type DevFault, type DrillResult } from './drill';
import { RolloutEngine, type RolloutEngineOptions } from './engine';
import { FileStateStore, stateFile } from './fileStore';
import { LedgerChangeLog } from './ledgerChangeLog';
import { systemClock } from './ports';
import { acquireServiceLock, type ServiceLock } from './serviceLock';
import { settleStart, type DiscardQuestion } from './startDecision';
import type { RolloutSnapshot } from './state';

/** Where a workspace keeps rollout state and service locks, relative to its root. */
export const DEFAULT_STATE_DIR = path.join('.rollgate', 'state');

/** Thrown before anything is sent or locked when a drill cannot run against the plan. */
export class DrillNotPossibleError extends Error {
  constructor(
    readonly reason: 'not-local' | 'no-stage' | 'unknown-stage' | 'no-faults',
    message: string,
  ) {
    super(message);
    this.name = 'DrillNotPossibleError';
  }
}

export interface DrillRequest {
  /** The stage the fault strikes in; default: the first live-traffic stage with guardrails. */
  stage?: string;
  /** Error rate of the injected fault, 0..1. Default 1. */
  errorRate?: number;
}

export interface OpenRolloutOptions {
  plan: Plan;
  /** `planDigest(text)` of the plan file. */
  planDigest: string;
  /** Resolves the tokens the plan's endpoints name. */
  secrets: SecretResolver;
  /** The workspace root: state and locks live in `<root>/.rollgate/state`. */
  workspaceRoot: string;
  ledgerPath: string;
  /** Who drives, for the ledger (`cli:alice`, `vscode:alice`, `drill:alice`). */
  actor: string;
  /** Run as a drill: only against `rollgate dev` on this machine, always from the start. */
  drill?: DrillRequest;
  /** Discard stored state and start afresh (implied by a drill). */
  restart?: boolean;
  /** A finished rollout of the same plan starts again instead of being reported as it ended. */
  rerunFinished?: boolean;
  /** Asked before stored state is discarded; resolve to go ahead, throw to stop (see `settleStart`). */
  confirmDiscard?: (question: DiscardQuestion) => Promise<void>;
  /** Called with every ledger entry the rollout writes, once it is on disk. */
  onRecorded?: (entry: LedgerEntry) => void;
  /** Told about each delivery (or final failure) to the plan's `notify` targets. */
  onNotification?: (record: DeliveryRecord) => void;
  /** Engine settings passed through: approvals, waiting for people, progress, rollback retries. */
  engine?: Pick<RolloutEngineOptions, 'autoApprove' | 'waitForPeople' | 'progressIntervalMs' | 'rollbackAttempts' | 'rollbackRetryDelayMs' | 'clock'>;
  /** Connects the endpoints; default {@link connectPlan}. */
  connect?: (plan: Plan, secrets: SecretResolver) => Promise<PlanConnection>;
}

/** A drill ready to run: its stage, and the run that injects the fault and measures. */
export interface OpenedDrill {
  stage: string;
  /** Drives the engine, injects the fault after the stage's first healthy measurement, clears it afterwards. */
  run(hooks?: { onInjected?: () => void; onClearFailed?: (error: unknown) => void; onStaleFaultsCleared?: (faults: DevFault[]) => void }): Promise<DrillResult>;
}

/** An open rollout: its engine, ready to run, holding the service lock until {@link close}. */
export interface OpenedRollout {
  engine: RolloutEngine;
  connection: PlanConnection;
  /** The stored snapshot this run resumes, when it does. */
  resumed?: RolloutSnapshot;
  drill?: OpenedDrill;
  /** Sends the plan's notifications (`notify`); they outlive {@link close}: `drain` before a process exits. */
  notifications: Notifier;
  /** Set when the backend cannot report digests, so traffic changes are not checked against the plan's. */
  digestNote?: string;
  /** Releases the service lock (idempotent). The state stays on disk for the next runner. */
  close(): Promise<void>;
}

/** Checks a drill can run before anything is connected or locked, and picks its stage. */
export function drillStageFor(plan: Plan, request: DrillRequest): string {
  const { deployment, metrics } = plan.endpoints;
  if (!isLoopbackUrl(deployment.url) || !isLoopbackUrl(metrics.url)) {
    throw new DrillNotPossibleError('not-local', `a drill injects faults and runs only against rollgate dev on this machine; the plan's endpoints are ${deployment.url} and ${metrics.url}`);
  }
  const stage = pickDrillStage(plan, request.stage);
  if (stage) return stage;
  throw request.stage !== undefined
    ? new DrillNotPossibleError('unknown-stage', `the plan has no stage named '${request.stage}'`)
    : new DrillNotPossibleError('no-stage', 'the plan has no stage with guardrails to drill');
}

/**
 * Opens a rollout of `plan`: connects its endpoints (a missing secret throws
 * `SecretNotSetError`), takes the service lock (`LockHeldError` names a live runner), reads the
 * stored state and decides once what to do with it (`RolloutConflictError`,
 * `StoredStateUnreadableError`, or `confirmDiscard`), then creates the engine over the ledger
 * and the state store. Anything thrown after the lock was taken releases it.
 */
export async function openRollout(options: OpenRolloutOptions): Promise<OpenedRollout> {
  const { plan } = options;
  const service = plan.metadata.service;
  const drillStage = options.drill ? drillStageFor(plan, options.drill) : undefined;
  const connection = await (options.connect ?? connectPlan)(plan, options.secrets);
  const faults = connection.deployment.faults;
  if (drillStage && !faults) throw new DrillNotPossibleError('no-faults', `the deployment endpoint ${connection.deployment.target} cannot inject faults; a drill needs rollgate dev`);

  const stateDir = path.join(options.workspaceRoot, DEFAULT_STATE_DIR);
  const lock: ServiceLock = await acquireServiceLock(stateDir, service);
  try {
    const store = new FileStateStore(stateDir);
    const resumed = await settleStart({
      store,
      service,
      planDigest: options.planDigest,
      location: stateFile(stateDir, service),
      restart: options.restart === true || drillStage !== undefined,
      rerunFinished: options.rerunFinished ?? false,
      ...(options.confirmDiscard ? { confirmDiscard: options.confirmDiscard } : {}),
    });
    const ledger = new Ledger({ path: options.ledgerPath, secrets: connection.secrets });
    const changeLog = new LedgerChangeLog(ledger, connection.deployment.ledger);
    if (options.onRecorded) changeLog.onRecorded(options.onRecorded);
    // Notifications go out after each entry is on disk and never hold up the engine (docs/notifications.md).
    const notifications = new Notifier({
      targets: plan.notify ?? [],
      plan: { name: plan.metadata.name, environment: plan.metadata.environment },
      secrets: options.secrets,
      ledger,
      ...(options.onNotification ? { onDelivery: options.onNotification } : {}),
    });
    if (notifications.active) changeLog.onRecorded((entry) => notifications.notify(entry));
    const promotionGate = planPromotionGate(plan, options.secrets, options.engine?.clock ?? systemClock);
    const engine = await RolloutEngine.start(
      {
        ...options.engine,
        ...(drillStage ? { autoApprove: true } : {}),
        plan,
        planDigest: options.planDigest,
        traffic: connection.deployment.traffic,
        metrics: connection.metrics,
        ...(connection.flags && plan.flags?.length ? { flags: new RolloutFlags(connection.flags, plan.flags, { sleep: (ms, signal) => (options.engine?.clock ?? systemClock).sleep(ms, signal) }) } : {}),
        changeLog,
        stateStore: store,
        actor: options.actor,
        ...(promotionGate ? { promotionGate } : {}),
      },
      resumed,
    );
    const digestNote = digestCheckNote(connection.deployment, deploymentBackendType(plan));
    const opened: OpenedRollout = { engine, connection, ...(resumed ? { resumed } : {}), ...(digestNote ? { digestNote } : {}), notifications, close: () => lock.release() };
    if (drillStage && faults) {
      const fault = { version: plan.model.candidate.version, errorRate: options.drill?.errorRate ?? 1 };
      opened.drill = {
        stage: drillStage,
        run: async (hooks = {}) => {
          // A drill killed before its `finally` leaves its fault on the stack: clear it first, and say so.
          const stale = (await faults.list?.().catch(() => [])) ?? [];
          if (stale.length > 0) {
            await faults.clear();
            hooks.onStaleFaultsCleared?.(stale);
          }
          try {
            return await runDrill({
              engine,
              stage: drillStage,
              rollbackTo: engine.snapshot().rollbackTo,
              injectFault: async () => {
                await faults.inject(fault);
                hooks.onInjected?.();
              },
              readTraffic: () => connection.deployment.traffic.getState(),
            });
          } finally {
            await faults.clear().catch((error: unknown) => hooks.onClearFailed?.(error));
          }
        },
      };
    }
    return opened;
  } catch (error) {
    await lock.release();
    throw error;
  }
}
