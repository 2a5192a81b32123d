// A real HTTP receiver on 127.0.0.1 for notification tests: records every request and answers
// as the test says (a status, a delay, no answer at all).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** How to answer one request: a status (and body), after an optional delay; `hang` never answers. */
export type Reply = { status: number; body?: string; delayMs?: number; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Replies for the next requests, in order; after they run out, `fallback` answers. */
  replies: Reply[];
  fallback: Reply;
  close(): Promise<void>;
}

export async function startReceiver(fallback: Reply = { status: 200, body: 'ok' }): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const state: Receiver = { url: '', received: [], replies: [], fallback, close: async () => undefined };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const reply = state.replies.shift() ?? state.fallback;
      if (reply === 'hang') {
        hanging.add(response);
        return;
      }
      const send = () => {
        response.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        response.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
