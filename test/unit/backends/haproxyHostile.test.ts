// A runtime API address that is not a well-behaved HAProxy: endless answers, garbage, a
// cancelled call. Each ends with a clear, bounded error; nothing hangs.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { HaproxyRuntimeClient, isHaproxyError, parseRuntimeApiUrl, sendRuntimeLine } from '../../../src/core/backends/haproxy/index';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen(onConnection: (socket: Socket) => void): Promise<string> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function caught(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isHaproxyError(error)) throw new Error(`expected a HaproxyError, got ${String(error)}`);
  return error;
}

describe('a hostile runtime API', () => {
  it('an endless answer is cut off at the size limit', async () => {
    const url = await listen((socket) => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    const error = await caught(sendRuntimeLine(parseRuntimeApiUrl(url)!, ['show servers state a'], { timeoutMs: 10_000, maxAnswerBytes: 1_000_000 }));
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('with more than 1000000 bytes; stopped reading');
  });

  it('an answer that is not the server state format is reported, not guessed at', async () => {
    const url = await listen((socket) => socket.end('<html>not haproxy</html>\n\n'));
    const error = await caught(new HaproxyRuntimeClient({ url, backend: 'churn-scorer' }).servers());
    expect(error.kind).toBe('malformed');
    expect(error.message).toContain('answered `show servers state churn-scorer` with something this client cannot read (expected the server state format version "1"');
  });

  it('a cancelled call stops at once and says whether the line was sent', async () => {
    const url = await listen(() => undefined);
    const controller = new AbortController();
    const pending = new HaproxyRuntimeClient({ url, backend: 'churn-scorer', timeoutMs: 30_000 }).servers(controller.signal);
    setTimeout(() => controller.abort(), 50);
    const error = await caught(pending);
    expect([error.kind, error.sent]).toEqual(['aborted', true]);
    expect(error.message).toContain('Cancelled after "show servers state churn-scorer" was sent');
    const before = new AbortController();
    before.abort();
    const early = await caught(new HaproxyRuntimeClient({ url, backend: 'churn-scorer' }).servers(before.signal));
    expect([early.kind, early.sent]).toEqual(['aborted', false]);
  });

  it('names that could smuggle a second command never reach the socket', async () => {
    let connections = 0;
    const url = await listen((socket) => {
      connections++;
      socket.end();
    });
    expect(() => new HaproxyRuntimeClient({ url, backend: 'b; shutdown sessions' })).toThrow('is not an HAProxy backend name');
    const client = new HaproxyRuntimeClient({ url, backend: 'churn-scorer' });
    const error = await caught(client.setWeights({ 'v42 1; set weight churn-scorer/v41': 0 }));
    expect([error.kind, error.sent]).toEqual(['rejected', false]);
    await expect(sendRuntimeLine(parseRuntimeApiUrl(url)!, ['show info\nshow sess'], { timeoutMs: 1000 })).rejects.toThrow('a command must be one line');
    expect(connections).toBe(0);
  });
});
