// The engine's feature-flag steps (docs/flags.md): at start the plan's flags are recorded and
// switched to their defaults, at each stage the `followTraffic` flags follow its traffic; the
// results go into the same ledger entries as the traffic, and failures are reported loudly.
import { describeFlagChanges, describeFlagFailures, type FlagStepResult, type RolloutFlags } from '../flags/rolloutFlags';
import type { TrafficState } from './ports';
import type { RolloutRun } from './run';
import type { StageSnapshot } from './state';

export class FlagSteps {
  constructor(
    private readonly run: RolloutRun,
    readonly flags: RolloutFlags,
  ) {}

  /** True once every flag was recorded and switched to its default. */
  get started(): boolean {
    const state = this.run.state.flags;
    return !!state && this.flags.flags.every((flag) => state.recorded[flag.name] && state.defaultsApplied.includes(flag.name));
  }

  /** Records the flags' states and applies their defaults (only what is still missing), then saves the state. */
  async start(): Promise<FlagStepResult> {
    const state = (this.run.state.flags ??= { recorded: {}, defaultsApplied: [] });
    const result = await this.flags.start(state);
    await this.run.persist();
    this.report(result);
    return result;
  }

  /**
   * The stage's candidate traffic for the `followTraffic` flags; undefined when no flag follows
   * traffic. `stage.flagsApplied` stays false until they did, so a resume tries again.
   */
  async stage(stage: StageSnapshot, traffic: TrafficState): Promise<FlagStepResult | undefined> {
    if (!this.flags.followsTraffic) return undefined;
    stage.flagsApplied = false;
    const result = await this.flags.stage(stage.name, traffic.weights[this.run.state.candidateVersion] ?? 0);
    if (result.ok) stage.flagsApplied = true;
    this.report(result, stage.name);
    return result;
  }

  /** Why the rollout pauses after a failed flag step: what failed, where traffic stands, what to do. */
  pauseReason(when: string, result: FlagStepResult, traffic: string): string {
    return `feature flags could not be set ${when}: ${describeFlagFailures(result)}. ${traffic} Set them by hand (${result.manual.join(' ')}) or fix the flag service, then resume.`;
  }

  private report(result: FlagStepResult, stage?: string): void {
    const changed = describeFlagChanges(result);
    if (changed) this.run.emit('flags-set', `feature flags set on ${this.flags.describe()}: ${changed}`, stage);
    if (!result.ok) this.run.emit('flags-failed', `FLAG CHANGE FAILED: ${describeFlagFailures(result)}. Set by hand: ${result.manual.join(' ')}`, stage);
  }
}
