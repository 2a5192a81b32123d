// The one place that connects a plan to its endpoints: resolves the secrets its endpoints name,
// builds the deployment backend (`backends/`) and the metric source, and hands back the secret
// values the ledger must redact. No endpoint client is built anywhere else for a rollout.
import { PrometheusClient } from '../endpoints/prometheus';
import { createFlagProvider } from '../flags/providers';
import type { FlagProvider } from '../flags/provider';
import type { MetricSource } from '../guardrails/evaluate';
import { parseDuration, type Plan, type SecretRef } from '../plan/schema';
import { SecretNotSetError, type SecretResolver } from '../secrets';
import { createDeploymentBackend, type DeploymentBackend } from './backends/index';
import { digestCheckedTraffic } from './digestCheck';
import { PrometheusMetrics } from './prometheusMetrics';

/** A plan's endpoints, connected. */
export interface PlanConnection {
  deployment: DeploymentBackend;
  metrics: MetricSource;
  /** The plan's flag service (`endpoints.flags`), when the plan lists flags. */
  flags?: FlagProvider;
  /** The secret values resolved for the endpoints, by name: give them to the ledger, which redacts them. */
  secrets: Record<string, string>;
}

async function resolveToken(ref: SecretRef | undefined, field: string, resolver: SecretResolver, secrets: Record<string, string>): Promise<string | undefined> {
  if (!ref) return undefined;
  const value = await resolver.get(ref.secret);
  if (value === undefined || value === '') throw new SecretNotSetError(ref.secret, field);
  secrets[ref.secret] = value;
  return value;
}

const timeoutOf = (text: string | undefined) => (text ? parseDuration(text) : undefined);

/** The plan's metric endpoint as the engine's metric source. */
export function planMetrics(plan: Plan, token: string | undefined): MetricSource {
  const endpoint = plan.endpoints.metrics;
  const timeoutMs = timeoutOf(endpoint.timeout);
  return new PrometheusMetrics(new PrometheusClient({ baseUrl: endpoint.url, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) }));
}

/** The plan's deployment backend alone (a manual rollback needs nothing else). */
export async function connectDeployment(plan: Plan, resolver: SecretResolver): Promise<Pick<PlanConnection, 'deployment' | 'secrets'>> {
  const secrets: Record<string, string> = {};
  const endpoint = plan.endpoints.deployment;
  // Only the Rollgate API takes a token; HAProxy's runtime API has no authentication.
  const token = endpoint.type === 'rollgate' ? await resolveToken(endpoint.token, 'endpoints.deployment.token', resolver, secrets) : undefined;
  const timeoutMs = timeoutOf(endpoint.timeout);
  const backend = createDeploymentBackend({ plan, ...(token ? { token } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
  // Every traffic change of a rollout first checks that the endpoint serves the plan's artifacts.
  return { deployment: { ...backend, traffic: digestCheckedTraffic(backend, plan) }, secrets };
}

/** The plan's metric endpoint alone (a dry run that reads current values). */
export async function connectMetrics(plan: Plan, resolver: SecretResolver): Promise<Pick<PlanConnection, 'metrics' | 'secrets'>> {
  const secrets: Record<string, string> = {};
  const token = await resolveToken(plan.endpoints.metrics.token, 'endpoints.metrics.token', resolver, secrets);
  return { metrics: planMetrics(plan, token), secrets };
}

/**
 * The plan's flag service, when the plan lists flags and says where they live. Its client makes
 * one attempt per call: the rollout's flag steps retry, reporting each failure.
 */
export async function connectFlags(plan: Plan, resolver: SecretResolver): Promise<Pick<PlanConnection, 'flags' | 'secrets'>> {
  const secrets: Record<string, string> = {};
  const endpoint = plan.endpoints.flags;
  if (!endpoint || !plan.flags?.length) return { secrets };
  const token = await resolveToken(endpoint.token, 'endpoints.flags.token', resolver, secrets);
  return { flags: createFlagProvider(endpoint, { token: token ?? '', retries: 0 }), secrets };
}

/**
 * Connects both endpoints, as a rollout needs them. Every token is resolved up front, so a
 * missing secret stops the start before anything is sent ({@link SecretNotSetError} names the
 * secret and the field).
 */
export async function connectPlan(plan: Plan, resolver: SecretResolver): Promise<PlanConnection> {
  const { deployment, secrets } = await connectDeployment(plan, resolver);
  const metrics = await connectMetrics(plan, resolver);
  const flags = await connectFlags(plan, resolver);
  return { deployment, metrics: metrics.metrics, ...(flags.flags ? { flags: flags.flags } : {}), secrets: { ...secrets, ...metrics.secrets, ...flags.secrets } };
}
