// Where the cursor is in a PromQL query being typed, and the proposals offline (no Prometheus):
// the live part is in live.dev.test.ts against rollgate dev's Prometheus.
import { describe, expect, it } from 'vitest';
import { completePromql, promqlCompletionContext } from '../../../src/core/promql/complete';

/** The context at `|`. */
const at = (marked: string) => promqlCompletionContext(marked.replace('|', ''), marked.indexOf('|'));

describe('PromQL completion context', () => {
  it('an expression: the word to replace, and whether an expression came before', () => {
    expect(at('sum(rate(rollg|_x[1m]))')).toEqual({ kind: 'expression', prefix: 'rollg', start: 9, end: 16, afterExpression: false });
    expect(at('sum(x) |')).toMatchObject({ kind: 'expression', afterExpression: true });
    expect(at('sum(x) and |')).toMatchObject({ kind: 'expression', afterExpression: false });
  });

  it('a label name: the metric, a selector of the other concrete matchers for match[], the labels already used', () => {
    expect(at('http_requests_total{code="500", vers|}')).toEqual({
      kind: 'label-name',
      prefix: 'vers',
      start: 32,
      end: 36,
      metric: 'http_requests_total',
      selector: 'http_requests_total{code="500"}',
      used: ['code'],
    });
    // A matcher whose value is a placeholder says nothing Prometheus can match.
    expect(at('x{version="{{version}}", |}')).toMatchObject({ kind: 'label-name', selector: 'x' });
  });

  it('a label value, inside quotes or not', () => {
    expect(at('x{code=~"5|"}')).toMatchObject({ kind: 'label-value', label: 'code', prefix: '5', quote: '"', start: 9, end: 10 });
    expect(at("x{code='|'}")).toMatchObject({ kind: 'label-value', quote: "'" });
    expect(at('x{a="b", code=|}')).toMatchObject({ kind: 'label-value', label: 'code', selector: 'x{a="b"}' });
    expect(at('x{code=|}')).not.toHaveProperty('quote');
  });

  it('grouping labels, durations, placeholders; nothing in a comment or outside braces in a string', () => {
    expect(at('sum by (le, |) (rate(http_request_duration_seconds_bucket[5m]))')).toMatchObject({ kind: 'grouping-label', metric: 'http_request_duration_seconds_bucket' });
    expect(at('rate(x[5|])')).toMatchObject({ kind: 'duration', prefix: '5' });
    expect(at('x{v="{{cand|}}"}')).toEqual({ kind: 'placeholder', prefix: 'cand', start: 5, end: 13 });
    expect(at('sum(x) # the |')).toBeUndefined();
    expect(at('label_replace(x, "a|", "b", "c", "d")')).toBeUndefined();
  });
});

describe('PromQL proposals without a Prometheus', () => {
  it('functions with their signature, aggregations, and the metrics the file already uses', async () => {
    const items = await completePromql('sum(ra', 6, { knownMetrics: ['rollgate_dev_requests_total'] });
    expect(items.find((item) => item.label === 'rate')).toMatchObject({ kind: 'function', insertText: 'rate(', detail: 'rate(range vector) → instant vector', start: 4, end: 6 });
    expect(items.find((item) => item.label === 'topk')).toMatchObject({ kind: 'aggregation' });
    expect(items.find((item) => item.label === 'rollgate_dev_requests_total')).toMatchObject({ kind: 'metric' });
  });

  it('keywords after an expression; placeholders after {{', async () => {
    expect((await completePromql('sum(x) ', 7)).map((item) => item.label)).toEqual(expect.arrayContaining(['by', 'without', 'and', 'or', 'unless', 'offset']));
    const placeholders = await completePromql('x{v="{{"}', 7, { placeholders: ['version', 'baseline.version'] });
    expect(placeholders.map((item) => [item.insertText, item.start, item.end])).toEqual([
      ['{{version}}', 5, 7],
      ['{{baseline.version}}', 5, 7],
    ]);
  });

  it('label names and values need a Prometheus: none offline', async () => {
    expect(await completePromql('x{|}'.replace('|', ''), 2)).toEqual([]);
  });
});
