// PromQL the tests check Rollgate's findings on, shared with prometheus.dev.test.ts, which sends
// every query to a real Prometheus and compares its verdict (and wording) with Rollgate's.
// ⟦ and ⟧ mark the span Rollgate reports.

export interface BrokenQuery {
  source: string;
  message: string;
  /**
   * How the real Prometheus (Debian's 2.42 in tests) words it: `same` (identical message),
   * `other` (rejects it, in older words; the message follows current Prometheus), or `newer`
   * (syntax newer than 2.42: skipped there).
   */
  prometheus: 'same' | 'other' | 'newer';
  /** Prometheus reports the same start offset as Rollgate's span (single-line queries). */
  samePosition?: boolean;
}

export const syntaxErrors: BrokenQuery[] = [
  { source: 'foo⟦{⟧a="b"', message: 'unexpected end of input inside braces', prometheus: 'same' },
  { source: 'sum⟦(⟧rate(foo[1m])', message: 'unclosed left parenthesis', prometheus: 'same' },
  { source: 'sum by ⟦(⟧le', message: 'unclosed left parenthesis', prometheus: 'same' },
  { source: 'foo⟦[⟧5m', message: 'unclosed left bracket', prometheus: 'same' },
  { source: 'foo⟦[⟧1m:', message: 'unclosed left bracket', prometheus: 'same' },
  { source: '⟦foo⟧(bar)', message: 'unknown function with name "foo"', prometheus: 'same', samePosition: true },
  { source: 'sum(⟦rat⟧(x[1m]))', message: 'unknown function with name "rat"', prometheus: 'same', samePosition: true },
  { source: 'rate(foo[1m]) ⟦+⟧', message: 'unexpected end of input', prometheus: 'same' },
  { source: 'foo ⟦==⟧', message: 'unexpected end of input', prometheus: 'same' },
  { source: 'foo{a=~⟦}⟧', message: 'unexpected "}" in label matching, expected string', prometheus: 'same', samePosition: true },
  { source: 'foo{a⟦}⟧', message: 'unexpected "}" in label matching, expected label matching operator', prometheus: 'same', samePosition: true },
  { source: 'foo{a=⟦b⟧}', message: 'unexpected identifier "b" in label matching, expected string', prometheus: 'same', samePosition: true },
  { source: 'foo{a=⟦=⟧"b"}', message: 'unexpected "=" in label matching, expected string', prometheus: 'same', samePosition: true },
  { source: 'foo{a="b"}⟦}⟧', message: "unexpected character: '}'", prometheus: 'same', samePosition: true },
  { source: 'foo⟦)⟧', message: "unexpected right parenthesis ')'", prometheus: 'same' },
  { source: 'foo⟦]⟧', message: "unexpected right bracket ']'", prometheus: 'same' },
  { source: 'foo ⟦$⟧', message: "unexpected character: '$'", prometheus: 'same', samePosition: true },
  { source: 'foo ⟦~⟧ bar', message: "unexpected character: '~'", prometheus: 'same', samePosition: true },
  { source: 'foo{a⟦!b⟧}', message: "unexpected character after '!' inside braces: 'b'", prometheus: 'same', samePosition: true },
  { source: 'foo{a="⟦\\d⟧"}', message: "unknown escape sequence U+0064 'd'", prometheus: 'same' },
  { source: 'foo{a="⟦\\x4"⟧}', message: "illegal character U+0022 '\"' in escape sequence", prometheus: 'same' },
  { source: 'foo{a=⟦"b}⟧', message: 'unterminated quoted string', prometheus: 'same', samePosition: true },
  { source: '⟦"abc⟧', message: 'unterminated quoted string', prometheus: 'same', samePosition: true },
  { source: 'sum(foo) by ⟦le⟧', message: 'unexpected identifier "le" in grouping opts, expected "("', prometheus: 'same', samePosition: true },
  { source: 'foo +⟦/⟧ bar', message: 'unexpected <op:/>', prometheus: 'same', samePosition: true },
  { source: 'foo ⟦offset⟧', message: 'unexpected end of input in offset, expected duration', prometheus: 'same' },
  { source: 'foo[⟦5x⟧]', message: 'bad number or duration syntax: "5"', prometheus: 'other', samePosition: true },
  { source: '⟦⟧', message: 'no expression found in input', prometheus: 'same' },
  { source: '⟦# only a comment⟧', message: 'no expression found in input', prometheus: 'same' },
];

export const typeErrors: BrokenQuery[] = [
  { source: 'rate(⟦foo⟧)', message: 'expected type range vector in call to function "rate", got instant vector', prometheus: 'same', samePosition: true },
  { source: '⟦histogram_quantile(foo)⟧', message: 'expected 2 argument(s) in call to "histogram_quantile", got 1', prometheus: 'same', samePosition: true },
  { source: '⟦label_replace(foo, "a")⟧', message: 'expected 5 argument(s) in call to "label_replace", got 2', prometheus: 'same', samePosition: true },
  { source: '⟦round(foo, 1, 2)⟧', message: 'expected at most 2 argument(s) in call to "round", got 3', prometheus: 'same', samePosition: true },
  { source: '⟦label_join(foo, "a")⟧', message: 'expected at least 3 argument(s) in call to "label_join", got 2', prometheus: 'same', samePosition: true },
  { source: 'topk(⟦foo⟧, bar)', message: 'expected type scalar in aggregation parameter, got instant vector', prometheus: 'same', samePosition: true },
  { source: 'count_values(⟦1⟧, foo)', message: 'expected type string in aggregation parameter, got scalar', prometheus: 'same', samePosition: true },
  { source: 'sum(⟦rate(foo[5m])[10m:]⟧)', message: 'expected type instant vector in aggregation expression, got range vector', prometheus: 'same', samePosition: true },
  { source: 'sum(⟦1⟧)', message: 'expected type instant vector in aggregation expression, got scalar', prometheus: 'same', samePosition: true },
  { source: '⟦sum()⟧', message: 'no arguments for aggregate expression provided', prometheus: 'same', samePosition: true },
  { source: '⟦sum(foo, bar)⟧', message: 'wrong number of arguments for aggregate expression provided, expected 1, got 2', prometheus: 'same', samePosition: true },
  { source: '⟦quantile(foo)⟧', message: 'wrong number of arguments for aggregate expression provided, expected 2, got 1', prometheus: 'same', samePosition: true },
  { source: '1 ⟦>⟧ 2', message: 'comparisons between scalars must use BOOL modifier', prometheus: 'same', samePosition: true },
  { source: 'scalar(foo) ⟦>⟧ 1', message: 'comparisons between scalars must use BOOL modifier', prometheus: 'same', samePosition: true },
  { source: 'foo ⟦+⟧ bool bar', message: 'bool modifier can only be used on comparison operators', prometheus: 'same', samePosition: true },
  { source: '⟦foo and 1⟧', message: 'set operator "and" not allowed in binary scalar expression', prometheus: 'same', samePosition: true },
  { source: '⟦"x"⟧ + 1', message: 'binary expression must contain only scalar and instant vector types', prometheus: 'same', samePosition: true },
  { source: 'foo ⟦+⟧ on(a) group_left(a) bar', message: 'label "a" must not occur in ON and GROUP clause at once', prometheus: 'same', samePosition: true },
  { source: '⟦foo and on(a) group_left(b) bar⟧', message: 'no grouping allowed for "and" operation', prometheus: 'same', samePosition: true },
  { source: '⟦1 + on(a) foo⟧', message: 'vector matching only allowed between instant vectors', prometheus: 'same', samePosition: true },
  { source: '⟦-foo[5m]⟧', message: 'unary expression only allowed on expressions of type scalar or instant vector, got "range vector"', prometheus: 'same', samePosition: true },
  { source: '⟦{}⟧', message: 'vector selector must contain at least one non-empty matcher', prometheus: 'same', samePosition: true },
  { source: '⟦{a=~".*"}⟧', message: 'vector selector must contain at least one non-empty matcher', prometheus: 'same', samePosition: true },
  { source: '⟦{a=""}⟧', message: 'vector selector must contain at least one non-empty matcher', prometheus: 'same', samePosition: true },
  { source: '⟦foo{__name__="x"}⟧', message: 'metric name must not be set twice: "foo" or "x"', prometheus: 'same', samePosition: true },
  { source: 'rate(foo{a="b"}[1m])⟦[5m]⟧', message: 'ranges only allowed for vector selectors', prometheus: 'same', samePosition: true },
  { source: '⟦foo[5m] offset 1m offset 2m⟧', message: 'offset may not be set multiple times', prometheus: 'same', samePosition: true },
  { source: '⟦foo @ 1 @ 2⟧', message: '@ <timestamp> may not be set multiple times', prometheus: 'same', samePosition: true },
  { source: '⟦sum(foo) offset 5m⟧', message: 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery', prometheus: 'same', samePosition: true },
];

/** Queries Prometheus accepts; `newer` ones need a Prometheus newer than 2.42. */
export const validQueries: Array<{ query: string; newer?: boolean }> = [
  { query: 'sum(rate(foo{a="b"}[5m])) by (le)' },
  { query: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m])))' },
  { query: 'foo{a=~".+"}' },
  { query: 'foo{a=~".*"}' },
  { query: 'foo{a="b",}' },
  { query: 'foo @ 10' },
  { query: 'foo offset -5m' },
  { query: 'foo atan2 bar' },
  { query: 'sin(foo) + cos(foo) * tan(foo) - asinh(foo) + deg(foo) + pi()' },
  { query: 'rate(foo[5m])[10m:1m]' },
  { query: 'max_over_time(rate(foo[1m])[10m:])' },
  { query: 'foo > bool 1' },
  { query: '1 > bool 2' },
  { query: 'foo and on(a) bar' },
  { query: 'foo / on(a) group_left(b) bar' },
  { query: 'label_join(foo, "dst", ",", "a", "b", "c")' },
  { query: 'time() - timestamp(foo)' },
  { query: '"a string"' },
  { query: '-1' },
  { query: 'count_values("v", foo)' },
  { query: 'topk(3, foo)' },
  { query: 'absent(nonexistent{job="x"})' },
  { query: 'foo{a="\\u00e9\\n"}' },
  { query: 'x @ start()' },
  { query: 'sum(\n  rate(foo{\n    a="b", # the a label\n    c!~"d"\n  }[5m])\n) by (le)\n' },
  // Prometheus's own docs (docs/querying/examples.md, basics.md, functions.md).
  { query: 'http_requests_total{job="apiserver", handler="/api/comments"}[5m]' },
  { query: 'http_requests_total{job=~".*server"}' },
  { query: 'http_requests_total{status!~"4.."}' },
  { query: 'rate(http_requests_total[5m])[30m:1m]' },
  { query: 'max_over_time(deriv(rate(distance_covered_total[5s])[30s:5s])[10m:])' },
  { query: 'sum by (job) (\n  rate(http_requests_total[5m])\n)' },
  { query: 'sum by (app, proc) (\n  instance_memory_limit_bytes - instance_memory_usage_bytes\n) / 1024 / 1024' },
  { query: 'topk(3, sum by (app, proc) (rate(instance_cpu_time_ns[5m])))' },
  { query: 'count by (app) (instance_cpu_time_ns)' },
  { query: 'histogram_quantile(0.9, sum by (job, le) (rate(http_request_duration_seconds_bucket[10m])))' },
  { query: 'label_replace(up{job="api-server",service="a:c"}, "foo", "$1", "service", "(.*):.*")' },
  { query: 'predict_linear(node_filesystem_free_bytes{job="node"}[1h], 4 * 3600) < 0' },
  { query: 'absent_over_time(nonexistent{job="myjob"}[1h])' },
  { query: 'sum(http_requests_total{method="GET"} @ 1609746000)' },
  { query: 'rate(http_requests_total[5m] offset -1w)' },
  { query: '{__name__=~"job:.*"}' },
  { query: 'sum(http_requests_total{method="GET"} offset 5m)' },
  { query: 'method_code:http_errors:rate5m{code="500"} / ignoring(code) method:http_requests:rate5m' },
  { query: 'method_code:http_errors:rate5m / ignoring(code) group_left method:http_requests:rate5m' },
  ...flaggerTemplates().map((template) => ({ query: fillFlagger(template) })),
  { query: 'sort_by_label(foo, "a")', newer: true },
  { query: '{"metric.with.dots"}', newer: true },
];

/**
 * Queries of Flagger's MetricTemplates as its docs give them (fluxcd/flagger
 * docs/gitbook/usage/metrics.md), with Flagger's `{{ name }}` template variables: label matchers
 * over several lines, placeholders inside strings and as a range.
 */
export function flaggerTemplates(): string[] {
  return [
    'histogram_quantile(\n  0.99,\n  sum(\n    rate(\n      response_latency_ms_bucket{\n        namespace="{{ namespace }}",\n        deployment=~"{{ target }}",\n        direction="{{ variables.direction }}"\n      }[{{ interval }}]\n    )\n  ) by (le)\n)\n',
    '100 - sum(\n    rate(\n        istio_requests_total{\n          reporter="destination",\n          destination_workload_namespace="{{ namespace }}",\n          destination_workload="{{ target }}",\n          response_code!="404"\n        }[{{ interval }}]\n    )\n)\n/\nsum(\n    rate(\n        istio_requests_total{\n          reporter="destination",\n          destination_workload_namespace="{{ namespace }}",\n          destination_workload="{{ target }}"\n        }[{{ interval }}]\n    )\n) * 100\n',
    '100 - sum(\n    rate(\n        grpc_server_handled_total{\n          grpc_code!="OK",\n          kubernetes_namespace="{{ namespace }}",\n          kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"\n        }[{{ interval }}]\n    )\n)\n/\nsum(\n    rate(\n        grpc_server_started_total{\n          kubernetes_namespace="{{ namespace }}",\n          kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"\n        }[{{ interval }}]\n    )\n) * 100\n',
    'sum(rate(http_requests_total{code!~"5.*",service="{{ target }}"}[{{ interval }}])) / \nsum(rate(http_requests_total{service="{{ target }}"}[{{ interval }}])) * 100\n',
  ];
}

/** A Flagger template as Flagger would send it for a canary `podinfo` in `test`, analysed every minute. */
export function fillFlagger(template: string): string {
  const values: Record<string, string> = { namespace: 'test', target: 'podinfo', interval: '1m', 'variables.direction': 'inbound' };
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}
