// Starts the real `rollgate dev` stack with a real Prometheus for a test file, on free loopback
// ports, and stops it afterwards. A missing Prometheus fails the suite loudly: CI installs the
// Debian package, and a silently skipped integration test proves nothing.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';

import { DeploymentClient, PrometheusClient } from '../../src/core/endpoints/index';
import { startDevStack, type DevStack, type DevStackOptions } from '../../src/dev/index';
import { waitFor } from './poll';

/** The Prometheus binary tests use; override with ROLLGATE_PROMETHEUS_BIN. */
export const prometheusBin = process.env.ROLLGATE_PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface TestDevStack {
  stack: DevStack;
  /** Deployment client for `churn-scorer` (with the token, when the stack has one). */
  deployment: DeploymentClient;
  prometheus: PrometheusClient;
}

/** Starts a stack on free ports with a real Prometheus; throws clearly when Prometheus is missing. */
export async function startTestDevStack(options: DevStackOptions = {}): Promise<TestDevStack> {
  if (!existsSync(prometheusBin)) {
    throw new Error(`Prometheus is required for these tests but ${prometheusBin} does not exist. Install the Debian package (\`sudo apt-get install prometheus\`; .ci/run does this) or set ROLLGATE_PROMETHEUS_BIN.`);
  }
  const stack = await startDevStack({ port: 0, prometheusPort: 0, prometheus: 'required', prometheusBin, ...options });
  if (!stack.prometheusUrl) {
    await stack.stop();
    throw new Error('rollgate dev started without Prometheus although it was required');
  }
  return {
    stack,
    deployment: new DeploymentClient({ baseUrl: stack.deploymentUrl, service: stack.service, token: options.token }),
    prometheus: new PrometheusClient({ baseUrl: stack.prometheusUrl }),
  };
}

/**
 * Registers beforeAll/afterAll hooks that start and stop one stack for the calling test file;
 * read the returned getter inside tests.
 */
export function useDevStack(options: DevStackOptions = {}): () => TestDevStack {
  let current: TestDevStack | undefined;
  beforeAll(async () => {
    current = await startTestDevStack(options);
  });
  afterAll(async () => {
    await current?.stack.stop();
  });
  return () => {
    if (!current) throw new Error('the dev stack is not running (did beforeAll fail?)');
    return current;
  };
}

/** Polls `probe` until it returns a value other than `undefined`, or fails after `timeoutMs`. */
export function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 250): Promise<T> {
  return waitFor(what, timeoutMs, probe, intervalMs);
}
