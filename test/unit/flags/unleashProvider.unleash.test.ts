// The Unleash flag provider against a real Unleash 8.2 on a real PostgreSQL (started once per
// test run by test/support/flagServiceSetup.ts). Every state is also read back through Unleash's
// own admin API, so the test never trusts the provider's view of what it did.
import { describe, expect, it } from 'vitest';

import { isEndpointError, type EndpointError } from '../../../src/core/endpoints/index';
import { FlagRefusedError, ROLLGATE_STRATEGY_TITLE, UnleashFlagProvider } from '../../../src/core/flags/index';
import { createBackendToken, createFlag, createViewerToken, unleashApi, uniqueFlagName, useFlagService, type TestFlagService } from '../../support/flagService';

const service = useFlagService();

function provider(options: { token?: string; environment?: string; project?: string } = {}): UnleashFlagProvider {
  const { url, adminToken } = service();
  return new UnleashFlagProvider({ baseUrl: url, token: options.token ?? adminToken, project: options.project ?? 'default', environment: options.environment ?? 'production', timeoutMs: 20_000 });
}

interface RawEnvironment {
  enabled: boolean;
  strategies: Array<{ id: string; name: string; title: string | null; disabled: boolean; parameters: Record<string, string>; constraints: unknown[] }>;
}

/** The flag's state in an environment, as Unleash's admin API reports it (not through the provider). */
function raw(flag: string, environment = 'production', unleash: TestFlagService = service()): Promise<RawEnvironment> {
  return unleashApi(unleash, 'GET', `/api/admin/projects/default/features/${flag}/environments/${environment}`) as Promise<RawEnvironment>;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('UnleashFlagProvider on a real Unleash', () => {
  it('reads a flag created in Unleash: off, no strategies, per environment', async () => {
    const flag = uniqueFlagName('read');
    await createFlag(service(), flag, { enabledIn: ['development'], strategies: { development: [{ name: 'default' }] } });

    const production = await provider().read(flag);
    expect(production).toEqual({ name: flag, environment: 'production', enabled: false, rules: [] });

    const development = await provider({ environment: 'development' }).read(flag);
    expect(development.enabled).toBe(true);
    expect(development.rollout).toBeUndefined();
    expect(development.rules).toMatchObject([{ kind: 'default', disabled: false, constraints: 0 }]);
  });

  it('turns a flag on and off in its environment only', async () => {
    const flag = uniqueFlagName('switch');
    await createFlag(service(), flag);
    const flags = provider();

    expect((await flags.setEnabled(flag, true)).enabled).toBe(true);
    expect((await raw(flag)).enabled).toBe(true);
    expect((await raw(flag, 'development')).enabled).toBe(false);
    // Again: nothing changes, nothing fails.
    expect((await flags.setEnabled(flag, true)).enabled).toBe(true);

    expect((await flags.setEnabled(flag, false)).enabled).toBe(false);
    expect((await raw(flag)).enabled).toBe(false);
  });

  it('creates a flexibleRollout strategy at the percentage, then moves only its rollout', async () => {
    const flag = uniqueFlagName('percent');
    await createFlag(service(), flag);
    const flags = provider();

    const created = await flags.setRollout(flag, 10);
    expect(created.rollout?.percent).toBe(10);
    const [strategy] = (await raw(flag)).strategies;
    expect(strategy).toMatchObject({ name: 'flexibleRollout', title: ROLLGATE_STRATEGY_TITLE, disabled: false, parameters: { rollout: '10', stickiness: 'default', groupId: flag } });
    expect(created.rollout?.ruleId).toBe(strategy!.id);

    const moved = await flags.setRollout(flag, 50);
    expect(moved.rollout).toEqual({ ruleId: strategy!.id, percent: 50 });
    const after = (await raw(flag)).strategies;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: strategy!.id, parameters: { rollout: '50', stickiness: 'default', groupId: flag } });
    expect((await raw(flag, 'development')).strategies).toEqual([]);

    const removed = await flags.removeRollout(flag, strategy!.id);
    expect(removed.rollout).toBeUndefined();
    expect((await raw(flag)).strategies).toEqual([]);
  });

  it("keeps a team's own gradual rollout: its constraints, stickiness and group stay as they were", async () => {
    const flag = uniqueFlagName('own');
    const constraint = { contextName: 'appName', operator: 'IN', values: ['churn-scorer'], caseInsensitive: false, inverted: false };
    await createFlag(service(), flag, {
      enabledIn: ['production'],
      strategies: { production: [{ name: 'flexibleRollout', parameters: { rollout: '5', stickiness: 'userId', groupId: 'ranking' }, constraints: [constraint] }] },
    });
    const before = await provider().read(flag);
    expect(before.rollout?.percent).toBe(5);
    expect(before.rules[0]).toMatchObject({ constraints: 1, parameters: { stickiness: 'userId', groupId: 'ranking' } });

    await provider().setRollout(flag, 25);
    const [strategy] = (await raw(flag)).strategies;
    expect(strategy).toMatchObject({ parameters: { rollout: '25', stickiness: 'userId', groupId: 'ranking' }, constraints: [expect.objectContaining({ contextName: 'appName', values: ['churn-scorer'] })] });
  });

  it('refuses, before sending anything, a percentage Unleash cannot hold and a flag whose rollout it would have to guess', async () => {
    const flag = uniqueFlagName('refuse');
    await createFlag(service(), flag, {
      strategies: {
        production: [
          { name: 'flexibleRollout', parameters: { rollout: '5', stickiness: 'default', groupId: flag } },
          { name: 'flexibleRollout', parameters: { rollout: '20', stickiness: 'default', groupId: flag } },
        ],
      },
    });
    const before = await raw(flag);

    const fraction = await rejection(provider().setRollout(flag, 2.5));
    expect(fraction).toBeInstanceOf(FlagRefusedError);
    expect(fraction.message).toContain('whole percentages');

    const twoRules = await rejection(provider().setRollout(flag, 30));
    expect(twoRules).toBeInstanceOf(FlagRefusedError);
    expect(twoRules.message).toMatch(/2 active flexibleRollout strategies/);
    expect(await raw(flag)).toEqual(before);

    const other = uniqueFlagName('disabled');
    await createFlag(service(), other, { strategies: { production: [{ name: 'flexibleRollout', disabled: true, parameters: { rollout: '5', stickiness: 'default', groupId: other } }] } });
    const disabled = await rejection(provider().setRollout(other, 30));
    expect(disabled.message).toContain('disabled flexibleRollout strategy');
    expect((await raw(other)).strategies).toHaveLength(1);
  });

  it('checks the token, project, environment and flags before a rollout, naming what is wrong', async () => {
    const flag = uniqueFlagName('check');
    await createFlag(service(), flag, { enabledIn: ['production'] });
    const ok = await provider().check([flag]);
    expect(ok.flags.map((state) => [state.name, state.enabled])).toEqual([[flag, true]]);

    const project = await rejection(provider({ project: 'no-such-project' }).check([flag]));
    expect(project.message).toContain("has no project 'no-such-project'");
    expect(project.message).toContain("'default'");
    expect(project.message).toContain('endpoints.flags.project');

    const environment = await rejection(provider({ environment: 'staging' }).check([flag]));
    expect(environment.message).toContain("has no environment 'staging'");
    expect(environment.message).toContain("'development', 'production'");

    const missing = await rejection(provider().check([flag, 'no-such-flag']));
    expect(isEndpointError(missing, 'http')).toBe(true);
    expect((missing as EndpointError).status).toBe(404);
    expect(missing.message).toContain('no-such-flag');
    expect(missing.message).toContain('create the flag in Unleash');
  });

  it('names the permission a read-only token lacks, and changes nothing', async () => {
    const flag = uniqueFlagName('viewer');
    await createFlag(service(), flag, { strategies: { production: [{ name: 'flexibleRollout', parameters: { rollout: '5', stickiness: 'default', groupId: flag } }] } });
    const viewer = provider({ token: await createViewerToken(service()) });

    // Reading is allowed.
    expect((await viewer.read(flag)).rollout?.percent).toBe(5);

    const toggle = (await rejection(viewer.setEnabled(flag, true))) as EndpointError;
    expect(isEndpointError(toggle, 'http')).toBe(true);
    expect(toggle.status).toBe(403);
    expect(toggle.code).toBe('UPDATE_FEATURE_ENVIRONMENT');
    expect(toggle.message).toContain('lacks the UPDATE_FEATURE_ENVIRONMENT permission');
    expect(toggle.message).toContain(`turn flag '${flag}' on`);
    expect(toggle.message).toContain("project 'default', environment 'production'");

    const percent = (await rejection(viewer.setRollout(flag, 50))) as EndpointError;
    expect(percent.code).toBe('UPDATE_FEATURE_STRATEGY');
    expect(percent.message).toContain('lacks the UPDATE_FEATURE_STRATEGY permission');

    const state = await raw(flag);
    expect(state.enabled).toBe(false);
    expect(state.strategies[0]?.parameters.rollout).toBe('5');
  });

  it('says a backend token cannot use the admin API, and a wrong token is rejected', async () => {
    const flag = uniqueFlagName('tokens');
    await createFlag(service(), flag);
    const backend = (await rejection(provider({ token: await createBackendToken(service(), 'production') }).read(flag))) as EndpointError;
    expect(backend.status).toBe(403);
    expect(backend.message).toContain('backend (client) or frontend token cannot change flags');

    const wrongSecret = '*:*.0000000000000000000000000000000000000000000000000000000000';
    const wrong = (await rejection(provider({ token: wrongSecret }).setEnabled(flag, true))) as EndpointError;
    expect(wrong.status).toBe(401);
    expect(wrong.message).toContain('rejected the token');
    expect(wrong.message).toContain('endpoints.flags.token');
    expect(wrong.message).not.toContain(wrongSecret);
    expect((await raw(flag)).enabled).toBe(false);
  });

  it('sends only requests the running Unleash documents in its OpenAPI description', async () => {
    const unleash = service();
    const openApi = (await unleashApi(unleash, 'GET', '/docs/openapi.json')) as { paths: Record<string, Record<string, unknown>> };
    const sent: string[] = [];
    const recording = new UnleashFlagProvider({
      baseUrl: unleash.url,
      token: unleash.adminToken,
      project: 'default',
      environment: 'production',
      timeoutMs: 20_000,
      fetch: (input, init) => {
        sent.push(`${init.method} ${new URL(input).pathname}`);
        return fetch(input, init);
      },
    });
    const flag = uniqueFlagName('openapi');
    await createFlag(unleash, flag);
    await recording.check([flag]);
    await recording.setEnabled(flag, true);
    const created = await recording.setRollout(flag, 10);
    await recording.setRollout(flag, 20);
    await recording.removeRollout(flag, created.rollout!.ruleId);
    await recording.setEnabled(flag, false);

    const documented = Object.entries(openApi.paths).flatMap(([template, operations]) =>
      Object.keys(operations).map((method) => ({ method: method.toUpperCase(), pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) })),
    );
    const undocumented = [...new Set(sent)].filter((request) => {
      const [method, path] = request.split(' ');
      return !documented.some((operation) => operation.method === method && operation.pattern.test(path!));
    });
    expect(new Set(sent.map((request) => request.split(' ')[0]))).toEqual(new Set(['GET', 'POST', 'PATCH', 'DELETE']));
    expect(undocumented).toEqual([]);
  });
});
