// Real request texts from the REST Client README and httpYac's examples (test/fixtures/httpCorpus)
// put into http cells against a loopback echo server. Each is either sent exactly as those tools
// send it, with the recorded request (dry run, the run's `request`, the ledger's `cell-run`
// entry) equal to what the server received byte for byte, or refused before sending with a
// diagnostic at its line that names the construct. Some are also sent by httpYac itself to the
// same server, and the two requests compared.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as httpyac from 'httpyac';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RequestSummary } from '../../../src/core/cells/index';
import { REDACTED } from '../../../src/core/cells/index';
import { CORPUS, type CorpusEntry } from '../../fixtures/httpCorpus/corpus';
import { newSession, repoRoot } from './support';

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

let server: Server;
let base = '';
let received: Received[] = [];
const fixtures = join(repoRoot, 'test', 'fixtures', 'httpCorpus');
const tally = { sent: 0, refused: 0, wrong: 0 };

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method!, url: request.url!, rawHeaders: request.rawHeaders, body: Buffer.concat(chunks) });
      response.setHeader('content-type', 'application/json');
      response.end('{"ok":true}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  // The corpus figures for docs/cells.md and the report.
  console.log(`REST Client / httpYac corpus: ${CORPUS.length} requests: ${tally.sent} sent right, ${tally.refused} refused with a name, ${tally.wrong} wrong`);
});

/** The text with every absolute origin pointed at the echo server. */
const localText = (text: string) => text.replace(/https?:\/\/(?!127\.0\.0\.1)[a-z0-9.-]+(:\d+)?(?=\/)/gi, base).replace(/https:\/\/\{\{host\}\}/g, 'http://{{host}}');

function sessionFor(entry: CorpusEntry, ledgerPath?: string) {
  const host = new URL(base).host;
  const variables = Object.fromEntries(Object.entries(entry.variables ?? { host: base }).map(([name, value]) => [name, value.replace('$HOST', host)]));
  return newSession({
    frontMatter: { title: 'corpus', user: 'doe', git_api_key: 'ghp-example-key', ...variables },
    files: { base: fixtures, root: fixtures },
    ...(ledgerPath ? { ledgerPath } : {}),
  });
}

const pairs = (raw: string[]) => raw.flatMap((value, index) => (index % 2 === 0 ? [[value, raw[index + 1]!] as [string, string]] : []));
const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The record must be what the server received: request line, every header in order, the body. */
function expectRecordEqualsReceived(record: RequestSummary, got: Received) {
  expect(record.method).toBe(got.method);
  const url = new URL(record.url);
  expect(`${url.pathname}${url.search}`).toBe(got.url);
  const recorded = record.headers!;
  const wire = pairs(got.rawHeaders);
  expect(recorded.map(([name]) => name)).toEqual(wire.map(([name]) => name));
  recorded.forEach(([name, value], index) => {
    // Credentials are masked in records: the scheme stays, the value is ‹redacted›.
    if (value.includes(REDACTED)) expect(wire[index]![1].startsWith(value.replace(REDACTED, ''))).toBe(true);
    else expect([name, value]).toEqual(wire[index]);
  });
  if (got.body.length === 0) {
    expect(record.bodyBytes ?? 0).toBe(0);
    return;
  }
  expect(record.bodyBytes).toBe(got.body.length);
  expect(record.bodySha256).toBe(sha(got.body));
  if (record.body !== undefined) expect(Buffer.from(record.body, 'utf8').equals(got.body)).toBe(true);
}

function expectSemantics(entry: CorpusEntry, got: Received) {
  const expected = entry.sent!;
  expect(got.method).toBe(expected.method);
  if (typeof expected.target === 'string') expect(got.url).toBe(expected.target);
  else expect(got.url).toMatch(expected.target);
  const headers = new Map(pairs(got.rawHeaders).map(([name, value]) => [name.toLowerCase(), value]));
  for (const [name, value] of Object.entries(expected.headers ?? {})) expect(headers.get(name)).toBe(value);
  for (const name of expected.absent ?? []) expect(headers.has(name)).toBe(false);
  if (expected.body !== undefined) expect(got.body.toString('utf8')).toBe(expected.body);
  if (expected.bodyPattern) expect(got.body.toString('utf8')).toMatch(expected.bodyPattern);
  if (expected.bodyHex !== undefined) expect(got.body.toString('hex')).toBe(expected.bodyHex);
  if (expected.json !== undefined) expect(JSON.parse(got.body.toString('utf8'))).toEqual(expected.json);
}

describe('REST Client and httpYac request texts', () => {
  CORPUS.forEach((entry, index) => {
    const title = `#${index + 1} ${entry.source}: ${entry.sent ? 'sent' : 'refused'}`;
    it(title, async () => {
      let counted = false;
      try {
        received = [];
        let text = localText(entry.text);
        for (const [from, to] of entry.local ?? []) text = text.replace(from, to.replace('$PORT', new URL(base).port));
        const ledgerPath = join(mkdtempSync(join(tmpdir(), 'rollgate-corpus-')), 'ledger.jsonl');
        const session = sessionFor(entry, ledgerPath);
        const cell = { language: 'http', attributes: {}, value: text };
        if (entry.refused) {
          const result = await session.run(cell, { confirmed: true });
          expect(received).toHaveLength(0);
          expect(result.outcome).toBe('failure');
          const diagnostic = result.diagnostics.find((one) => one.code === entry.refused!.code);
          expect(diagnostic, `${result.diagnostics.map((one) => `${one.code}: ${one.message}`).join('\n')}`).toBeDefined();
          expect(diagnostic!.message).toContain(entry.refused.mentions);
          if (entry.refused.at) expect(text.slice(diagnostic!.start, diagnostic!.end)).toContain(entry.refused.at);
          tally.refused++;
          counted = true;
          return;
        }
        const dry = await session.run(cell, { dryRun: true });
        expect(dry.outcome, dry.error).toBe('dry-run');
        expect(received).toHaveLength(0);
        // Tests reach loopback only: never send before the resolved URL is known to be local.
        expect(new URL(dry.request!.url).hostname).toBe('127.0.0.1');
        const result = await session.run(cell, { confirmed: true });
        expect(result.outcome, result.error).toBe('success');
        expect(received).toHaveLength(1);
        const got = received[0]!;
        expectSemantics(entry, got);
        expectRecordEqualsReceived(result.request!, got);
        if (!entry.dynamic) expectRecordEqualsReceived(dry.request!, got);
        // The ledger's cell-run entry holds the same record.
        const lines = readFileSync(ledgerPath, 'utf8').trim().split('\n');
        const logged = JSON.parse(lines.at(-1)!) as { request: { method: string; url: string; headers: Array<[string, string]> }; details: Record<string, unknown> };
        expectRecordEqualsReceived(
          {
            method: logged.request.method,
            url: logged.request.url,
            headers: logged.request.headers,
            ...(logged.details.body !== undefined ? { body: logged.details.body as string } : {}),
            ...(logged.details.bodyBytes !== undefined ? { bodyBytes: logged.details.bodyBytes as number } : {}),
            ...(logged.details.bodySha256 !== undefined ? { bodySha256: logged.details.bodySha256 as string } : {}),
          },
          got,
        );
        tally.sent++;
        counted = true;
      } finally {
        if (!counted) tally.wrong++;
      }
    });
  });
});

describe('the same texts sent by httpYac', () => {
  // Entries where REST Client and httpYac agree on what is sent (headers each tool adds aside).
  const peers = CORPUS.filter((entry) =>
    [
      'RC Usage',
      'RC Query Strings (multi-line)',
      'RC Request Body (relative file)',
      'RC Request Body (multipart/form-data with a file)',
      'RC Request Body (x-www-form-urlencoded over several lines)',
      'RC Basic Auth (user:passwd)',
      'RC Basic Auth (user passwd)',
      'HY examples/auth/basic.http (the request without its script)',
      'HY examples/intellij/intellij.http (one request: path and query continued on the next lines)',
      'HY examples/metaData/noCookieJar.http (one request)',
      'HY examples/issues/encoding.http',
    ].includes(entry.source),
  );

  it.each(peers.map((entry) => [entry.source, entry] as const))('%s', async (_source, entry) => {
    httpyac.cli.initFileProvider();
    await httpyac.cli.initIOProvider();
    let text = localText(entry.text);
    for (const [from, to] of entry.local ?? []) text = text.replace(from, to.replace('$PORT', new URL(base).port));
    const store = new httpyac.store.HttpFileStore();
    const httpFile = await store.parse(join(fixtures, 'peer.http'), text, { workingDir: fixtures });
    const region = httpFile.httpRegions.find((one) => one.request);
    expect(region).toBeDefined();
    received = [];
    await httpyac.send({ httpFile, httpRegion: region!, variables: { host: base } });
    const theirs = received[0]!;
    received = [];
    const result = await sessionFor(entry).run({ language: 'http', attributes: {}, value: text }, { confirmed: true });
    expect(result.outcome, result.error).toBe('success');
    const ours = received[0]!;
    expect(ours.method).toBe(theirs.method);
    expect(ours.url).toBe(theirs.url);
    expect(ours.body.toString('hex')).toBe(theirs.body.toString('hex'));
    // Every header the text wrote is sent alike (each tool adds its own defaults besides).
    const theirHeaders = new Map(pairs(theirs.rawHeaders).map(([name, value]) => [name.toLowerCase(), value]));
    const ourHeaders = new Map(pairs(ours.rawHeaders).map(([name, value]) => [name.toLowerCase(), value]));
    for (const name of ['content-type', 'authorization']) expect(ourHeaders.get(name)).toBe(theirHeaders.get(name));
  });
});
