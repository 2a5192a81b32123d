// The http case shared by the httpCell and peers benches: a loopback server answering like the
// deployment API's service state, the floor (plain fetch) and Rollgate's http cell sending the
// same request with a variable and a secret reference.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { environmentSecretResolver, nodeHttpSender, RunbookSession, type RunLedger } from '../../src/core/cells/index';

const BODY = JSON.stringify({
  service: 'churn-scorer',
  stable: '41',
  phase: 'stable',
  versions: [
    { version: '41', weight: 100 },
    { version: '42', weight: 0 },
  ],
});

export interface HttpCase {
  base: string;
  /** `GET {base}/v1/services/churn-scorer`. */
  url: string;
  /** The floor: the same request with fetch, the answer read and parsed. */
  floor(): Promise<void>;
  /** A session running the http cell; each call of the result sends one request. */
  cellRunner(ledger?: RunLedger): () => Promise<void>;
  close(): void;
}

/** Starts the server on 127.0.0.1 and a free port; requests without `Bearer <token>` get 401. */
export async function startHttpCase(token: string): Promise<HttpCase> {
  const server = createServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.statusCode = 401;
      response.end('{}');
      return;
    }
    response.setHeader('content-type', 'application/json');
    response.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${base}/v1/services/churn-scorer`;
  const cell = { language: 'http', attributes: {}, value: 'GET {{base}}/v1/services/{{metadata.service}}\nAuthorization: Bearer {{secret:deploy-token}}' };
  return {
    base,
    url,
    async floor() {
      const response = await fetch(url, { method: 'GET', headers: [['Authorization', `Bearer ${token}`]] });
      if (response.status !== 200) throw new Error(`floor got ${response.status}`);
      JSON.parse(await response.text());
    },
    cellRunner(ledger) {
      const session = new RunbookSession({
        frontMatter: { base, metadata: { service: 'churn-scorer' } },
        ports: { http: nodeHttpSender },
        secrets: environmentSecretResolver({ ROLLGATE_SECRET_DEPLOY_TOKEN: token }),
        actor: 'bench',
        ...(ledger ? { ledger } : {}),
      });
      return async () => {
        const result = await session.run(cell);
        if (!result.ok) throw new Error(`cell failed: ${result.error}`);
      };
    },
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
