// What a rollout does to its flags (start, stages, rollback), applied to a real Unleash 8.2 and
// read back through Unleash's own admin API; and how a failing flag service ends up in the
// change record: failed, with what to set by hand.
import { describe, expect, it } from 'vitest';

import { applyFlagTargets, rollbackTargets, stageTargets, startTargets, UnleashFlagProvider, type FlagState } from '../../../src/core/flags/index';
import type { PlanFlag } from '../../../src/core/plan/schema';
import { freePort } from '../../../src/dev/index';
import { createFlag, createViewerToken, unleashApi, uniqueFlagName, useFlagService } from '../../support/flagService';

const service = useFlagService();

function provider(options: { token?: string; baseUrl?: string; record?: string[] } = {}): UnleashFlagProvider {
  const { url, adminToken } = service();
  const record = options.record;
  return new UnleashFlagProvider({
    baseUrl: options.baseUrl ?? url,
    token: options.token ?? adminToken,
    project: 'default',
    environment: 'production',
    timeoutMs: 20_000,
    retries: 0,
    ...(record ? { fetch: (input: string, init: RequestInit) => (record.push(`${init.method} ${new URL(input).pathname.replace(/^.*\/environments\/production/, '')}`), fetch(input, init)) } : {}),
  });
}

interface Raw {
  enabled: boolean;
  strategies: Array<{ id: string; name: string; parameters: Record<string, string> }>;
}
const raw = (flag: string): Promise<Raw> => unleashApi(service(), 'GET', `/api/admin/projects/default/features/${flag}/environments/production`) as Promise<Raw>;
const flag = (name: string, rest: Partial<PlanFlag> = {}): PlanFlag => ({ name, default: 'off', followTraffic: false, onRollback: 'restore', ...rest });
const noWait = async (): Promise<void> => undefined;

describe('flag changes of a rollout on a real Unleash', () => {
  it('a followTraffic flag: off at 0 % at start, on at each stage percentage, and a rollback restores what Unleash had', async () => {
    const name = uniqueFlagName('follow');
    await createFlag(service(), name);
    const before = await raw(name);
    const flags = [flag(name, { followTraffic: true })];
    const unleash = provider();

    const recorded: Record<string, FlagState> = { [name]: await unleash.read(name) };
    const [start] = await applyFlagTargets(unleash, startTargets(flags));
    expect(start).toMatchObject({ name, reason: 'default', before: { enabled: false }, target: 'off at 0%', after: { enabled: false, percent: 0 }, outcome: 'ok', attempts: 1 });

    for (const traffic of [10, 50, 100]) {
      const [change] = await applyFlagTargets(unleash, stageTargets(flags, `canary-${traffic}`, traffic));
      expect(change).toMatchObject({ reason: `stage canary-${traffic}`, after: { enabled: true, percent: traffic }, outcome: 'ok' });
      const now = await raw(name);
      expect(now.enabled).toBe(true);
      expect(now.strategies).toHaveLength(1);
      expect(now.strategies[0]!.parameters.rollout).toBe(String(traffic));
    }

    const [rollback] = await applyFlagTargets(unleash, rollbackTargets(flags, recorded));
    expect(rollback).toMatchObject({ reason: 'rollback: restore', before: { enabled: true, percent: 100 }, target: 'off, no gradual rollout', after: { enabled: false }, outcome: 'ok' });
    expect(rollback!.after).not.toHaveProperty('percent');
    expect(await raw(name)).toEqual(before);
  });

  it("restores a team's own gradual rollout and on/off state exactly, and leaves its other strategies alone", async () => {
    const name = uniqueFlagName('team');
    await createFlag(service(), name, {
      enabledIn: ['production'],
      strategies: {
        production: [
          { name: 'default', constraints: [{ contextName: 'userId', operator: 'IN', values: ['alice', 'bob'], caseInsensitive: false, inverted: false }] },
          { name: 'flexibleRollout', parameters: { rollout: '30', stickiness: 'userId', groupId: 'ranking' } },
        ],
      },
    });
    const before = await raw(name);
    const flags = [flag(name, { followTraffic: true, default: 'on' })];
    const unleash = provider();
    const recorded = { [name]: await unleash.read(name) };

    await applyFlagTargets(unleash, startTargets(flags));
    await applyFlagTargets(unleash, stageTargets(flags, 'canary-5', 5));
    expect((await raw(name)).strategies.map((strategy) => strategy.parameters.rollout ?? strategy.name)).toEqual(['default', '5']);

    const [restored] = await applyFlagTargets(unleash, rollbackTargets(flags, recorded));
    expect(restored).toMatchObject({ before: { enabled: true, percent: 5 }, target: 'on at 30%', after: { enabled: true, percent: 30 }, outcome: 'ok' });
    expect(await raw(name)).toEqual(before);
  });

  it('restoring a flag that started off without strategies also removes the strategy Unleash added when it was turned on', async () => {
    const name = uniqueFlagName('plain');
    await createFlag(service(), name);
    const before = await raw(name);
    const flags = [flag(name, { default: 'on' })];
    const unleash = provider();
    const recorded = { [name]: await unleash.read(name) };

    const [start] = await applyFlagTargets(unleash, startTargets(flags));
    expect(start).toMatchObject({ target: 'on', after: { enabled: true, percent: 100 } });
    const [restored] = await applyFlagTargets(unleash, rollbackTargets(flags, recorded));
    expect(restored).toMatchObject({ target: 'off, no gradual rollout', after: { enabled: false }, outcome: 'ok' });
    expect(await raw(name)).toEqual(before);
  });

  it('onRollback off and on switch the flag whatever it was, and only the flags that follow traffic move with stages', async () => {
    const killSwitch = uniqueFlagName('kill');
    const fallback = uniqueFlagName('fallback');
    await createFlag(service(), killSwitch, { enabledIn: ['production'] });
    await createFlag(service(), fallback);
    const flags = [flag(killSwitch, { default: 'on', onRollback: 'off' }), flag(fallback, { default: 'off', onRollback: 'on' })];
    const unleash = provider();

    expect(stageTargets(flags, 'canary-10', 10)).toEqual([]);
    await applyFlagTargets(unleash, startTargets(flags));
    const changes = await applyFlagTargets(unleash, rollbackTargets(flags, {}));
    // Unleash gives a flag turned on without any strategy its default one, a flexibleRollout at 100 %.
    expect(changes.map((change) => [change.name, change.target, change.after])).toEqual([
      [killSwitch, 'off', { enabled: false, percent: 100 }],
      [fallback, 'on', { enabled: true, percent: 100 }],
    ]);
    expect((await raw(killSwitch)).enabled).toBe(false);
    expect((await raw(fallback)).enabled).toBe(true);
  });

  it('lowers exposure first: switches off before moving the percentage, sets the percentage before switching on', async () => {
    const name = uniqueFlagName('order');
    await createFlag(service(), name, { enabledIn: ['production'], strategies: { production: [{ name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'default', groupId: name } }] } });
    const sent: string[] = [];
    const unleash = provider({ record: sent });

    await applyFlagTargets(unleash, [{ name, reason: 'test', enabled: false, percent: 20 }]);
    expect(sent.filter((request) => !request.startsWith('GET'))).toEqual(['POST /off', expect.stringMatching(/^PATCH \/strategies\//)]);

    sent.length = 0;
    await applyFlagTargets(unleash, [{ name, reason: 'test', enabled: true, percent: 40 }]);
    expect(sent.filter((request) => !request.startsWith('GET'))).toEqual([expect.stringMatching(/^PATCH \/strategies\//), 'POST /on']);
  });

  it('a flag service that is down: every flag is tried with backoff, then recorded as failed with what to set by hand', async () => {
    const down = provider({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const retries: string[] = [];
    const waits: number[] = [];
    const recorded = { 'new-ranking': { name: 'new-ranking', environment: 'production', enabled: true, rollout: { ruleId: 'r1', percent: 30 }, rules: [] } };
    const changes = await applyFlagTargets(down, rollbackTargets([flag('new-ranking', { followTraffic: true }), flag('explain', { onRollback: 'off' })], recorded), {
      attempts: 4,
      backoffMs: 100,
      sleep: async (ms) => void waits.push(ms),
      onRetry: (name, attempt) => retries.push(`${name}#${attempt}`),
    });
    expect(changes.map((change) => [change.name, change.outcome, change.attempts])).toEqual([
      ['new-ranking', 'failed', 4],
      ['explain', 'failed', 4],
    ]);
    expect(retries).toEqual(['new-ranking#1', 'new-ranking#2', 'new-ranking#3', 'explain#1', 'explain#2', 'explain#3']);
    expect(waits).toEqual([100, 200, 400, 100, 200, 400]);
    expect(changes[0]!.error).toContain('is unreachable');
    expect(changes[0]).not.toHaveProperty('before');
    expect(changes[0]!.manual).toBe(`In ${down.describe()}, flag 'new-ranking': set its gradual rollout to 30%, then turn it on.`);
    expect(changes[1]!.manual).toBe(`In ${down.describe()}, flag 'explain': turn it off.`);
  });

  it('a token without the permission fails at once (repeating cannot help), naming it, and the flag is untouched', async () => {
    const name = uniqueFlagName('denied');
    await createFlag(service(), name, { enabledIn: ['production'] });
    const viewer = provider({ token: await createViewerToken(service()) });
    const [change] = await applyFlagTargets(viewer, [{ name, reason: 'rollback: off', enabled: false }], { attempts: 4, sleep: noWait });
    expect(change).toMatchObject({ outcome: 'failed', attempts: 1, before: { enabled: true } });
    expect(change!.error).toContain('UPDATE_FEATURE_ENVIRONMENT');
    expect(change!.manual).toContain(`flag '${name}': turn it off.`);
    expect((await raw(name)).enabled).toBe(true);
  });
});
