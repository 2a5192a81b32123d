import { describeFlagState, type FlagState } from '../flags/provider';
import type { PlanFlag } from '../plan/schema';
import type { PanelFlag, PanelFlags } from './protocol';

/** What the plan does with a flag, in one line: "default off · follows traffic · rollback: restore". */
export function flagPlanText(flag: PlanFlag): string {
  return [`default ${flag.default}`, ...(flag.followTraffic ? ['follows traffic'] : []), `rollback: ${flag.onRollback}`].join(' · ');
}

/** The live state the panel got for each flag: its state, or why it could not be read. */
export type LiveFlagReadings = Record<string, { state: FlagState } | { problem: string }>;

/**
 * The panel's flags section for a plan: every flag the plan lists, with its live state where it
 * was read. `problem` covers the whole service (unreachable, no token); a flag's own problem
 * (unknown flag) stays with the flag.
 */
export function panelFlags(service: string, flags: readonly PlanFlag[], readings: LiveFlagReadings, options: { problem?: string; readAt?: string } = {}): PanelFlags {
  const items = flags.map((flag): PanelFlag => {
    const reading = readings[flag.name];
    const item: PanelFlag = { name: flag.name, planText: flagPlanText(flag), liveText: 'unknown', live: 'unknown' };
    if (reading && 'state' in reading) {
      item.liveText = describeFlagState(reading.state);
      item.live = reading.state.enabled ? 'on' : 'off';
    } else if (reading) item.problem = reading.problem;
    return item;
  });
  return { service, flags: items, ...(options.problem ? { problem: options.problem } : {}), ...(options.readAt ? { readAt: options.readAt } : {}) };
}
