import { describe, expect, it } from 'vitest';

import { flagPlanText, panelFlags } from '../../../src/core/panel/flags';
import type { PlanFlag } from '../../../src/core/plan/schema';

const follow: PlanFlag = { name: 'new-ranking', default: 'off', followTraffic: true, onRollback: 'restore' };
const kill: PlanFlag = { name: 'explain', default: 'on', followTraffic: false, onRollback: 'off' };

describe('panel flags section', () => {
  it('says what the plan does with each flag', () => {
    expect(flagPlanText(follow)).toBe('default off · follows traffic · rollback: restore');
    expect(flagPlanText(kill)).toBe('default on · rollback: off');
  });

  it('shows live states, a flag that could not be read, and a service-wide problem', () => {
    const flags = panelFlags(
      'Unleash http://127.0.0.1:4242 (project default, environment production)',
      [follow, kill],
      {
        'new-ranking': { state: { name: 'new-ranking', environment: 'production', enabled: true, rollout: { ruleId: 'a', percent: 10 }, rules: [] } },
        explain: { problem: "Unleash has no flag 'explain'" },
      },
      { readAt: '2026-12-02T10:00:00.000Z' },
    );
    expect(flags.flags).toEqual([
      { name: 'new-ranking', planText: 'default off · follows traffic · rollback: restore', liveText: 'on at 10%', live: 'on' },
      { name: 'explain', planText: 'default on · rollback: off', liveText: 'unknown', live: 'unknown', problem: "Unleash has no flag 'explain'" },
    ]);
    expect(flags.readAt).toBe('2026-12-02T10:00:00.000Z');

    const down = panelFlags('Unleash http://127.0.0.1:4242', [follow], {}, { problem: 'flag service http://127.0.0.1:4242 is unreachable' });
    expect(down).toMatchObject({ problem: 'flag service http://127.0.0.1:4242 is unreachable', flags: [{ liveText: 'unknown', live: 'unknown' }] });
  });
});
