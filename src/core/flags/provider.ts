/**
 * The flag-provider seam: what Rollgate needs from a feature-flag service to move flags with a
 * rollout and put them back on a rollback. One implementation per file (`unleash.ts`), chosen by
 * `endpoints.flags.type` in `providers.ts`. A provider manages flags (turns them on and off, sets
 * a gradual-rollout percentage) through the service's management API; evaluating flags in the
 * application (what OpenFeature standardises) is not its job.
 */

/** One rule that decides who gets a flag in an environment (Unleash calls it a strategy). */
export interface FlagRule {
  /** The service's id of the rule. */
  id: string;
  /** Kind of rule, e.g. Unleash's `flexibleRollout`, `default`, `userWithId`. */
  kind: string;
  title?: string;
  /** A disabled rule is kept but never matches. */
  disabled: boolean;
  /** The rule's parameters as the service stores them. */
  parameters: Record<string, string>;
  /** How many constraints narrow the rule (0: it applies to everyone). */
  constraints: number;
}

/** The gradual rollout of a flag: the share of users (or requests) for whom it is on. */
export interface FlagRollout {
  /** The rule holding the percentage. */
  ruleId: string;
  /** 0 to 100. */
  percent: number;
}

/** A flag's state in the provider's environment, as read from the service. */
export interface FlagState {
  name: string;
  environment: string;
  enabled: boolean;
  /** The one active percentage rule, when the flag has exactly one. */
  rollout?: FlagRollout;
  /** Every rule of the flag in this environment, in the service's order. */
  rules: FlagRule[];
}

/** What a provider can do; the plan validator refuses what a plan's provider cannot. */
export interface FlagProviderCapabilities {
  /** It can set a gradual-rollout percentage (needed by `followTraffic`). */
  percentageRollout: boolean;
  /** Percentages must be multiples of this (Unleash: whole percent). */
  percentStep: number;
}

export interface FlagCallOptions {
  signal?: AbortSignal;
  /** Overrides the provider's per-request timeout. */
  timeoutMs?: number;
}

/** Where the flags live, checked before a rollout starts. */
export interface FlagServiceCheck {
  /** Each named flag's state, in the order asked. */
  flags: FlagState[];
}

/**
 * A feature-flag service bound to one place (for Unleash: a URL, a project and an environment).
 * Methods throw `EndpointError` (`endpoint: 'flags'`) whose message says what failed and what
 * to do: unreachable, timed out, a token without the permission needed (named), an unknown
 * flag, project or environment.
 */
export interface FlagProvider {
  /** The plan's `endpoints.flags.type`, e.g. `unleash`. */
  readonly type: string;
  readonly capabilities: FlagProviderCapabilities;
  /** Names the service and place for messages and the ledger, e.g. `Unleash http://… (project default, environment production)`. */
  describe(): string;
  /** Reads one flag. */
  read(flag: string, options?: FlagCallOptions): Promise<FlagState>;
  /** Turns a flag on or off; resolves with the state after the change. */
  setEnabled(flag: string, enabled: boolean, options?: FlagCallOptions): Promise<FlagState>;
  /**
   * Sets the flag's gradual-rollout percentage, creating the percentage rule when the flag has
   * none; refuses when it has several (which one Rollgate should move would be a guess).
   */
  setRollout(flag: string, percent: number, options?: FlagCallOptions): Promise<FlagState>;
  /** Removes a percentage rule (one Rollgate created: a restore of a flag that had none). */
  removeRollout(flag: string, ruleId: string, options?: FlagCallOptions): Promise<FlagState>;
  /** Checks the token, the place (project, environment) and that every flag exists. */
  check(flags: readonly string[], options?: FlagCallOptions): Promise<FlagServiceCheck>;
}

/**
 * A change a provider refuses before sending anything, because it would have to guess or round
 * (a fractional percentage, a flag with two percentage rules). Nothing was changed.
 */
export class FlagRefusedError extends Error {
  constructor(
    readonly code: string,
    readonly flag: string,
    message: string,
  ) {
    super(message);
    this.name = 'FlagRefusedError';
  }
}

/** `on`, `off`, `on at 25%`: a flag state the way a person reads it in a message or the ledger. */
export function describeFlagState(state: Pick<FlagState, 'enabled' | 'rollout'>): string {
  const switched = state.enabled ? 'on' : 'off';
  return state.rollout ? `${switched} at ${state.rollout.percent}%` : switched;
}
