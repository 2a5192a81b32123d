// Prometheus's type checks (promql/parser/parse.go checkAST) over lezer's tree, with its
// messages and exact spans; the result type and series count a guardrail depends on.
import { describe, expect, it } from 'vitest';
import { analyzeQuery, queryFindings } from '../../../src/core/promql/guardrail';
import { readMarkers } from '../plan/markers';
import { typeErrors, validQueries } from './corpus';

function marked(source: string): { query: string; start: number; end: number } {
  const { text, spans } = readMarkers(source);
  expect(spans, `one marked span in ${source}`).toHaveLength(1);
  return { query: text, ...spans[0]! };
}

describe('type checks Prometheus makes', () => {
  it.each(typeErrors.map((entry) => [entry.source, entry.message]))('%s → %s', (source, message) => {
    const { query, start, end } = marked(source);
    expect(analyzeQuery(query).findings).toEqual([{ rule: 'invalid', severity: 'error', message, start, end }]);
  });

  it.each(validQueries.filter((entry) => !entry.newer).map((entry) => entry.query))('accepts %s', (query) => {
    expect(analyzeQuery(query).findings).toEqual([]);
  });

  it('warns about experimental functions in Prometheus’s words', () => {
    expect(analyzeQuery('mad_over_time(foo[5m])').findings).toEqual([
      { rule: 'experimental', severity: 'warning', message: 'function "mad_over_time" is experimental: Prometheus refuses it unless started with --enable-feature=promql-experimental-functions', start: 0, end: 13 },
    ]);
  });
});

describe('what a query returns', () => {
  const types: Array<[string, string]> = [
    ['sum(foo)', 'instant vector'],
    ['foo[5m]', 'range vector'],
    ['rate(foo[5m])[10m:1m]', 'range vector'],
    ['1 + 2', 'scalar'],
    ['scalar(sum(foo))', 'scalar'],
    ['"x"', 'string'],
    ['(foo)', 'instant vector'],
  ];
  it.each(types)('%s is a %s', (query, type) => {
    expect(analyzeQuery(query).resultType).toBe(type);
  });

  const one = [
    'sum(rate(x[1m]))',
    'sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m]))',
    'histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m])))',
    'sum by (version) (rate(x{version="{{version}}"}[1m]))',
    'vector(1)',
    'absent(up{job="x"})',
    'topk(1, sum by (code) (rate(x[1m])))',
    'sum(rate(x[1m])) or vector(0)',
    '1 - sum(rate(x[1m]))',
    'sum(rate(x[1m])) > 0',
  ];
  it.each(one)('%s gives one series', (query) => {
    expect(analyzeQuery(query).series).toEqual({ kind: 'one' });
  });

  const many: Array<[string, string, string]> = [
    ['rate(⟦x{a="b"}⟧[1m])', 'many', ''],
    ['⟦by (code)⟧', 'grouped', 'sum ⟦by (code)⟧ (rate(x[1m]))'],
    ['', 'many', 'sum ⟦without (instance)⟧ (rate(x[1m]))'],
    ['', 'many', '⟦topk(3, rate(x[1m]))⟧'],
    ['', 'many', 'rate(⟦x⟧[1m]) / 2'],
    ['', 'many', 'rate(⟦x⟧[1m]) / on() group_left sum(rate(x[1m]))'],
    ['', 'grouped', 'histogram_quantile(0.9, sum ⟦by (le, code)⟧ (rate(x_bucket[1m])))'],
  ];
  it.each(many)('%s %s %s', (first, kind, second) => {
    const { query, start, end } = marked(second || first);
    expect(analyzeQuery(query).series).toMatchObject({ kind, start, end });
  });
});

describe('guardrail findings', () => {
  const threshold = { expects: 'number' as const };
  it('refuses a range vector or a string for a threshold guardrail, over the whole query', () => {
    const findings = queryFindings('  foo[5m] ', analyzeQuery('  foo[5m] '), threshold);
    expect(findings).toMatchObject([{ rule: 'result-type', severity: 'error', start: 2, end: 9 }]);
    expect(findings[0]!.message).toContain('range vector');
    expect(queryFindings('"x"', analyzeQuery('"x"'), threshold)).toMatchObject([{ rule: 'result-type', severity: 'error' }]);
    expect(queryFindings('foo[5m]', analyzeQuery('foo[5m]'), { expects: 'any' })).toEqual([]);
  });

  it('warns when a query can return more than one series, saying why', () => {
    const query = 'sum by (code) (rate(x[1m]))';
    const [finding] = queryFindings(query, analyzeQuery(query), threshold);
    expect(finding).toMatchObject({ rule: 'many-series', severity: 'warning', start: 4, end: 13 });
    expect(finding!.message).toContain("'code'");
    const bare = 'rate(x{a="b"}[1m])';
    expect(queryFindings(bare, analyzeQuery(bare), threshold)[0]!.message).toContain('Wrap it in sum(...)');
  });

  it('warns about rate windows shorter than twice the scrape interval, only when the interval is known', () => {
    const query = 'sum(rate(x[1s])) / sum(increase(y[2s])) + sum(rate(z[500ms]))';
    const options = { expects: 'number' as const, scrapeIntervalMs: 1000, scraper: 'the Prometheus of `rollgate dev`' };
    const findings = queryFindings(query, analyzeQuery(query), options);
    expect(findings.map((finding) => [finding.rule, query.slice(finding.start, finding.end)])).toEqual([
      ['short-window', '1s'],
      ['short-window', '500ms'],
    ]);
    expect(findings[0]!.message).toContain('scrapes every 1s');
    expect(queryFindings(query, analyzeQuery(query), threshold)).toEqual([]);
    // Gauges over a window are not rates: avg_over_time over one sample still has a value.
    expect(queryFindings('avg_over_time(x[1s])', analyzeQuery('avg_over_time(x[1s])'), options).filter((finding) => finding.rule === 'short-window')).toEqual([]);
  });
});
