// REST Client / httpYac request settings (`# @…` lines before the request line) and comment forms
// against loopback servers: the settings Rollgate honours change what is sent, the others are
// refused at their line before anything is sent.
import { afterEach, describe, expect, it } from 'vitest';

import { newSession, startLoopback, type LoopbackServer } from './support';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function redirecting(): Promise<LoopbackServer> {
  const server = await startLoopback((request, response) => {
    if (request.url === '/api/comment') return void response.writeHead(302, { location: '/api/comments/1' }).end();
    response.end('landed');
  });
  servers.push(server);
  return server;
}

const cell = (value: string) => ({ language: 'http', attributes: {}, value });

describe('# @no-redirect', () => {
  it('without it, a 302 is followed (the premise)', async () => {
    const server = await redirecting();
    const result = await newSession({}).run(cell(`GET ${server.url}/api/comment`));
    expect(result.outcome, result.error).toBe('success');
    expect(result.status).toBe(200);
    expect(server.requests.map((request) => request.url)).toEqual(['/api/comment', '/api/comments/1']);
  });

  it.each([
    ['REST Client (# @no-redirect)', '# @no-redirect'],
    ['httpYac (// @no-redirect)', '// @no-redirect'],
  ])('%s: the 302 is the result and its Location is not visited', async (_tool, setting) => {
    const server = await redirecting();
    const result = await newSession({}).run(cell(`${setting}\nGET ${server.url}/api/comment`));
    expect(result.outcome, result.error).toBe('success');
    expect(result.status).toBe(302);
    expect(result.request?.redirects ?? []).toEqual([]);
    expect(server.requests.map((request) => request.url)).toEqual(['/api/comment']);
  });
});

describe('other request settings and comment forms', () => {
  it.each([
    ['# @sleep 1000', 'http/setting', '# @sleep'],
    ['# @loop for 3', 'http/setting', '# @loop'],
    ['# @no-reject-unauthorized', 'http/setting', '# @no-reject-unauthorized'],
    ['/* a block comment */', 'http/block-comment', 'Block comments'],
  ])('%s is refused at its line, naming it, and nothing is sent', async (line, code, mentions) => {
    const server = await redirecting();
    const text = `# a comment\n${line}\nGET ${server.url}/api/comments/1`;
    const result = await newSession({}).run(cell(text));
    expect(result.outcome).toBe('failure');
    const diagnostic = result.diagnostics.find((one) => one.code === code);
    expect(diagnostic, JSON.stringify(result.diagnostics)).toBeDefined();
    expect(diagnostic!.message).toContain(mentions);
    expect(text.slice(diagnostic!.start, diagnostic!.end)).toBe(line);
    expect(server.requests).toHaveLength(0);
  });

  it('# and // comments, # @title and # @no-cookie-jar are accepted and leave the request as written', async () => {
    const server = await redirecting();
    const result = await newSession({}).run(cell(`# @title A comment\n// a comment\n# @no-cookie-jar\nGET ${server.url}/api/comments/1\n# between headers\nAccept: text/plain`));
    expect(result.outcome, result.error).toBe('success');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.accept).toBe('text/plain');
  });
});
