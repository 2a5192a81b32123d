// Completion and hover inside guardrail queries of a plan, offline: the cursor mapped into the
// query through YAML quoting, edits mapped back and escaped for the scalar's style.
import { describe, expect, it } from 'vitest';
import { completePlanQuery, escapeForYaml, planMetricEndpoint, planQueryAt, planQueryHoverTarget } from '../../../src/core/plan/queryCompletion';

const plan = (query: string) =>
  `endpoints:\n  metrics: { url: "http://127.0.0.1:9090", token: { secret: prom } }\nguardrails:\n  - name: g\n    query: ${query}\n    max: 1\n  - name: h\n    query: sum(rate(other_metric_total[1m]))\n`;
/** The plan text and the offset of `|` in it. */
const cursor = (query: string) => {
  const text = plan(query);
  return { text: text.replace('|', ''), offset: text.indexOf('|') };
};

describe('completion in a guardrail query', () => {
  it('proposes functions and the metrics the plan’s queries use, replacing the word typed', async () => {
    const { text, offset } = cursor('sum(ra|te(x[1m]))');
    const items = await completePlanQuery(text, offset);
    const rate = items.find((item) => item.label === 'rate')!;
    expect(text.slice(rate.start, rate.end)).toBe('rate');
    expect(items.find((item) => item.label === 'other_metric_total')).toMatchObject({ kind: 'metric' });
  });

  it('proposes the plan’s placeholders after {{', async () => {
    const { text, offset } = cursor('sum(rate(x{version="{{ver|"}[1m]))');
    const items = await completePlanQuery(text, offset);
    expect(items.map((item) => item.insertText)).toContain('{{version}}');
    expect(items.map((item) => item.insertText)).toContain('{{baseline.version}}');
  });

  it('maps the cursor through a double-quoted scalar and escapes what it inserts', async () => {
    const { text, offset } = cursor('"sum(rate(x{code=~\\"5..\\"}[1m])) / sum(rate(x{a=|}[1m]))"');
    const at = planQueryAt(text, offset)!;
    expect(at.query.slice(0, at.offset)).toBe('sum(rate(x{code=~"5.."}[1m])) / sum(rate(x{a=');
  });

  it('escapes what it inserts for the YAML style of the query', () => {
    expect(escapeForYaml('"41"', 'QUOTE_DOUBLE')).toBe('\\"41\\"');
    expect(escapeForYaml('a\\b', 'QUOTE_DOUBLE')).toBe('a\\\\b');
    expect(escapeForYaml("it's", 'QUOTE_SINGLE')).toBe("it''s");
    expect(escapeForYaml('"41"', 'PLAIN')).toBe('"41"');
    expect(escapeForYaml('"41"', 'BLOCK_LITERAL')).toBe('"41"');
  });

  it('answers nothing outside queries', async () => {
    const text = plan('sum(x)');
    expect(await completePlanQuery(text, text.indexOf('max: 1') + 5)).toEqual([]);
    expect(await completePlanQuery(text, text.indexOf('name: g') + 6)).toEqual([]);
  });

  it('reads the plan’s Prometheus and token secret leniently', () => {
    expect(planMetricEndpoint(plan('sum('))).toEqual({ url: 'http://127.0.0.1:9090', tokenSecret: 'prom' });
  });
});

describe('hover in a guardrail query', () => {
  it('finds the metric or function under the cursor, at its place in the file', () => {
    const { text, offset } = cursor('"histogram_quantile(0.9, sum by (le) (rate(req|uest_seconds_bucket{a=\\"b\\"}[1m])))"');
    const metric = planQueryHoverTarget(text, offset)!;
    expect(metric).toMatchObject({ kind: 'metric', name: 'request_seconds_bucket' });
    expect(text.slice(metric.start, metric.end)).toBe('request_seconds_bucket');
    const fn = planQueryHoverTarget(text, text.indexOf('histogram_quantile') + 3)!;
    expect(fn).toMatchObject({ kind: 'function', name: 'histogram_quantile' });
    expect(fn.kind === 'function' && fn.markdown).toContain('instant vector');
  });
});
