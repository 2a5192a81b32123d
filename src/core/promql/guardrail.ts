// What a query needs to be a guardrail: Prometheus must accept it (syntax, types), and it must be
// able to give one number per version. Findings are about the query text alone (offsets into it);
// plans and runbooks place them in their files.
import type { PromqlAnalysis, SeriesCount } from './analysis';
import { analyzePromql } from './check';
import { parsePromql } from './parse';
import type { PromqlFinding } from './syntaxErrors';

/**
 * What a query is used for: `number` (a threshold guardrail: one number per version), `vector`
 * (samples of one or more series), `selector` (a list of label matchers in braces, `{job="api"}`),
 * `any` (only what Prometheus itself checks).
 */
export type QueryExpectation = 'number' | 'vector' | 'selector' | 'any';

export interface QueryCheckOptions {
  expects: QueryExpectation;
  /** The scrape interval of the Prometheus the query runs on, when known, for the short-window check. */
  scrapeIntervalMs?: number;
  /** Who scrapes at that interval, for the message: "the Prometheus of `rollgate dev`". */
  scraper?: string;
}

/** Parses and type-checks a query: the work that depends on its text alone (cache it by text). */
export function analyzeQuery(query: string): PromqlAnalysis {
  return analyzePromql(parsePromql(query));
}

/** Findings for one query used as `options.expects` says, from its (cached) analysis. */
export function queryFindings(query: string, analysis: PromqlAnalysis, options: QueryCheckOptions): PromqlFinding[] {
  if (options.expects === 'selector') return selectorFindings(query, analysis);
  // The common case, checked without allocating: nothing found, one number, no window to judge.
  if (
    analysis.findings.length === 0 &&
    (options.scrapeIntervalMs === undefined || analysis.windows.length === 0) &&
    (options.expects !== 'number' || analysis.resultType === 'scalar' || analysis.resultType === undefined || (analysis.resultType === 'instant vector' && analysis.series?.kind === 'one'))
  ) {
    return [];
  }
  const findings = [...analysis.findings];
  if (findings.some((finding) => finding.rule === 'syntax')) return findings;
  const whole = { start: leadingBlank(query), end: query.trimEnd().length };
  if (options.expects === 'number' && !findings.some((finding) => finding.severity === 'error')) {
    if (analysis.resultType === 'range vector' || analysis.resultType === 'string') {
      findings.push({
        rule: 'result-type',
        severity: 'error',
        message:
          analysis.resultType === 'range vector'
            ? 'A threshold or compare guardrail needs one number, but this query returns a range vector (every sample of a window, not a value). Apply a function to the range, e.g. rate(...[1m]) or avg_over_time(...[1m]).'
            : 'A threshold or compare guardrail needs one number, but this query returns a string. Query a metric instead.',
        ...whole,
      });
    } else if (analysis.series && analysis.series.kind !== 'one') {
      findings.push(manySeries(query, analysis.series));
    }
  }
  if (options.scrapeIntervalMs !== undefined) {
    const minimum = 2 * options.scrapeIntervalMs;
    for (const window of analysis.windows) {
      if (window.milliseconds >= minimum) continue;
      findings.push({
        rule: 'short-window',
        severity: 'warning',
        message: `${window.function}() over [${query.slice(window.start, window.end)}] needs at least two samples in its window, but ${options.scraper ?? 'Prometheus'} scrapes every ${formatMs(options.scrapeIntervalMs)}: a window shorter than ${formatMs(minimum)} (twice the scrape interval) often holds one sample and returns no data. Use [${formatMs(Math.max(minimum, 4 * options.scrapeIntervalMs))}] or longer.`,
        start: window.start,
        end: window.end,
      });
    }
  }
  return findings.sort((a, b) => a.start - b.start);
}

function manySeries(query: string, series: Exclude<SeriesCount, { kind: 'one' }>): PromqlFinding {
  const quoted = query.slice(series.start, series.end).replace(/\s+/g, ' ');
  const shown = quoted.length > 80 ? `${quoted.slice(0, 77)}...` : quoted;
  if (series.kind === 'grouped') {
    const labels = series.labels.map((label) => `'${label}'`).join(', ');
    return {
      rule: 'many-series',
      severity: 'warning',
      message: `This query returns one series per value of ${labels} (\`${shown}\`), not one number per version: the guardrail would get several values and report an error instead of a measurement. Drop the grouping, or pin ${series.labels.length > 1 ? 'those labels' : 'that label'} with a matcher such as ${series.labels[0]}="...".`,
      start: series.start,
      end: series.end,
    };
  }
  return {
    rule: 'many-series',
    severity: 'warning',
    message: `Nothing aggregates \`${shown}\`, so this query returns one series per label set it matches (per instance, code, ...), not one number per version: the guardrail would get several values and report an error instead of a measurement. Wrap it in sum(...), max(...) or another aggregation.`,
    start: series.start,
    end: series.end,
  };
}

function selectorFindings(query: string, analysis: PromqlAnalysis): PromqlFinding[] {
  const syntax = analysis.findings.filter((finding) => finding.rule === 'syntax');
  if (syntax.length > 0) return syntax;
  const start = leadingBlank(query);
  if (query[start] !== '{' || !query.trimEnd().endsWith('}')) {
    return [{ rule: 'syntax', severity: 'error', message: 'A selector is a list of label matchers in braces, e.g. {job="api", version="{{version}}"}.', start, end: query.trimEnd().length }];
  }
  return [];
}

function leadingBlank(text: string): number {
  return text.length - text.trimStart().length;
}

function formatMs(milliseconds: number): string {
  if (milliseconds % 3_600_000 === 0) return `${milliseconds / 3_600_000}h`;
  if (milliseconds % 60_000 === 0) return `${milliseconds / 60_000}m`;
  if (milliseconds % 1000 === 0) return `${milliseconds / 1000}s`;
  return `${milliseconds}ms`;
}
