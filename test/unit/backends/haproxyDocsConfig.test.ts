// docs/backends.md's "Connecting an existing HAProxy" as written, run on a real HAProxy: its
// configuration (only addresses, paths and the socket's user changed to this machine's) and
// its plan fragment's deployment block must work together, so the docs cannot drift from what
// the backend needs (a level, a dynamic balance algorithm, the exporter).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { HaproxyTraffic } from '../../../src/core/backends/haproxy/index';
import { startHaproxy, type HaproxyProcess } from '../../../src/dev/haproxyProcess';
import { freePort } from '../../../src/dev/prometheusProcess';
import { haproxyBin } from '../../support/haproxy';
import { waitFor } from '../../support/poll';

const docs = readFileSync(join(__dirname, '../../../docs/backends.md'), 'utf8');
const section = docs.slice(docs.indexOf('### Connecting an existing HAProxy'), docs.indexOf('### Stages to weights'));
const block = (language: string): string => {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section);
  if (!match) throw new Error(`docs/backends.md: no \`\`\`${language} block under "Connecting an existing HAProxy"`);
  return match[1]!;
};

interface DocsDeployment {
  type: string;
  url: string;
  backend: string;
  servers: Record<string, string>;
}

let haproxy: HaproxyProcess | undefined;
const upstreams: Server[] = [];
let frontendUrl = '';
let exporterUrl = '';
let deployment: DocsDeployment;

async function upstream(name: string): Promise<number> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'text/plain' }).end(request.url === '/healthz' ? 'ok' : name));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  deployment = (parse(block('yaml')) as { endpoints: { deployment: DocsDeployment } }).endpoints.deployment;
  const [front, exporter, tcpApi] = [await freePort(), await freePort(), await freePort()];
  let config = block('haproxy')
    .replaceAll('/run/haproxy/admin.sock', '{dir}/admin.sock')
    .replace('user deploy', `user ${userInfo().username}`)
    .replace('ipv4@127.0.0.1:9999', `ipv4@127.0.0.1:${tcpApi}`)
    .replace('/var/lib/haproxy/server-state', '{dir}/server-state')
    .replace('bind :8080', `bind 127.0.0.1:${front}`)
    .replace('bind 127.0.0.1:8405', `bind 127.0.0.1:${exporter}`);
  for (const server of ['v41', 'v42']) config = config.replace(new RegExp(`(server ${server}) \\S+`), `$1 127.0.0.1:${await upstream(server)}`);
  expect(config).not.toMatch(/10\.0\.1\.|:8080|:9999|\/run\/haproxy/);
  haproxy = await startHaproxy({ bin: haproxyBin, config, runtimeUrl: `unix://{dir}/admin.sock` });
  frontendUrl = `http://127.0.0.1:${front}`;
  exporterUrl = `http://127.0.0.1:${exporter}/metrics`;
}, 30_000);

afterAll(async () => {
  await haproxy?.stop();
  for (const server of upstreams) server.closeAllConnections();
  await Promise.all(upstreams.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("docs/backends.md's HAProxy configuration and plan", () => {
  it('the plan fragment names the backend and servers the configuration has', () => {
    expect(deployment.type).toBe('haproxy');
    expect(deployment.url).toBe('unix:///run/haproxy/admin.sock');
    const backend = /^backend (\S+)/m.exec(block('haproxy'))?.[1];
    expect(deployment.backend).toBe(backend);
    for (const server of Object.values(deployment.servers)) expect(block('haproxy')).toMatch(new RegExp(`^\\s*server ${server} `, 'm'));
  });

  it('splits, reads and rolls back through the documented socket, and the exporter reports per server', async () => {
    const traffic = new HaproxyTraffic({ url: `unix://${haproxy!.dir}/admin.sock`, backend: deployment.backend, servers: deployment.servers });
    // The documented config health-checks both servers: wait until HAProxy has seen them up.
    await waitFor('both servers to pass their first health check', 20_000, async () =>
      (await traffic.read()).unavailable['42'] === undefined && (await traffic.read()).unavailable['41'] === undefined ? true : undefined,
    );
    const change = await traffic.setShares({ '41': 90, '42': 10 });
    expect(change.line).toBe(`set weight ${deployment.backend}/v42 10; set weight ${deployment.backend}/v41 90`);
    expect((await traffic.read()).shares).toEqual({ '41': 90, '42': 10 });
    const answers = await Promise.all(Array.from({ length: 100 }, () => fetch(`${frontendUrl}/predict`).then((response) => response.text())));
    // Concurrent requests: round robin lands near, not always exactly on, 10 of 100.
    const toCandidate = answers.filter((name) => name === 'v42').length;
    expect(Math.abs(toCandidate - 10)).toBeLessThanOrEqual(5);
    const metrics = await (await fetch(exporterUrl)).text();
    expect(metrics).toMatch(new RegExp(`haproxy_server_http_responses_total\\{proxy="${deployment.backend}",server="v42",code="2xx"\\} ${toCandidate}\\b`));
    await traffic.rollback('41');
    expect((await traffic.read()).weights).toEqual({ '41': 100, '42': 0 });
  });
});
