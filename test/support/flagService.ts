// The real Unleash the `unleash` test project's global setup started (see flagServiceSetup.ts),
// and helpers that prepare it through its own admin API: create flags, create a user whose
// personal access token may only read.
import { randomUUID } from 'node:crypto';
import { beforeAll, inject } from 'vitest';

/** What the global setup hands to the tests. */
export type ProvidedFlagService = { url: string; adminToken: string; startup: { postgresMs: number; unleashMs: number; totalMs: number } } | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    flagService: ProvidedFlagService;
  }
}

export interface TestFlagService {
  url: string;
  adminToken: string;
}

/** The running flag service; a test file that cannot have it fails with the reason. */
export function useFlagService(): () => TestFlagService {
  let service: TestFlagService | undefined;
  beforeAll(() => {
    const provided = inject('flagService');
    if ('error' in provided) throw new Error(`The real Unleash could not be started for this run: ${provided.error}`);
    service = { url: provided.url, adminToken: provided.adminToken };
  });
  return () => {
    if (!service) throw new Error('the flag service is not available (did beforeAll fail?)');
    return service;
  };
}

/** A flag name no other test uses (all tests share one Unleash). */
export function uniqueFlagName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Calls Unleash's admin API with a token; throws with Unleash's answer unless it succeeds. */
export async function unleashApi(service: TestFlagService, method: string, path: string, body?: unknown, token = service.adminToken): Promise<unknown> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export interface FlagSetup {
  /** Turn it on in these environments. */
  enabledIn?: string[];
  /** Strategies to add per environment, as Unleash's admin API takes them. */
  strategies?: Record<string, Array<{ name: string; title?: string; disabled?: boolean; parameters?: Record<string, string>; constraints?: unknown[] }>>;
}

/** Creates a release flag in the default project through the admin API (as a person would in Unleash). */
export async function createFlag(service: TestFlagService, name: string, setup: FlagSetup = {}): Promise<void> {
  await unleashApi(service, 'POST', '/api/admin/projects/default/features', { name, type: 'release', description: 'created by a Rollgate test' });
  for (const [environment, strategies] of Object.entries(setup.strategies ?? {})) {
    for (const strategy of strategies) {
      await unleashApi(service, 'POST', `/api/admin/projects/default/features/${name}/environments/${environment}/strategies`, { constraints: [], parameters: {}, ...strategy });
    }
  }
  for (const environment of setup.enabledIn ?? []) {
    await unleashApi(service, 'POST', `/api/admin/projects/default/features/${name}/environments/${environment}/on`);
  }
}

/**
 * A personal access token of a new user with Unleash's root role Viewer: it may read flags but
 * not change them, so Unleash answers 403 naming the permission a change needs.
 */
export async function createViewerToken(service: TestFlagService): Promise<string> {
  const username = `viewer-${randomUUID().slice(0, 8)}`;
  const password = `Rollgate-${randomUUID()}!`;
  await unleashApi(service, 'POST', '/api/admin/user-admin', { username, email: `${username}@example.com`, rootRole: 3, password, sendEmail: false });
  const login = await fetch(`${service.url}/auth/simple/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(20_000),
  });
  await login.text();
  if (!login.ok) throw new Error(`logging in as ${username} answered ${login.status}`);
  const cookies = login.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';', 1)[0])
    .join('; ');
  const created = await fetch(`${service.url}/api/admin/user/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: cookies },
    body: JSON.stringify({ description: 'Rollgate test: read only', expiresAt: '2099-01-01T00:00:00Z' }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await created.text();
  if (!created.ok) throw new Error(`creating a personal access token answered ${created.status}: ${text}`);
  return (JSON.parse(text) as { secret: string }).secret;
}

/** A backend (client SDK) token: valid, but not for the admin API. */
export async function createBackendToken(service: TestFlagService, environment: string): Promise<string> {
  const created = (await unleashApi(service, 'POST', '/api/admin/api-tokens', { tokenName: `backend-${randomUUID().slice(0, 8)}`, type: 'backend', environment, projects: ['*'] })) as { secret: string };
  return created.secret;
}
