/**
 * PromQL as Rollgate understands it: parsed with Prometheus's own grammar
 * (@prometheus-io/lezer-promql), `{{placeholders}}` handled, checked as Prometheus checks it, with
 * Prometheus's wording, and what a guardrail needs on top. See docs/promql.md.
 */
export { parsePromql, type PromqlParse, type PlaceholderSpan } from './parse';
export { analyzePromql } from './check';
export { promqlDurationMs, type PromqlAnalysis, type SeriesCount, type RateWindow } from './analysis';
export { analyzeQuery, queryFindings, type QueryExpectation, type QueryCheckOptions } from './guardrail';
export type { PromqlFinding, PromqlRule } from './syntaxErrors';
export { PROMQL_FUNCTIONS, PROMQL_AGGREGATIONS, PROMQL_KEYWORDS, type PromqlFunction, type PromqlAggregation, type PromqlType } from './functions';
export { DEV_PROMETHEUS, knownScrapeInterval } from './devStack';
export { promqlCompletionContext, completePromql, metricHoverMarkdown, type PromqlCompletionContext, type PromqlCompletionItem, type PromqlCompletionKind, type PromqlCompletionSources } from './complete';
