// PromQL in a plan: every guardrail query is parsed with Prometheus's grammar and checked, and its
// findings are placed at the exact characters of the YAML string they are about.
import type { Diagnostic } from '../diagnostics';
import type { PromqlAnalysis } from '../promql/analysis';
import { DEFAULT_SELECTOR } from '../guardrails/queries';
import { parseLabelMatchers } from '../guardrails/selector';
import { knownScrapeInterval } from '../promql/devStack';
import { analyzeQuery, queryFindings, type QueryExpectation } from '../promql/guardrail';
import type { PromqlRule } from '../promql/syntaxErrors';
import { guardrailDefaults, LABEL_NAME_PATTERN, METRIC_NAME_PATTERN } from './guardrailKinds';
import { DURATION_PATTERN } from './schema';
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
    return this.checkPieces(query, [{ start: 0, end: query.length, node }], node, expects);
  }

  /**
   * Findings for a query Rollgate builds from several plan fields (a drift guardrail's bucket
   * query): each finding is placed in the field whose text it falls in (`pieces`: where each
   * field's value sits in `query`), otherwise on `fallback`'s whole value. Syntax and type
   * messages say which query they are about when it is not written in the plan as such.
   */
  checkPieces(query: string, pieces: readonly QueryPiece[], fallback: unknown, expects: QueryExpectation, built = false): Diagnostic[] {
    const analysis = this.cache.analysis(query);
    const findings = queryFindings(query, analysis, { expects, ...this.context });
    if (findings.length === 0) return [];
    return findings.map((finding): Diagnostic => {
      // The field the finding lies in, else one it overlaps (the finding is then cut to that field).
      const piece = pieces.find((one) => finding.start >= one.start && finding.end <= one.end) ?? pieces.find((one) => finding.start < one.end && finding.end > one.start);
      let node = piece ? piece.node : fallback;
      if (typeof node === 'function') node = (node as () => unknown)();
      const source = piece ? yamlScalarSource(this.text, node) : undefined;
      const whole = nodeSpan(this.text, node);
      const start = piece ? Math.max(finding.start, piece.start) - piece.start : 0;
      const end = piece ? Math.min(finding.end, piece.end) - piece.start : 0;
      let span: Span | undefined = source && piece ? sourceSpan(source, start, end) : whole;
      span ??= { start: 0, end: 0 };
      if (span.end <= span.start) span = widen(this.text, span, whole);
      const message = built && finding.rule !== 'short-window' ? `${finding.message} (in the query this guardrail sends: ${query})` : finding.message;
      return { severity: finding.severity, code: PromqlCodes[finding.rule], message, start: span.start, end: span.end };
    });
  }
}

/** Where one plan field's value sits in a query built from several fields; `node` may be a function looking it up. */
export interface QueryPiece {
  start: number;
  end: number;
  node: unknown;
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
 * schema error elsewhere in a guardrail does not hide a broken query. Threshold guardrails (no
 * `kind`, or `kind: threshold`) and compare guardrails need one number per version from `query`;
 * drift and calibration guardrails send a bucket query Rollgate builds from `histogram` or
 * `counter`, `selector` and `window`, which is checked as sent, with each finding placed in the
 * field it comes from. (A `query` on a drift or calibration guardrail is not used, which
 * `plan/guardrail-kind-field` reports; it is not checked.)
 */
export function guardrailQueryDiagnostics(value: unknown, locator: PlanLocator, checker: PlanQueryChecker): Diagnostic[] {
  const guardrails = (value as { guardrails?: unknown } | null)?.guardrails;
  if (!Array.isArray(guardrails)) return [];
  const diagnostics: Diagnostic[] = [];
  guardrails.forEach((guardrail: unknown, index) => {
    if (typeof guardrail !== 'object' || guardrail === null) return;
    const fields = guardrail as GuardrailFields;
    const { query, kind } = fields;
    let found: Diagnostic[] = [];
    if (kind === 'drift' || kind === 'calibration') found = bucketQueryDiagnostics(fields, index, locator, checker);
    else if (typeof query === 'string' && query !== '') {
      const expects: QueryExpectation = kind === undefined || kind === 'threshold' || kind === 'compare' ? 'number' : 'any';
      found = checker.check(query, () => locator.node(['guardrails', index, 'query']), expects);
    }
    if (found.length > 0) diagnostics.push(...found);
  });
  return diagnostics;
}

interface GuardrailFields {
  query?: unknown;
  kind?: unknown;
  histogram?: unknown;
  counter?: unknown;
  selector?: unknown;
  window?: unknown;
  labelName?: unknown;
  binLabel?: unknown;
}

/** A stand-in metric name where the plan's is missing or malformed (the schema reports that). */
const STAND_IN_METRIC = 'rollgate_histogram_bucket';

/**
 * The bucket query of a drift or calibration guardrail, as `increaseQuery` builds it for a
 * version but with the selector as written (placeholders in place), checked by Prometheus's rules:
 * a selector the label-matcher reader accepts can still be refused by Prometheus (an unknown escape
 * such as `"v\d+"`, the metric name set twice), and a `window` shorter than twice the scrape
 * interval of the `rollgate dev` Prometheus holds one sample per bucket. A selector that is not a
 * label-matcher list at all is `plan/invalid-selector` (guardrailKindRules.ts), not checked again.
 */
function bucketQueryDiagnostics(fields: GuardrailFields, index: number, locator: PlanLocator, checker: PlanQueryChecker): Diagnostic[] {
  const selector = typeof fields.selector === 'string' ? fields.selector : DEFAULT_SELECTOR;
  if ('problem' in parseLabelMatchers(selector)) return [];
  const window = typeof fields.window === 'string' && DURATION_PATTERN.test(fields.window) ? fields.window : guardrailDefaults.window;
  const name = (field: unknown) => (typeof field === 'string' && METRIC_NAME_PATTERN.test(field) ? field : undefined);
  const label = (field: unknown, fallback: string) => (typeof field === 'string' && LABEL_NAME_PATTERN.test(field) ? field : fallback);
  let metric: string;
  const by = ['le'];
  if (fields.kind === 'calibration' && fields.counter !== undefined) {
    metric = name(fields.counter) ?? STAND_IN_METRIC;
    by[0] = label(fields.binLabel, guardrailDefaults.binLabel);
  } else {
    const histogram = name(fields.histogram);
    metric = histogram ? `${histogram}_bucket` : STAND_IN_METRIC;
  }
  if (fields.kind === 'calibration') by.push(label(fields.labelName, guardrailDefaults.labelName));
  const head = `sum by (${by.join(', ')}) (increase(${metric}`;
  const selectorStart = head.length;
  const windowStart = selectorStart + selector.length + 1;
  const query = `${head}${selector}[${window}]))`;
  const at = (field: string) => () => locator.node(['guardrails', index, field]);
  const pieces: QueryPiece[] = [];
  if (typeof fields.selector === 'string') pieces.push({ start: selectorStart, end: selectorStart + selector.length, node: at('selector') });
  if (window === fields.window) pieces.push({ start: windowStart, end: windowStart + window.length, node: at('window') });
  return checker.checkPieces(query, pieces, at('kind'), 'any', true);
}
