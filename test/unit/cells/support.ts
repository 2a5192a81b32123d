// Helpers shared by the cell tests: a plan pointed at the running dev stack, a session over it,
// and small loopback servers for the generic http cell (never standing in for Prometheus or the
// deployment endpoint: those are the real `rollgate dev` stack and a real Prometheus).
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { Ledger } from '../../../src/core/ledger/index';
import { environmentSecretResolver, nodeHttpSender, ledgerRecorder, RunbookSession, type RunbookSessionOptions } from '../../../src/core/cells/index';
import type { Plan } from '../../../src/core/plan/schema';
import { validatePlan } from '../../../src/core/plan/validate';

export const repoRoot = join(__dirname, '..', '..', '..');

/** The sample canary plan's text with its endpoints pointed at a running stack. */
export function planTextFor(urls: { deploymentUrl: string; prometheusUrl: string }, options: { metricsToken?: boolean } = {}): string {
  const text = readFileSync(join(repoRoot, 'examples', 'churn-canary.rollout.yaml'), 'utf8');
  return text
    .replace('http://127.0.0.1:8700', urls.deploymentUrl)
    .replace(/metrics: \{ url: "http:\/\/127\.0\.0\.1:9090"/, options.metricsToken ? `metrics: { url: "${urls.prometheusUrl}", token: { secret: deploy-token }` : `metrics: { url: "${urls.prometheusUrl}"`);
}

export function planFor(urls: { deploymentUrl: string; prometheusUrl: string }, options: { metricsToken?: boolean } = {}): Plan {
  const validation = validatePlan(planTextFor(urls, options));
  const errors = validation.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
  if (!validation.plan || errors.length > 0) throw new Error(`the sample plan does not validate: ${JSON.stringify(errors)}`);
  return validation.plan;
}

export function newSession(options: Partial<RunbookSessionOptions> & { secret?: string; ledgerPath?: string }): RunbookSession {
  const { secret, ledgerPath, ...rest } = options;
  return new RunbookSession({
    frontMatter: { title: 'test', environment: 'staging' },
    ports: { http: nodeHttpSender },
    secrets: environmentSecretResolver(secret ? { ROLLGATE_SECRET_DEPLOY_TOKEN: secret } : {}),
    actor: 'test',
    ...(ledgerPath ? { ledger: ledgerRecorder(new Ledger({ path: ledgerPath })) } : {}),
    ...rest,
  });
}

export interface LoopbackServer {
  url: string;
  requests: IncomingMessage[];
  bodies: string[];
  close(): Promise<void>;
  /** Resolves with the next request that arrives. */
  nextRequest(): Promise<IncomingMessage>;
}

/** A plain HTTP server on 127.0.0.1 and a free port, answering with `handler`. */
export async function startLoopback(handler: (request: IncomingMessage, response: ServerResponse, body: string) => void): Promise<LoopbackServer> {
  const requests: IncomingMessage[] = [];
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      requests.push(request);
      bodies.push(body);
      server.emit('handled', request);
      handler(request, response, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodies,
    nextRequest: async () => (await once(server, 'handled'))[0] as IncomingMessage,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
