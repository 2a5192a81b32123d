// A loopback TCP proxy in front of a real server, for fault tests: it forwards bytes unchanged
// (it imitates nothing) until a test cuts it (the service is down: connections are refused) or
// makes it hang (connections are accepted and never answered: the service is slow).
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  url: string;
  port: number;
  /** Closes the port and every open connection: later connections are refused. */
  cut(): Promise<void>;
  /** Keeps accepting connections but forwards nothing more: requests hang until they time out. */
  hang(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let hanging = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (hanging) return;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    cut: close,
    hang() {
      hanging = true;
      for (const socket of sockets) socket.destroy();
    },
    close,
  };
}
