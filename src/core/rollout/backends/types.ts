import type { JsonValue } from '../../ledger/types';
import type { Plan } from '../../plan/schema';
import type { DevFault } from '../drill';
import type { TrafficControl } from '../ports';

/** What a backend gets to connect: the plan and its deployment endpoint's resolved settings. */
export interface DeploymentBackendContext {
  plan: Plan;
  /** The deployment token, resolved from its secret reference, when the plan names one. */
  token?: string;
  /** Time allowed for one call (`endpoints.deployment.timeout`), when set. */
  timeoutMs?: number;
}

/** Fault injection for drills: only a backend that reaches a test stack (`rollgate dev`) offers it. */
export interface DrillFaults {
  inject(fault: DevFault): Promise<void>;
  clear(): Promise<void>;
  /** The faults on now: a drill killed before it could clear its fault leaves it on. */
  list?(): Promise<DevFault[]>;
}

/** One version as the deployment endpoint serves it now. */
export interface LiveVersion {
  version: string;
  /** Percent of live traffic. */
  weight: number;
  /** Percent of traffic mirrored to it. */
  mirror: number;
  /** The artifact digest the endpoint serves for it, when the backend can tell. */
  digest?: string;
  artifact?: string;
}

/** The service as its deployment endpoint reports it: the side panel's live picture, and what the digest check reads. */
export interface LiveServiceState {
  versions: LiveVersion[];
  stable?: string;
  /** The endpoint's own word for where the service stands (`stable`, `progressing`, `paused`, `rolled-back`). */
  phase?: string;
  /** ISO time of the endpoint's last change (the last traffic change, for "enough data yet"). */
  updatedAt?: string;
}

/** One way of moving traffic between model versions (`endpoints.deployment.type`). */
export interface DeploymentBackend {
  /**
   * The engine's, the manual rollback's and the drill's view of the backend. Its `rollback`
   * sends one attempt: the rollback sender retries, reporting each attempt, so a backend must
   * not retry rollbacks inside (two nested retry loops delay the loud "ROLLBACK FAILED").
   */
  traffic: TrafficControl;
  /** Where the calls go, for messages: the service's URL on the endpoint. */
  target: string;
  /** The rollback to version `to` in words, for "this would send …" and "roll back by hand" messages. */
  rollbackRequest(to: string): string;
  /** Which backend and where, as every ledger entry of a rollout or rollback records it (`details.deployment`). */
  ledger?: { type: string; [key: string]: JsonValue };
  faults?: DrillFaults;
  /** Optional: reads the service's live state (versions, weights, mirror, stable, phase, digests when known). */
  readService?(signal?: AbortSignal): Promise<LiveServiceState>;
  /**
   * True when `readService` reports the artifact digest each version serves. A backend that
   * cannot (HAProxy knows servers and weights, not artifacts) leaves it out: the rollout then
   * skips the digest check and says so (`digestCheckNote`).
   */
  reportsDigests?: boolean;
}

export type DeploymentBackendFactory = (context: DeploymentBackendContext) => DeploymentBackend;
