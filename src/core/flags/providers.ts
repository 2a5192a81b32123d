import type { EndpointClientOptions } from '../endpoints/http';
import { parseDuration, type FlagEndpoint } from '../plan/schema';
import type { FlagProvider } from './provider';
import { UnleashFlagProvider } from './unleash';

/** Per-process options of a flag provider; the plan gives the rest. */
export interface FlagProviderOptions extends Omit<EndpointClientOptions, 'baseUrl' | 'token'> {
  /** The token `endpoints.flags.token` refers to, resolved at send time by the caller. */
  token: string;
}

/** Where a plan's flags live, in words: `Unleash http://127.0.0.1:4242 (project default, environment production)`. */
export function describeFlagEndpoint(endpoint: Pick<FlagEndpoint, 'type' | 'url' | 'project' | 'environment'>): string {
  const label = flagProviderLabels[endpoint.type];
  return `${label} ${endpoint.url.replace(/\/+$/, '')} (project ${endpoint.project}, environment ${endpoint.environment})`;
}

/** Each provider type's name as people write it. */
const flagProviderLabels: Record<FlagEndpoint['type'], string> = { unleash: 'Unleash' };

/** Default time one request to the flag service may take when the plan sets no `timeout`. */
export const DEFAULT_FLAG_TIMEOUT_MS = 5000;

/**
 * The provider for a plan's `endpoints.flags`. A new provider adds a type to
 * `flags/capabilities.ts`, its schema fields to `plan/flagsSchema.ts`, a file beside `unleash.ts`
 * and a case here.
 */
export function createFlagProvider(endpoint: FlagEndpoint, options: FlagProviderOptions): FlagProvider {
  const timeoutMs = endpoint.timeout !== undefined ? parseDuration(endpoint.timeout) : undefined;
  const client = { ...options, timeoutMs: options.timeoutMs ?? timeoutMs ?? DEFAULT_FLAG_TIMEOUT_MS };
  switch (endpoint.type) {
    case 'unleash':
      return new UnleashFlagProvider({ ...client, baseUrl: endpoint.url, project: endpoint.project, environment: endpoint.environment });
  }
}
