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
}

export type DeploymentBackendFactory = (context: DeploymentBackendContext) => DeploymentBackend;
