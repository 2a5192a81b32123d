// Syntax errors of PromQL as Prometheus words them, each with the exact span it marks (between
// ⟦ and ⟧ in the query). The wording was checked against a real Prometheus (see
// prometheus.dev.test.ts, which sends the same queries to one).
import { describe, expect, it } from 'vitest';
import { analyzeQuery } from '../../../src/core/promql/guardrail';
import { parsePromql } from '../../../src/core/promql/parse';
import { readMarkers } from '../plan/markers';
import { flaggerTemplates, syntaxErrors, validQueries } from './corpus';

/** The query without markers and the one span it marks. */
function marked(source: string): { query: string; start: number; end: number } {
  const { text, spans } = readMarkers(source);
  expect(spans, `one marked span in ${source}`).toHaveLength(1);
  return { query: text, ...spans[0]! };
}

describe('PromQL syntax errors', () => {
  it.each(syntaxErrors.map((entry) => [entry.source, entry.message]))('%s → %s', (source, message) => {
    const { query, start, end } = marked(source);
    const [finding, ...rest] = analyzeQuery(query).findings;
    expect(rest).toEqual([]);
    expect(finding).toEqual({ rule: 'syntax', severity: 'error', message, start, end });
  });

  it('reports only the first of several errors, as Prometheus does', () => {
    const findings = analyzeQuery('sum(foo{a="\\d"}) +) ]').findings;
    expect(findings.map((finding) => finding.message)).toEqual(["unknown escape sequence U+0064 'd'"]);
  });

  it('parses multi-line queries with comments', () => {
    const query = 'sum(\n  rate(foo{\n    a="b", # the a label\n    c!~"d"\n  }[5m])\n) by (le)\n';
    expect(analyzeQuery(query).findings).toEqual([]);
  });
});

describe('placeholders never cause a finding of their own', () => {
  const clean = [
    'sum(rate(x{version="{{version}}"}[1m]))',
    "sum(rate(x{version='{{ version }}'}[1m]))",
    'sum(rate(x{version=`{{version}}`}[1m]))',
    'sum(rate({{metadata.service}}_requests_total[1m]))',
    'sum(rate(requests_total_{{metadata.service}}[1m]))',
    'sum(rate(x[{{window}}]))',
    'sum(rate(x[5m] offset {{offset}}))',
    'histogram_quantile({{quantile}}, sum by (le) (rate(x_bucket[1m])))',
    'sum({{selector}})',
    '{{metric}}{job="x"}',
    'sum by ({{label}}) (x)',
    'foo{ {{matchers}} }',
    'topk({{k}}, sum by (code) (rate(x[1m])))',
    '{{left}} / {{right}}',
    // Flagger's template style, with spaces inside the braces (docs/gitbook/usage/metrics.md).
    'histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="{{ namespace }}", deployment=~"{{ target }}"}[{{ interval }}])) by (le))',
  ];
  it.each(clean)('%s', (query) => {
    expect(analyzeQuery(query).findings).toEqual([]);
  });

  it('keeps offsets: the filler has the placeholder’s length', () => {
    const parse = parsePromql('sum(x{v="{{version}}"}) + {{n}}');
    expect(parse.parsed).toHaveLength(parse.text.length);
    expect(parse.placeholders.map(({ name, role }) => [name, role])).toEqual([
      ['version', 'string'],
      ['n', 'value'],
    ]);
  });

  it('still reports errors away from placeholders, at their own offsets', () => {
    const { query, start, end } = marked('sum(rate(x{version="{{version}}"}[1m])) ⟦)⟧');
    expect(analyzeQuery(query).findings).toEqual([{ rule: 'syntax', severity: 'error', message: "unexpected right parenthesis ')'", start, end }]);
    const typed = marked('⟦rate(x{version="{{version}}"})⟧');
    expect(analyzeQuery(typed.query).findings).toMatchObject([{ rule: 'invalid', start: typed.start + 5, end: typed.end - 1 }]);
  });
});

describe('a query beyond the parser’s limits', () => {
  it('is a warning that it was not checked, not a false syntax error', () => {
    // @lezer/lr leaves a left-associative chain after 300 reductions; Prometheus reads it.
    const query = `sum(${Array.from({ length: 600 }, (_, index) => `x${index}`).join(' + ')})`;
    const findings = analyzeQuery(query).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'syntax', severity: 'warning' });
    expect(findings[0]!.message).toContain('could not check this query past this point');
    // A short chain is read in full.
    expect(analyzeQuery(`sum(${Array.from({ length: 50 }, (_, index) => `x${index}`).join(' + ')})`).findings).toEqual([]);
  });
});

describe('real queries: Prometheus’s docs and Flagger’s MetricTemplates', () => {
  it.each(validQueries.filter((entry) => !entry.newer).map((entry) => entry.query))('%s has no findings', (query) => {
    expect(analyzeQuery(query).findings).toEqual([]);
  });

  // Flagger's `{{ namespace }}`-style variables stand where Rollgate's placeholders do: in strings and as a range.
  it.each(flaggerTemplates())('Flagger template %s has no findings with its placeholders in place', (template) => {
    const analysis = analyzeQuery(template);
    expect(analysis.findings).toEqual([]);
    expect(analysis.resultType).toBe('instant vector');
  });
});
