// PromQL in a plan: every guardrail query is parsed with Prometheus's grammar and checked, and its
// findings are placed at the exact characters of the YAML string they are about.
import type { Diagnostic } from '../diagnostics';
import type { PromqlAnalysis } from '../promql/analysis';
import { knownScrapeInterval } from '../promql/devStack';
import { analyzeQuery, queryFindings, type QueryExpectation } from '../promql/guardrail';
import type { PromqlRule } from '../promql/syntaxErrors';
import { yamlScalarSource, sourceSpan } from './scalarSource';
import { nodeSpan, type PlanLocator, type Span } from './yamlTree';

/** Stable codes of the PromQL findings in plans. */
export const PromqlCodes: Readonly<Record<PromqlRule, string>> = {
  syntax: 'plan/promql-syntax',
  invalid: 'plan/promql-invalid',
  experimental: 'plan/promql-experimental',
  'result-type': 'plan/promql-result-type',
  'many-series': 'plan/promql-many-series',
  'short-window': 'plan/promql-short-window',
};

/**
 * Analyses of queries by their text. The analysis depends on the text alone, so an editor keeps
 * one cache per open plan and a keystroke re-parses only the query it changed.
 */
export class PromqlCache {
  private entries = new Map<string, PromqlAnalysis>();
  /** Analyses made (cache misses) since creation: for tests and the trace log. */
  parses = 0;

  constructor(private readonly limit = 10_000) {}

  analysis(query: string): PromqlAnalysis {
    let analysis = this.entries.get(query);
    if (!analysis) {
      analysis = analyzeQuery(query);
      this.parses++;
      // Bounded: a plan rewritten many times over does not grow the cache without end.
      if (this.entries.size >= this.limit) this.entries.clear();
      this.entries.set(query, analysis);
    }
    return analysis;
  }
}

/** What the plan says about the Prometheus its queries run on. */
export interface PlanQueryContext {
  scrapeIntervalMs?: number;
  scraper?: string;
}

/**
 * Checks the queries of one plan text. `check` is the one hook for every PromQL field of a plan: a
 * guardrail `query`, and any other field holding PromQL (a selector), given its text and its YAML
 * node.
 */
export class PlanQueryChecker {
  constructor(
    private readonly text: string,
    private readonly cache: PromqlCache = new PromqlCache(),
    private readonly context: PlanQueryContext = {},
  ) {}

  /**
   * Findings for `query`, the value of the YAML `node`, used as `expects` says; spans in the plan
   * text. `node` may be given as a function: it is then looked up only when there is a finding.
   */
  check(query: string, node: unknown, expects: QueryExpectation): Diagnostic[] {
    const analysis = this.cache.analysis(query);
    const findings = queryFindings(query, analysis, { expects, ...this.context });
    if (findings.length === 0) return [];
    if (typeof node === 'function') node = (node as () => unknown)();
    const source = yamlScalarSource(this.text, node);
    const whole = nodeSpan(this.text, node);
    return findings.map((finding): Diagnostic => {
      let span: Span | undefined = source ? sourceSpan(source, finding.start, finding.end) : whole;
      span ??= { start: 0, end: 0 };
      if (span.end <= span.start) span = widen(this.text, span, whole);
      return { severity: finding.severity, code: PromqlCodes[finding.rule], message: finding.message, start: span.start, end: span.end };
    });
  }
}

/** A finding at one point (the end of a query) is widened to a character the editor can show. */
function widen(text: string, span: Span, whole: Span | undefined): Span {
  if (whole && whole.end > whole.start && (span.start < whole.start || span.start > whole.end)) return whole;
  const limit = whole ? whole.end : text.length;
  if (span.start < limit) return { start: span.start, end: span.start + 1 };
  const start = Math.max(whole?.start ?? 0, span.start - 1);
  return { start, end: Math.max(start + 1, span.start) };
}

/** The plan's context for its queries: the scrape interval when it targets the `rollgate dev` Prometheus. */
export function planQueryContext(value: unknown): PlanQueryContext {
  const endpoints = (value as { endpoints?: { metrics?: { url?: unknown } } } | null)?.endpoints;
  return knownScrapeInterval(endpoints?.metrics?.url) ?? {};
}

/**
 * Checks every guardrail query of a plan, read from the plan as parsed (before the schema), so a
 * schema error elsewhere in a guardrail does not hide a broken query. A guardrail without a `kind`
 * (or `kind: threshold`) needs one number per version.
 */
export function guardrailQueryDiagnostics(value: unknown, locator: PlanLocator, checker: PlanQueryChecker): Diagnostic[] {
  const guardrails = (value as { guardrails?: unknown } | null)?.guardrails;
  if (!Array.isArray(guardrails)) return [];
  const diagnostics: Diagnostic[] = [];
  guardrails.forEach((guardrail: unknown, index) => {
    if (typeof guardrail !== 'object' || guardrail === null) return;
    const { query, kind } = guardrail as { query?: unknown; kind?: unknown };
    if (typeof query !== 'string' || query === '') return;
    const expects: QueryExpectation = kind === undefined || kind === 'threshold' ? 'number' : 'any';
    const found = checker.check(query, () => locator.node(['guardrails', index, 'query']), expects);
    if (found.length > 0) diagnostics.push(...found);
  });
  return diagnostics;
}
