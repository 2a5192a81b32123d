import { describe, expect, it } from 'vitest';

import { parseHttpCell } from '../../../src/core/cells/http';
import { parseExpectation, satisfies } from '../../../src/core/cells/promql';
import { parseRolloutCell } from '../../../src/core/cells/rollout';
import { parseCheckCell } from '../../../src/core/cells/check';
import { isMutating } from '../../../src/core/cells/session';

/** Text of [start, end) in `text`: lets each assertion state the span it expects. */
const span = (text: string, diagnostic: { start: number; end: number }) => text.slice(diagnostic.start, diagnostic.end);

describe('http cell parse', () => {
  it('reads method, URL, headers and body with offsets', () => {
    const text = '# status check\nPOST {{base}}/v1/x HTTP/1.1\nContent-Type: application/json\nAuthorization: Bearer {{secret:tok}}\n\n{"a": 1}\n\n';
    const parsed = parseHttpCell(text);
    expect(parsed.diagnostics).toEqual([]);
    const request = parsed.value!;
    expect(request.method).toBe('POST');
    expect(span(text, request.methodSpan!)).toBe('POST');
    expect(request.url).toHaveLength(1);
    expect(request.url[0]!.text).toBe('{{base}}/v1/x');
    expect(text.slice(request.url[0]!.start, request.url[0]!.start + request.url[0]!.text.length)).toBe('{{base}}/v1/x');
    expect(request.headers.map((header) => [header.name, header.value.text])).toEqual([
      ['Content-Type', 'application/json'],
      ['Authorization', 'Bearer {{secret:tok}}'],
    ]);
    const auth = request.headers[1]!.value;
    expect(text.slice(auth.start, auth.start + auth.text.length)).toBe('Bearer {{secret:tok}}');
    const bodyLine = request.body![0]!;
    expect(bodyLine.kind === 'text' && bodyLine.piece.text).toBe('{"a": 1}');
    expect(bodyLine.kind === 'text' && text.slice(bodyLine.piece.start, bodyLine.piece.start + 8)).toBe('{"a": 1}');
  });

  it('treats a bare URL as GET and joins ?/& continuation lines', () => {
    const parsed = parseHttpCell('http://127.0.0.1:1/api\n  ?a=1\n  &b=2\nAccept: */*');
    expect(parsed.value!.method).toBe('GET');
    expect(parsed.value!.methodSpan).toBeUndefined();
    expect(parsed.value!.url.map((piece) => piece.text)).toEqual(['http://127.0.0.1:1/api', '?a=1', '&b=2']);
    expect(parsed.value!.headers).toHaveLength(1);
    expect(parsed.value!.body).toBeUndefined();
  });

  it('reports an unknown method and a malformed header at their spans', () => {
    const text = 'FETCH http://x/\nnot a header\n';
    const parsed = parseHttpCell(text);
    expect(parsed.value).toBeUndefined();
    expect(parsed.diagnostics.map((diagnostic) => [diagnostic.code, span(text, diagnostic)])).toEqual([
      ['http/unknown-method', 'FETCH'],
      ['http/bad-header', 'not a header'],
    ]);
  });

  it('reports an empty cell', () => {
    const parsed = parseHttpCell('  \n# only a comment\n');
    expect(parsed.diagnostics[0]!.code).toBe('http/missing-request-line');
  });

  it('handles CRLF line endings', () => {
    const parsed = parseHttpCell('PUT http://h/x\r\nA: 1\r\n\r\nbody\r\n');
    expect(parsed.value!.headers[0]!.value.text).toBe('1');
    expect(parsed.value!.body).toEqual([{ kind: 'text', piece: { text: 'body', start: 24 } }]);
  });
});

describe('promql expect', () => {
  it.each([
    ['< 0.02', '<', 0.02],
    ['>=1', '>=', 1],
    [' == 0 ', '==', 0],
    ['!= -1.5e3', '!=', -1500],
  ])('parses %s', (text, op, threshold) => {
    expect(parseExpectation(text).value).toEqual({ op, threshold });
  });

  it('rejects text that is not a comparison, spanning the whole attribute', () => {
    const parsed = parseExpectation('about 3');
    expect(parsed.value).toBeUndefined();
    expect(parsed.diagnostics[0]).toMatchObject({ code: 'promql/bad-expect', start: 0, end: 7 });
  });

  it('compares', () => {
    expect(satisfies(0.01, { op: '<', threshold: 0.02 })).toBe(true);
    expect(satisfies(0.02, { op: '<', threshold: 0.02 })).toBe(false);
    expect(satisfies(0, { op: '==', threshold: 0 })).toBe(true);
    expect(satisfies(Number.NaN, { op: '<', threshold: 1 })).toBe(false);
  });
});

describe('rollout cell parse', () => {
  it('parses every action', () => {
    expect(parseRolloutCell('status').value).toEqual({ action: 'status' });
    expect(parseRolloutCell('# comment\nset-traffic 25%').value).toEqual({ action: 'set-traffic', percent: 25 });
    expect(parseRolloutCell('set-traffic 0 mirror 100').value).toEqual({ action: 'set-traffic', percent: 0, mirror: 100 });
    expect(parseRolloutCell('promote canary-5').value).toMatchObject({ action: 'promote', stage: { text: 'canary-5', start: 8, end: 16 } });
    expect(parseRolloutCell('pause reason "investigating"').value).toMatchObject({ action: 'pause', reason: { text: 'investigating' } });
    expect(parseRolloutCell('resume').value).toEqual({ action: 'resume' });
    expect(parseRolloutCell('rollback to baseline reason "5xx \\"above\\" guardrail"').value).toMatchObject({
      action: 'rollback',
      to: { text: 'baseline' },
      reason: { text: '5xx "above" guardrail' },
    });
    expect(parseRolloutCell('rollback reason "x"').value).toMatchObject({ action: 'rollback', reason: { text: 'x' } });
    expect(parseRolloutCell('rollback to {{ baseline.version }} reason "x"').value).toMatchObject({ to: { text: '{{ baseline.version }}' } });
    expect(parseRolloutCell('flag new-ranking on').value).toMatchObject({ action: 'flag', name: { text: 'new-ranking' }, enabled: true });
    expect(parseRolloutCell('flag new-ranking OFF').value).toMatchObject({ action: 'flag', name: { text: 'new-ranking' }, enabled: false });
    expect(parseRolloutCell('flag new-ranking 25%').value).toMatchObject({ action: 'flag', name: { text: 'new-ranking' }, percent: 25 });
    expect(parseRolloutCell('flag new-ranking 25%').value).not.toHaveProperty('enabled');
  });

  it.each([
    ['promote', 'rollout/missing-argument', 'promote'],
    ['set-traffic 120', 'rollout/bad-percent', '120'],
    ['set-traffic', 'rollout/missing-argument', 'set-traffic'],
    ['launch now', 'rollout/unknown-action', 'launch'],
    ['rollback to 41', 'rollout/missing-reason', '41'],
    ['rollback to 41 reason because', 'rollout/missing-reason', 'reason because'],
    ['status\nstatus', 'rollout/unexpected', 'status'],
    ['rollback reason "open', 'rollout/unclosed-quote', '"open'],
    ['', 'rollout/empty', ''],
    ['flag new-ranking', 'rollout/missing-argument', 'flag new-ranking'],
    ['flag new-ranking maybe', 'rollout/bad-percent', 'maybe'],
    ['flag new-ranking 150', 'rollout/bad-percent', '150'],
  ])('%j fails with %s at the right span', (text, code, spanned) => {
    const parsed = parseRolloutCell(text);
    expect(parsed.value).toBeUndefined();
    const diagnostic = parsed.diagnostics.find((one) => one.code === code);
    expect(diagnostic, JSON.stringify(parsed.diagnostics)).toBeDefined();
    expect(span(text, diagnostic!)).toBe(spanned);
  });
});

describe('check cell parse', () => {
  it('reads names with offsets; empty or "all" means every guardrail', () => {
    const text = 'error-rate, p99-latency\n# later: auc';
    const parsed = parseCheckCell(text);
    expect(parsed.value!.map((reference) => [reference.name, span(text, reference)])).toEqual([
      ['error-rate', 'error-rate'],
      ['p99-latency', 'p99-latency'],
    ]);
    expect(parseCheckCell('').value).toEqual([]);
    expect(parseCheckCell('all').value).toEqual([]);
  });
});

describe('isMutating', () => {
  const cell = (language: string, value: string, attributes: Record<string, unknown> = {}) => ({ language, value, attributes });
  it('follows method, action and effect', () => {
    expect(isMutating(cell('http', 'GET http://x/'))).toBe(false);
    expect(isMutating(cell('http', 'http://x/'))).toBe(false);
    expect(isMutating(cell('http', 'DELETE http://x/'))).toBe(true);
    expect(isMutating(cell('http', 'GET http://x/', { effect: 'mutate' }))).toBe(true);
    expect(isMutating(cell('rollout', 'status'))).toBe(false);
    expect(isMutating(cell('rollout', 'pause'))).toBe(true);
    expect(isMutating(cell('rollout', 'rollback reason "x"'))).toBe(true);
    expect(isMutating(cell('rollout', 'garbage'))).toBe(true);
    expect(isMutating(cell('rollout', 'flag new-ranking off'))).toBe(true);
    expect(isMutating(cell('promql', 'up'))).toBe(false);
    expect(isMutating(cell('check', ''))).toBe(false);
  });
});
