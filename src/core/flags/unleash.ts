import { z } from 'zod';

import { EndpointHttpClient, type EndpointClientOptions, type EndpointRequest, type EndpointResponse } from '../endpoints/http';
import type { EndpointError } from '../endpoints/errors';
import { flagProviderCapabilities } from './capabilities';
import { FlagRefusedError, type FlagCallOptions, type FlagProvider, type FlagProviderCapabilities, type FlagRule, type FlagServiceCheck, type FlagState } from './provider';

/** Unleash's percentage strategy; its `rollout` parameter is the percentage, stored as text. */
export const UNLEASH_ROLLOUT_STRATEGY = 'flexibleRollout';
/** Title of the percentage strategy Rollgate creates, so people see in Unleash who added it. */
export const ROLLGATE_STRATEGY_TITLE = 'Rollgate: follows rollout traffic';

export interface UnleashProviderOptions extends Omit<EndpointClientOptions, 'token'> {
  /** An admin API token or a personal access token, resolved from its secret reference. */
  token: string;
  project: string;
  environment: string;
}

const strategySchema = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string().nullish(),
  disabled: z.boolean().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  constraints: z.array(z.unknown()).nullish(),
});

/** `GET /api/admin/projects/{project}/features/{flag}/environments/{environment}` (Unleash 8). */
const featureEnvironmentSchema = z.object({
  name: z.string(),
  environment: z.string(),
  enabled: z.boolean(),
  strategies: z.array(strategySchema),
});

const projectsSchema = z.object({ projects: z.array(z.object({ id: z.string() })) });
const projectEnvironmentsSchema = z.object({
  environments: z.array(z.object({ name: z.string(), enabled: z.boolean().nullish(), visible: z.boolean().nullish() })),
});

/** Unleash's error body: `{ name, message, details?, permissions? }` (older routes: `{ message }`). */
const unleashErrorSchema = z.object({
  name: z.string().optional(),
  message: z.string(),
  details: z.array(z.object({ message: z.string() })).optional(),
  permissions: z.array(z.string()).optional(),
});

/** What a request is for, so a failure says what could not be done and what it needed. */
interface Purpose {
  /** `turn flag 'x' on`, for messages. */
  action: string;
  /** The Unleash permission the request needs, named when the token lacks it. */
  permission: string;
  flag?: string;
}

const statusesExplained = (status: number): boolean => status === 400 || status === 401 || status === 403 || status === 404 || status === 409;

/**
 * Flags on Unleash through its admin API, in one project and environment: read a flag's state
 * and strategies, turn it on or off, and set the `rollout` percentage of its `flexibleRollout`
 * strategy. Works with an admin API token or a personal access token that has the permissions
 * named in each error (READ, UPDATE_FEATURE_ENVIRONMENT, CREATE/UPDATE/DELETE_FEATURE_STRATEGY).
 */
export class UnleashFlagProvider implements FlagProvider {
  readonly type = 'unleash';
  readonly capabilities: FlagProviderCapabilities = flagProviderCapabilities.unleash;
  readonly project: string;
  readonly environment: string;
  readonly #http: EndpointHttpClient;
  /** `Unleash http://127.0.0.1:4242`, for messages. */
  readonly #label: string;

  constructor(options: UnleashProviderOptions) {
    const { token, project, environment, ...client } = options;
    this.project = project;
    this.environment = environment;
    this.#http = new EndpointHttpClient('flags', { ...client, token });
    this.#label = `Unleash ${this.#http.baseUrl}`;
  }

  describe(): string {
    return `Unleash ${this.#http.baseUrl} (project ${this.project}, environment ${this.environment})`;
  }

  async read(flag: string, options: FlagCallOptions = {}): Promise<FlagState> {
    const request: EndpointRequest = { method: 'GET', path: this.#environmentPath(flag), ...options };
    const response = await this.#send(request, { action: `read flag '${flag}'`, permission: 'READ', flag });
    const parsed = featureEnvironmentSchema.safeParse(response.body);
    if (!parsed.success) throw this.#malformed(request, response, `flag '${flag}'`);
    return this.#state(flag, parsed.data, request, response);
  }

  async setEnabled(flag: string, enabled: boolean, options: FlagCallOptions = {}): Promise<FlagState> {
    const switched = enabled ? 'on' : 'off';
    // Turning a flag on that is on already changes nothing, so a retry is harmless.
    await this.#send({ method: 'POST', path: `${this.#environmentPath(flag)}/${switched}`, idempotent: true, ...options }, { action: `turn flag '${flag}' ${switched}`, permission: 'UPDATE_FEATURE_ENVIRONMENT', flag });
    return this.read(flag, options);
  }

  async setRollout(flag: string, percent: number, options: FlagCallOptions = {}): Promise<FlagState> {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
      // Unleash stores the percentage as text that its SDKs read as a whole number: refuse
      // rather than round, so what is sent is what the ledger says.
      throw new FlagRefusedError('invalid_percentage', flag, `Cannot set flag '${flag}' to ${percent}% on ${this.describe()}: Unleash rollouts are whole percentages from 0 to 100.`);
    }
    const current = await this.read(flag, options);
    const rules = percentageRules(current.rules);
    if (rules.length > 1) {
      throw new FlagRefusedError(
        'ambiguous_rollout',
        flag,
        `Flag '${flag}' has ${rules.length} active ${UNLEASH_ROLLOUT_STRATEGY} strategies in environment '${this.environment}' (ids ${rules.map((rule) => rule.id).join(', ')}); Rollgate would have to guess which percentage to move. Keep one gradual rollout strategy for this flag in Unleash.`,
      );
    }
    const [rule] = rules;
    const purpose = { action: `set flag '${flag}' to ${percent}%`, flag };
    if (rule) {
      // A JSON patch of the one parameter keeps the strategy's constraints, segments, variants
      // and stickiness as they are; replacing a value with itself is harmless to repeat.
      await this.#send(
        { method: 'PATCH', path: `${this.#environmentPath(flag)}/strategies/${encodeURIComponent(rule.id)}`, json: [{ op: 'replace', path: '/parameters/rollout', value: String(percent) }], idempotent: true, ...options },
        { ...purpose, permission: 'UPDATE_FEATURE_STRATEGY' },
      );
    } else {
      const disabled = current.rules.find((candidate) => candidate.kind === UNLEASH_ROLLOUT_STRATEGY && candidate.disabled);
      if (disabled) {
        throw new FlagRefusedError(
          'disabled_rollout',
          flag,
          `Flag '${flag}' has a disabled ${UNLEASH_ROLLOUT_STRATEGY} strategy (id ${disabled.id}) in environment '${this.environment}'. Enable or delete it in Unleash; Rollgate does not add a second one beside it.`,
        );
      }
      // Not repeated on failure: a second POST would add a second strategy. The next call reads
      // the flag again and patches whatever the first one created.
      await this.#send(
        {
          method: 'POST',
          path: `${this.#environmentPath(flag)}/strategies`,
          json: { name: UNLEASH_ROLLOUT_STRATEGY, title: ROLLGATE_STRATEGY_TITLE, constraints: [], parameters: { rollout: String(percent), stickiness: 'default', groupId: flag } },
          ...options,
        },
        { ...purpose, permission: 'CREATE_FEATURE_STRATEGY' },
      );
    }
    return this.read(flag, options);
  }

  async removeRollout(flag: string, ruleId: string, options: FlagCallOptions = {}): Promise<FlagState> {
    await this.#send(
      { method: 'DELETE', path: `${this.#environmentPath(flag)}/strategies/${encodeURIComponent(ruleId)}`, ...options },
      { action: `remove the gradual rollout strategy ${ruleId} of flag '${flag}'`, permission: 'DELETE_FEATURE_STRATEGY', flag },
    );
    return this.read(flag, options);
  }

  async check(flags: readonly string[], options: FlagCallOptions = {}): Promise<FlagServiceCheck> {
    const projectsRequest: EndpointRequest = { method: 'GET', path: '/api/admin/projects', ...options };
    const projects = await this.#send(projectsRequest, { action: 'list projects', permission: 'READ' });
    const projectList = projectsSchema.safeParse(projects.body);
    if (!projectList.success) throw this.#malformed(projectsRequest, projects, 'the project list');
    if (!projectList.data.projects.some((project) => project.id === this.project)) {
      const known = projectList.data.projects.map((project) => project.id);
      throw this.#http.fail(projectsRequest, projects.url, projects.attempts, {
        kind: 'http',
        status: 404,
        code: 'unknown_project',
        message: `${this.#label} has no project '${this.project}' (it has ${known.map((id) => `'${id}'`).join(', ') || 'none'}). Check endpoints.flags.project.`,
      });
    }
    const environmentsRequest: EndpointRequest = { method: 'GET', path: `/api/admin/environments/project/${encodeURIComponent(this.project)}`, ...options };
    const environments = await this.#send(environmentsRequest, { action: `list the environments of project '${this.project}'`, permission: 'READ' });
    const environmentList = projectEnvironmentsSchema.safeParse(environments.body);
    if (!environmentList.success) throw this.#malformed(environmentsRequest, environments, 'the environment list');
    const environment = environmentList.data.environments.find((candidate) => candidate.name === this.environment);
    const usable = environmentList.data.environments.filter((candidate) => candidate.visible !== false && candidate.enabled !== false).map((candidate) => candidate.name);
    if (!environment || environment.enabled === false || environment.visible === false) {
      const why = !environment ? 'has no environment' : environment.enabled === false ? 'has the environment disabled:' : 'does not use the environment';
      throw this.#http.fail(environmentsRequest, environments.url, environments.attempts, {
        kind: 'http',
        status: 404,
        code: 'unknown_environment',
        message: `${this.#label} project '${this.project}' ${why} '${this.environment}' (usable: ${usable.map((name) => `'${name}'`).join(', ') || 'none'}). Check endpoints.flags.environment, or enable the environment for the project in Unleash.`,
      });
    }
    const states: FlagState[] = [];
    for (const flag of flags) states.push(await this.read(flag, options));
    return { flags: states };
  }

  #environmentPath(flag: string): string {
    return `/api/admin/projects/${encodeURIComponent(this.project)}/features/${encodeURIComponent(flag)}/environments/${encodeURIComponent(this.environment)}`;
  }

  #state(flag: string, body: z.infer<typeof featureEnvironmentSchema>, request: EndpointRequest, response: EndpointResponse): FlagState {
    const rules: FlagRule[] = body.strategies.map((strategy) => {
      const rule: FlagRule = {
        id: strategy.id,
        kind: strategy.name,
        disabled: strategy.disabled === true,
        parameters: Object.fromEntries(Object.entries(strategy.parameters ?? {}).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])),
        constraints: strategy.constraints?.length ?? 0,
      };
      if (strategy.title) rule.title = strategy.title;
      return rule;
    });
    const state: FlagState = { name: flag, environment: this.environment, enabled: body.enabled, rules };
    const percentage = percentageRules(rules);
    if (percentage.length === 1) {
      const rule = percentage[0]!;
      const text = rule.parameters.rollout ?? '';
      const percent = /^\d{1,3}$/.test(text.trim()) ? Number(text) : Number.NaN;
      if (!(percent >= 0 && percent <= 100)) {
        throw this.#http.fail(request, response.url, response.attempts, {
          kind: 'malformed',
          status: response.status,
          code: 'invalid_rollout',
          message: `Flag '${flag}' in environment '${this.environment}' has a ${UNLEASH_ROLLOUT_STRATEGY} strategy (id ${rule.id}) whose rollout is ${JSON.stringify(text)}, not a whole percentage from 0 to 100. Fix it in Unleash before Rollgate moves this flag.`,
        });
      }
      state.rollout = { ruleId: rule.id, percent };
    }
    return state;
  }

  async #send(request: EndpointRequest, purpose: Purpose): Promise<EndpointResponse> {
    const response = await this.#http.send({ ...request, acceptStatus: statusesExplained });
    if (response.status >= 200 && response.status < 300) return response;
    throw this.#explain(request, response, purpose);
  }

  /** Turns Unleash's 400/401/403/404/409 answers into messages that say what to change. */
  #explain(request: EndpointRequest, response: EndpointResponse, purpose: Purpose): EndpointError {
    const parsed = unleashErrorSchema.safeParse(response.body);
    const said = parsed.success ? unleashMessage(parsed.data) : response.text.trim().slice(0, 200) || `status ${response.status}`;
    const name = parsed.success ? parsed.data.name : undefined;
    const where = `in project '${this.project}', environment '${this.environment}'`;
    let message: string;
    let code = name;
    switch (response.status) {
      case 401:
        message = `${this.#label} rejected the token (401: ${said}) trying to ${purpose.action}. The secret that endpoints.flags.token refers to must hold a valid Unleash admin API token or personal access token.`;
        break;
      case 403: {
        const missing = parsed.success && parsed.data.permissions?.length ? parsed.data.permissions : undefined;
        code = missing?.join(',') ?? name ?? 'forbidden';
        message = missing
          ? `The Unleash token lacks the ${missing.join(' and ')} permission ${where}, which Rollgate needs to ${purpose.action} (Unleash said: ${said}). Give the token's user a project role with that permission, or use an admin API token.`
          : `${this.#label} refused the token trying to ${purpose.action} (403: ${said}). Rollgate uses Unleash's admin API, which needs an admin API token or a personal access token with ${purpose.permission} ${where}; a backend (client) or frontend token cannot change flags.`;
        break;
      }
      case 404:
        message = `${this.#label} could not find what Rollgate needs to ${purpose.action} (404: ${said}). ${purpose.flag ? `Check the flag name '${purpose.flag}' in the plan's flags, ` : 'Check '}endpoints.flags.project ('${this.project}') and endpoints.flags.environment ('${this.environment}')${purpose.flag ? `, or create the flag in Unleash` : ''}.`;
        break;
      default:
        message = `${this.#label} refused to ${purpose.action} (${response.status}: ${said}).`;
    }
    return this.#http.fail(request, response.url, response.attempts, { kind: 'http', status: response.status, ...(code ? { code } : {}), message });
  }

  #malformed(request: EndpointRequest, response: EndpointResponse, what: string): EndpointError {
    return this.#http.fail(request, response.url, response.attempts, {
      kind: 'malformed',
      status: response.status,
      message: `${this.#label} answered ${response.status} with a body that is not ${what} as Unleash's admin API describes it (${request.method} ${request.path}). Is endpoints.flags.url really an Unleash server (Rollgate is tested with Unleash 8)?`,
    });
  }
}

/** The active percentage strategies among a flag's rules. */
export function percentageRules(rules: readonly FlagRule[]): FlagRule[] {
  return rules.filter((rule) => rule.kind === UNLEASH_ROLLOUT_STRATEGY && !rule.disabled);
}

function unleashMessage(error: z.infer<typeof unleashErrorSchema>): string {
  const details = (error.details ?? []).map((detail) => detail.message).filter((detail) => detail !== error.message);
  return [error.message, ...details].join(' ');
}
