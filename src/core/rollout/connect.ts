// The one place that connects a plan to its endpoints: resolves the secrets its endpoints name,
// builds the deployment backend (`backends/`) and the metric source, and hands back the secret
// values the ledger must redact. No endpoint client is built anywhere else for a rollout.
import { PrometheusClient } from '../endpoints/prometheus';
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
  const token = await resolveToken(endpoint.token, 'endpoints.deployment.token', resolver, secrets);
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
 * Connects both endpoints, as a rollout needs them. Every token is resolved up front, so a
 * missing secret stops the start before anything is sent ({@link SecretNotSetError} names the
 * secret and the field).
 */
export async function connectPlan(plan: Plan, resolver: SecretResolver): Promise<PlanConnection> {
  const { deployment, secrets } = await connectDeployment(plan, resolver);
  const metrics = await connectMetrics(plan, resolver);
  return { deployment, metrics: metrics.metrics, secrets: { ...secrets, ...metrics.secrets } };
}
