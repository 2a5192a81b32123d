// The HAProxy runtime API client against a real HAProxy (one per file, free loopback ports):
// reading state, setting weights in one line, refusing what would mis-send, and clear errors.
import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';

import { HaproxyError, HaproxyRuntimeClient, HaproxyTraffic, isHaproxyError } from '../../../src/core/backends/haproxy/index';
import { freePort } from '../../../src/dev/prometheusProcess';
import { waitFor } from '../../support/poll';
import { useHaproxy } from '../../support/haproxy';

const haproxy = useHaproxy([
  {
    name: 'churn-scorer',
    servers: [
      { name: 'v41', weight: 100 },
      { name: 'v42', weight: 0 },
      { name: 'v40', weight: 5 },
    ],
  },
  {
    name: 'health',
    servers: [
      { name: 'up', weight: 100, check: true },
      { name: 'dead', weight: 0, check: true, dead: true },
      { name: 'maint', weight: 0 },
      { name: 'drain', weight: 0 },
      { name: 'off', weight: 0, disabled: true },
    ],
  },
  {
    name: 'pinned',
    balance: 'static-rr',
    servers: [
      { name: 'a', weight: 10 },
      { name: 'b', weight: 10 },
    ],
  },
]);

const versions = { '41': 'v41', '42': 'v42' };

async function rejection(promise: Promise<unknown>): Promise<HaproxyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isHaproxyError(error)) throw new Error(`expected a HaproxyError, got ${error instanceof Error ? error.stack : String(error)}`);
  return error;
}

async function weightsOf(client: HaproxyRuntimeClient): Promise<Record<string, number>> {
  return Object.fromEntries((await client.servers()).map((server) => [server.name, server.weight]));
}

describe('reading state', () => {
  it('reads show servers state of the backend over TCP and over a unix socket', async () => {
    for (const url of [haproxy().runtimeUrl, haproxy().unixUrl]) {
      const servers = await new HaproxyRuntimeClient({ url, backend: 'churn-scorer' }).servers();
      expect(servers.map((server) => [server.name, server.weight, server.initialWeight, server.operational, server.adminState])).toEqual([
        ['v41', expect.any(Number), 100, 'running', 0],
        ['v42', expect.any(Number), 0, 'running', 0],
        ['v40', expect.any(Number), 5, 'running', 0],
      ]);
      expect(servers.every((server) => server.backend === 'churn-scorer' && server.address === '127.0.0.1' && server.port! > 0)).toBe(true);
    }
  });

  it('get weight answers the current and configured weight; a user-level socket may read', async () => {
    const client = new HaproxyRuntimeClient({ url: haproxy().userUrl, backend: 'pinned' });
    expect(await client.weight('a')).toEqual({ weight: 10, initial: 10 });
    expect((await client.servers()).map((server) => server.name)).toEqual(['a', 'b']);
  });

  it('reports a version share per plan version and the servers the plan does not name', async () => {
    await haproxy().send('set weight churn-scorer/v41 90; set weight churn-scorer/v42 10; set weight churn-scorer/v40 0');
    const traffic = new HaproxyTraffic({ url: haproxy().runtimeUrl, backend: 'churn-scorer', servers: versions });
    const reading = await traffic.read();
    expect(reading.shares).toEqual({ '41': 90, '42': 10 });
    expect(reading.unplanned).toEqual([{ server: 'v40', weight: 0, share: 0 }]);
    // A change made by hand (outside any rollout) shows in the next reading.
    await haproxy().send('set weight churn-scorer/v40 20');
    const changed = await traffic.read();
    expect(changed.shares).toEqual({ '41': 75, '42': 8.333333333 });
    expect(changed.unplanned).toEqual([{ server: 'v40', weight: 20, share: 16.666666667 }]);
  });
});

describe('changing weights', () => {
  it('sends a traffic change as one line, holding unnamed servers at 0 and reporting them', async () => {
    await haproxy().send('set weight churn-scorer/v41 100; set weight churn-scorer/v42 0; set weight churn-scorer/v40 7');
    const traffic = new HaproxyTraffic({ url: haproxy().runtimeUrl, backend: 'churn-scorer', servers: versions });
    const change = await traffic.setShares({ '41': 95, '42': 5 });
    // Raises first, so a line HAProxy stopped part-way never leaves every server at 0.
    expect(change.line).toBe('set weight churn-scorer/v42 5; set weight churn-scorer/v41 95; set weight churn-scorer/v40 0');
    expect(change.weights).toEqual({ '41': 95, '42': 5 });
    expect(change.zeroed).toEqual([{ server: 'v40', from: 7, to: 0 }]);
    expect(await weightsOf(traffic.runtime)).toEqual({ v41: 95, v42: 5, v40: 0 });
    expect(await traffic.runtime.weight('v42')).toEqual({ weight: 5, initial: 0 });
  });

  it('splits exactly: whole percentages as weights, halves doubled, and refuses what weights cannot express', async () => {
    const traffic = new HaproxyTraffic({ url: haproxy().runtimeUrl, backend: 'churn-scorer', servers: versions });
    expect((await traffic.setShares({ '41': 97.5, '42': 2.5 })).weights).toEqual({ '41': 195, '42': 5 });
    expect((await traffic.read()).shares).toEqual({ '41': 97.5, '42': 2.5 });
    const error = await rejection(traffic.setShares({ '41': 66.67, '42': 33.33 }));
    expect(error.kind).toBe('not-exact');
    expect(error.sent).toBe(false);
    expect(error.message).toContain('cannot split traffic exactly as 41=66.67% 42=33.33%');
    expect(await weightsOf(traffic.runtime)).toMatchObject({ v41: 195, v42: 5 });
  });

  it('rolls back in one line: everything to the target, 0 everywhere else', async () => {
    await haproxy().send('set weight churn-scorer/v41 50; set weight churn-scorer/v42 50; set weight churn-scorer/v40 3');
    const traffic = new HaproxyTraffic({ url: haproxy().unixUrl, backend: 'churn-scorer', servers: versions });
    const change = await traffic.rollback('41');
    expect(change.line).toBe('set weight churn-scorer/v41 100; set weight churn-scorer/v42 0; set weight churn-scorer/v40 0');
    expect(change.changes).toEqual([
      { server: 'v41', from: 50, to: 100 },
      { server: 'v42', from: 50, to: 0 },
    ]);
    expect(await weightsOf(traffic.runtime)).toEqual({ v41: 100, v42: 0, v40: 0 });
  });

  it('real requests through HAProxy land on the versions in the proportions set (2,000 requests, within 5 points)', async () => {
    const traffic = new HaproxyTraffic({ url: haproxy().runtimeUrl, backend: 'churn-scorer', servers: versions });
    for (const shares of [
      { '41': 90, '42': 10 },
      { '41': 75, '42': 25 },
    ]) {
      await traffic.setShares(shares);
      const counts: Record<string, number> = {};
      for (let batch = 0; batch < 40; batch++) {
        const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${haproxy().frontendUrl}/predict`, { method: 'POST', body: '{}' }).then((response) => response.text())));
        for (const server of answers) counts[server] = (counts[server] ?? 0) + 1;
      }
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(2000);
      expect(Math.abs(((counts.v41 ?? 0) / 2000) * 100 - shares['41'])).toBeLessThanOrEqual(5);
      expect(Math.abs(((counts.v42 ?? 0) / 2000) * 100 - shares['42'])).toBeLessThanOrEqual(5);
      expect(counts.v40).toBeUndefined();
    }
  });
});

describe('servers HAProxy reports down are never given traffic', () => {
  const health = () => new HaproxyTraffic({ url: haproxy().runtimeUrl, backend: 'health', servers: { up: 'up', dead: 'dead', maint: 'maint', drain: 'drain', off: 'off' } });

  it('a failing health check: the change is refused before sending, naming the server', async () => {
    await waitFor('the dead server to be marked down', 10_000, async () => ((await health().read()).unavailable.dead ? true : undefined));
    const before = await weightsOf(health().runtime);
    const error = await rejection(health().setShares({ up: 90, dead: 10 }));
    expect(error.kind).toBe('server-down');
    expect(error.sent).toBe(false);
    expect(error.server).toBe('dead');
    expect(error.message).toMatch(/^HAProxy reports health\/dead down: its health check fails \(L4CON, connection refused or unreachable\), so it cannot take traffic; nothing was sent to tcp:\/\/127\.0\.0\.1:\d+\.$/);
    expect(await weightsOf(health().runtime)).toEqual(before);
  });

  it('maintenance, drain and a disabled server are refused the same way', async () => {
    await haproxy().send('set server health/maint state maint; set server health/drain state drain');
    const reading = await health().read();
    expect(reading.unavailable).toMatchObject({
      maint: expect.stringContaining('in maintenance'),
      drain: expect.stringContaining('draining'),
      off: expect.stringContaining('from the configuration'),
    });
    for (const server of ['maint', 'drain', 'off']) {
      const error = await rejection(health().setShares({ up: 50, [server]: 50 }));
      expect([error.kind, error.server, error.sent]).toEqual(['server-down', server, false]);
    }
  });

  it('a rollback to a down server is refused loudly, with what to do by hand', async () => {
    const error = await rejection(health().rollback('dead'));
    expect(error.kind).toBe('server-down');
    expect(error.message).toContain('ROLLBACK REFUSED: HAProxy reports health/dead down: its health check fails');
    expect(error.message).toContain('traffic was left as it is');
    expect(error.message).toMatch(/echo "set weight health\/up 0; set weight health\/dead 100; .*" \| socat stdio tcp:127\.0\.0\.1:\d+$/);
    expect((await health().read()).weights.dead).toBe(0);
  });
});

describe('runtime API errors name the socket, backend and server', () => {
  it('connection refused (TCP) and a missing socket file (unix)', async () => {
    const port = await freePort();
    const refused = await rejection(new HaproxyRuntimeClient({ url: `tcp://127.0.0.1:${port}`, backend: 'churn-scorer' }).servers());
    expect(refused.kind).toBe('unreachable');
    expect(refused.transient).toBe(true);
    expect(refused.message).toBe(
      `the HAProxy runtime API tcp://127.0.0.1:${port} refused the connection: nothing is listening there. Is HAProxy running, with \`stats socket ipv4@127.0.0.1:${port} level admin\` in its global section? (endpoints.deployment.url)`,
    );
    const missing = await rejection(new HaproxyRuntimeClient({ url: 'unix:///tmp/rollgate-no-such-haproxy.sock', backend: 'churn-scorer' }).servers());
    expect(missing.kind).toBe('unreachable');
    expect(missing.message).toContain('There is no socket file at /tmp/rollgate-no-such-haproxy.sock');
  });

  it('a socket that accepts but never answers times out, saying the change may have been applied', async () => {
    const held = new Set<Socket>();
    const silent: Server = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const client = new HaproxyRuntimeClient({ url: `tcp://127.0.0.1:${port}`, backend: 'churn-scorer', timeoutMs: 300 });
      const error = await rejection(client.servers());
      expect([error.kind, error.sent, error.transient]).toEqual(['timeout', true, true]);
      expect(error.message).toContain(`did not answer "show servers state churn-scorer" within 300 ms`);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('an unknown backend lists the backends HAProxy has', async () => {
    const error = await rejection(new HaproxyRuntimeClient({ url: haproxy().runtimeUrl, backend: 'churn-scorr' }).servers());
    expect(error.kind).toBe('unknown-backend');
    expect(error.message).toMatch(/^HAProxy at tcp:\/\/127\.0\.0\.1:\d+ has no backend "churn-scorr" \(endpoints\.deployment\.backend\)\. Its backends: .*churn-scorer, health, pinned\.$/);
  });

  it('an unknown server is refused before anything is sent, listing the servers', async () => {
    const traffic = new HaproxyTraffic({ url: haproxy().runtimeUrl, backend: 'churn-scorer', servers: { '41': 'v41', '42': 'v42-typo' } });
    const before = await weightsOf(traffic.runtime);
    const error = await rejection(traffic.setShares({ '41': 90, '42': 10 }));
    expect([error.kind, error.server, error.sent]).toEqual(['unknown-server', 'v42-typo', false]);
    expect(error.message).toMatch(/has no server "v42-typo" \(endpoints\.deployment\.servers\)\. Its servers: v41, v42, v40\.$/);
    expect(await weightsOf(traffic.runtime)).toEqual(before);
    const reading = await rejection(traffic.read());
    expect(reading.message).toContain('endpoints.deployment.servers["42"]');
  });

  it('a socket whose level is too low: "Permission denied" becomes what to change in the config', async () => {
    const client = new HaproxyRuntimeClient({ url: haproxy().userUrl, backend: 'churn-scorer' });
    const error = await rejection(client.setWeights({ v41: 100, v42: 0 }));
    expect([error.kind, error.sent]).toEqual(['permission', true]);
    expect(error.message).toContain('HAProxy applied none of "set weight churn-scorer/');
    expect(error.message).toContain("the socket's level is too low. Reading needs `level operator`, changing weights `level admin`");
    expect(error.message).toMatch(/HAProxy now reports v41=\d+ v42=\d+ v40=\d+ in churn-scorer\.$/);
  });

  it('a half-applied line is reported with what was applied, what was refused and the weights now', async () => {
    // static-rr only switches servers between 0 and their configured weight: raising 'a' fails
    // while lowering 'b' succeeds, in the same line.
    const client = new HaproxyRuntimeClient({ url: haproxy().runtimeUrl, backend: 'pinned' });
    const error = await rejection(client.setWeights({ a: 20, b: 0 }));
    expect(error.kind).toBe('partial');
    expect(error.sent).toBe(true);
    expect(error.line).toBe('set weight pinned/a 20; set weight pinned/b 0');
    expect(error.message).toContain('HAProxy applied only part of "set weight pinned/a 20; set weight pinned/b 0": it set b=0 but refused "set weight pinned/a 20"');
    expect(error.message).toContain('Traffic is NOT as intended.');
    expect(error.message).toContain('Backend pinned uses a static load-balancing algorithm');
    expect(error.message).toMatch(/HAProxy now reports a=10 b=0 in pinned\.$/);
  });
});
