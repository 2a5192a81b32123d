// Vitest global setup of the `unleash` project: starts one real Unleash on a real PostgreSQL for
// the whole test run (free loopback ports, fresh cluster) and stops both afterwards. They run
// under watchdogs, so a killed test run leaves nothing behind. A failure to start is handed to
// the tests, which fail loudly with it: a silently skipped integration test proves nothing.
import type { TestProject } from 'vitest/node';

import { startFlagService } from '../../src/dev/flagService';
import type { ProvidedFlagService } from './flagService';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const started = Date.now();
  try {
    const service = await startFlagService({ startTimeoutMs: 300_000 });
    const provided: ProvidedFlagService = { url: service.url, adminToken: service.adminToken, startup: { ...service.startup, totalMs: Date.now() - started } };
    project.provide('flagService', provided);
    process.stdout.write(
      `flag service: Unleash ${service.url} on PostgreSQL :${service.postgres.port} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (PostgreSQL ${(service.startup.postgresMs / 1000).toFixed(1)} s, Unleash ${(service.startup.unleashMs / 1000).toFixed(1)} s)\n`,
    );
    return () => service.stop();
  } catch (error) {
    project.provide('flagService', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
