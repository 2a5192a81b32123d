// The secret-leak test: every cell kind runs with a known secret value, then every output, error,
// named value and ledger line is searched for it, in each form it could travel in.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { CellRunResult, RunCellOptions } from '../../../src/core/cells/index';
import { eventually, useDevStack } from '../../support/devStack';
import { newSession, planFor, startLoopback } from './support';

// Characters that change under URL and JSON encoding, so each encoded form is checked too.
const SECRET = 'tok-7f3a/9c+2e=51"d8b64';
const forms = [SECRET, encodeURIComponent(SECRET), JSON.stringify(SECRET).slice(1, -1), 'tok-7f3a'];

const dev = useDevStack({ token: SECRET, requestsPerSecond: 20 });

function expectNoSecret(what: string, text: string): void {
  for (const form of forms) expect(text.includes(form), `${what} contains the secret (as ${JSON.stringify(form)})`).toBe(false);
}

describe('secrets never leave a cell run', () => {
  it('redacts the secret from outputs, errors, values and the ledger for every cell kind', async () => {
    const ledgerPath = join(mkdtempSync(join(tmpdir(), 'rollgate-redact-')), 'ledger.jsonl');
    const plan = planFor({ deploymentUrl: dev().stack.deploymentUrl, prometheusUrl: dev().stack.prometheusUrl! }, { metricsToken: true });
    const session = newSession({ plan, secret: SECRET, ledgerPath });
    // A loopback server that echoes the request back, and one that fails quoting it, as careless servers do.
    const echo = await startLoopback((request, response, body) => {
      response.setHeader('content-type', 'application/json');
      response.setHeader('x-echo-auth', String(request.headers.authorization));
      response.end(JSON.stringify({ url: request.url, headers: request.headers, body }));
    });
    const failing = await startLoopback((request, response) => {
      response.statusCode = 500;
      response.end(`refused token ${String(request.headers.authorization)} for ${request.url}`);
    });
    const results: CellRunResult[] = [];
    const run = async (language: string, value: string, attributes: Record<string, unknown> = {}, options: RunCellOptions = { confirmed: true }) => {
      const result = await session.run({ language, value, attributes }, options);
      results.push(result);
      return result;
    };
    try {
      const deployment = await run('http', 'GET {{endpoints.deployment.url}}/v1/services/{{metadata.service}}\nAuthorization: Bearer {{endpoints.deployment.token}}');
      expect(deployment.status).toBe(200);
      const echoed = await run('http', `POST ${echo.url}/hook?token={{secret:deploy-token}}\nAuthorization: Bearer {{secret:deploy-token}}\nX-Token: {{secret:deploy-token}}\n\n{"token":"{{secret:deploy-token}}"}`, {
        name: 'echo',
      });
      expect(echoed.outcome).toBe('success');
      // The server really received the secret: redaction happened on the way back, not by not sending.
      expect(echo.bodies[0]).toContain(SECRET);
      const failed = await run('http', `GET ${failing.url}/?t={{secret:deploy-token}}\nAuthorization: Bearer {{secret:deploy-token}}`);
      expect(failed.outcome).toBe('failure');
      expect(failed.error).toContain('refused token');
      await run('http', `PUT ${echo.url}/x\nAuthorization: Bearer {{secret:deploy-token}}\n\n{{secret:deploy-token}}`, {}, { dryRun: true });
      await run('http', `GET ${echo.url}/{{echo.body.nothing}}?t={{secret:deploy-token}}`);

      await eventually(async () => ((await run('promql', 'sum(rollgate_dev_requests_total)', { expect: '>= 0' })).ok ? true : undefined), 30_000, 'a first scrape');
      await run('promql', 'sum by (version) (rollgate_dev_requests_total)', { range: '30s', step: '5s' });
      await run('promql', 'sum(rate(oops[1m])');
      await run('check', '');
      await run('rollout', 'status', { name: 'state' });
      await run('rollout', 'set-traffic 10');
      await run('rollout', 'rollback to baseline reason "drill"');
      await run('rollout', 'promote shadow', {}, { confirmed: false });

      // A wrong token makes the deployment endpoint answer 401: its error must not echo either token.
      const wrong = newSession({ plan, secret: `${SECRET}-wrong`, ledgerPath });
      const unauthorised = await wrong.run({ language: 'rollout', value: 'status', attributes: {} });
      results.push(unauthorised);
      expect(unauthorised.outcome).toBe('failure');
      expect(unauthorised.error).toMatch(/401|token/i);
    } finally {
      await echo.close();
      await failing.close();
    }

    expect(results.length).toBeGreaterThanOrEqual(13);
    for (const [index, result] of results.entries()) expectNoSecret(`result ${index} (${result.kind})`, JSON.stringify(result));
    expectNoSecret('named outputs', JSON.stringify(session.outputs));
    const ledger = readFileSync(ledgerPath, 'utf8');
    const entries = ledger
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string });
    // One cell-run per run but the dry one; the set-traffic and the rollback also as their own actions.
    expect(entries.filter((entry) => entry.action === 'cell-run').length).toBe(results.length - 1);
    expect(entries.filter((entry) => entry.action !== 'cell-run').map((entry) => entry.action)).toEqual(['traffic-change', 'rollback']);
    expectNoSecret('the ledger', ledger);
  });
});
