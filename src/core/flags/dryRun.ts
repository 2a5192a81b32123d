import type { FlagCallOptions, FlagProvider, FlagProviderCapabilities, FlagServiceCheck, FlagState } from './provider';

/** One change a dry run would have sent to the flag service. */
export interface IntendedFlagCall {
  flag: string;
  kind: 'set-enabled' | 'set-rollout' | 'remove-rollout';
  enabled?: boolean;
  percent?: number;
}

/**
 * Stands in for the flag service in a dry run: sends nothing, remembers what would have been
 * sent. Every flag starts as `initial` says, or off without a gradual rollout (the dry run does
 * not read the real service).
 */
export class DryRunFlagProvider implements FlagProvider {
  readonly type: string;
  readonly calls: IntendedFlagCall[] = [];
  private readonly states = new Map<string, FlagState>();
  private rules = 0;

  constructor(
    private readonly where: string,
    readonly capabilities: FlagProviderCapabilities,
    type = 'dry-run',
    initial: readonly FlagState[] = [],
  ) {
    this.type = type;
    for (const state of initial) this.states.set(state.name, structuredClone(state));
  }

  describe(): string {
    return this.where;
  }

  async read(flag: string, _options?: FlagCallOptions): Promise<FlagState> {
    return structuredClone(this.state(flag));
  }

  async setEnabled(flag: string, enabled: boolean): Promise<FlagState> {
    this.calls.push({ flag, kind: 'set-enabled', enabled });
    this.state(flag).enabled = enabled;
    return this.read(flag);
  }

  async setRollout(flag: string, percent: number): Promise<FlagState> {
    this.calls.push({ flag, kind: 'set-rollout', percent });
    const state = this.state(flag);
    if (state.rollout) state.rollout.percent = percent;
    else {
      const ruleId = `dry-run-${++this.rules}`;
      state.rollout = { ruleId, percent };
      state.rules.push({ id: ruleId, kind: 'gradual rollout', disabled: false, parameters: { rollout: String(percent) }, constraints: 0 });
    }
    return this.read(flag);
  }

  async removeRollout(flag: string, ruleId: string): Promise<FlagState> {
    this.calls.push({ flag, kind: 'remove-rollout' });
    const state = this.state(flag);
    state.rules = state.rules.filter((rule) => rule.id !== ruleId);
    if (state.rollout?.ruleId === ruleId) delete state.rollout;
    return this.read(flag);
  }

  async check(flags: readonly string[]): Promise<FlagServiceCheck> {
    return { flags: await Promise.all(flags.map((flag) => this.read(flag))) };
  }

  private state(flag: string): FlagState {
    let state = this.states.get(flag);
    if (!state) {
      state = { name: flag, environment: 'dry-run', enabled: false, rules: [] };
      this.states.set(flag, state);
    }
    return state;
  }
}
