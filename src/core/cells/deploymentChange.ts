// A runbook cell that changes the deployment (a rollout action, or an http request to the
// deployment endpoint's traffic, rollback, pause or resume call) is one of the actions the
// ledger knows: this module recognises it and describes the traffic before and after.
import { serviceStateSchema } from '../endpoints/deployment';
import type { Plan } from '../plan/schema';
import type { PreparedCell } from './prepared';
import type { DeploymentChangeAction, RequestSummary, ServiceTraffic } from './types';

/** Reads a deployment endpoint's service state (`GET /v1/services/{service}`) into traffic; undefined for anything else. */
export function serviceTraffic(body: unknown): ServiceTraffic | undefined {
  const parsed = serviceStateSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const weights: Record<string, number> = {};
  let mirror: ServiceTraffic['mirror'];
  for (const version of parsed.data.versions) {
    weights[version.version] = version.weight;
    if (version.mirror > 0 && (!mirror || version.mirror > mirror.percent)) mirror = { version: version.version, percent: version.mirror };
  }
  return { weights, ...(mirror ? { mirror } : {}), stable: parsed.data.stable, phase: parsed.data.phase };
}

/** `41 90%, 42 10%, mirror 42 100%`: every version, 0 % included, so a change reads at a glance. */
export function trafficLine(traffic: ServiceTraffic | undefined): string {
  if (!traffic) return 'unknown';
  const parts = Object.entries(traffic.weights)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([version, weight]) => `${version} ${weight}%`);
  if (traffic.mirror && traffic.mirror.percent > 0) parts.push(`mirror ${traffic.mirror.version} ${traffic.mirror.percent}%`);
  return parts.join(', ') || 'no versions';
}

/** The one-line summary a deployment change leads its output with: `41 90%, 42 10% → 41 100%, 42 0%`. */
export function changeSummary(from: ServiceTraffic | undefined, to: ServiceTraffic | undefined): string {
  return `${trafficLine(from)} → ${trafficLine(to)}`;
}

const CALLS: Record<string, { method: string; action: DeploymentChangeAction }> = {
  traffic: { method: 'PUT', action: 'traffic-change' },
  rollback: { method: 'POST', action: 'rollback' },
  pause: { method: 'POST', action: 'pause' },
  resume: { method: 'POST', action: 'resume' },
};

/**
 * The change an http cell makes when it calls the linked plan's deployment endpoint for its
 * service (`PUT …/traffic`, `POST …/rollback|pause|resume`); undefined for any other request.
 */
export function httpDeploymentChange(request: RequestSummary, plan: Plan | undefined): PreparedCell['deploymentChange'] {
  if (!plan) return undefined;
  let url: URL;
  let base: URL;
  try {
    url = new URL(request.url);
    base = new URL(plan.endpoints.deployment.url);
  } catch {
    return undefined;
  }
  if (url.origin !== base.origin) return undefined;
  const prefix = `${base.pathname.replace(/\/+$/, '')}/v1/services/${encodeURIComponent(plan.metadata.service)}/`;
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.startsWith(prefix)) return undefined;
  const call = CALLS[path.slice(prefix.length)];
  if (!call || call.method !== request.method.toUpperCase()) return undefined;
  const reason = reasonOfBody(request.body);
  return { action: call.action, ...(reason ? { reason } : {}) };
}

function reasonOfBody(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { reason?: unknown };
    return typeof parsed.reason === 'string' && parsed.reason.trim() !== '' ? parsed.reason : undefined;
  } catch {
    return undefined;
  }
}
