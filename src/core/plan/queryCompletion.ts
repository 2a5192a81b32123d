// Completion and hover inside a guardrail query of a plan: the cursor is mapped into the query
// (through quotes, escapes and block scalars), PromQL completion runs there, and its edits are
// mapped back and escaped for the YAML style the query is written in.
import { isMap, isSeq, parseDocument, type Document, type Scalar } from 'yaml';
import { analyzeQuery } from '../promql/guardrail';
import { completePromql, type PromqlCompletionItem, type PromqlCompletionSources } from '../promql/complete';
import { PROMQL_AGGREGATIONS, PROMQL_FUNCTIONS } from '../promql/functions';
import { yamlScalarSource, sourceSpan, valueOffsetAt, type ScalarSource } from './scalarSource';
import { QUERY_PLACEHOLDERS } from './semantics';
import { findScalarAt } from './yamlPath';

/** The guardrail query under a cursor in a plan. */
export interface PlanQueryAt {
  query: string;
  /** The cursor as an offset into the query. */
  offset: number;
  source: ScalarSource;
  style: Scalar['type'];
}

// Completion asks several times per keystroke; keep the last parse.
let lastParse: { text: string; document: Document.Parsed } | undefined;
function parsed(text: string): Document.Parsed {
  if (lastParse?.text !== text) lastParse = { text, document: parseDocument(text, { uniqueKeys: false, prettyErrors: false }) };
  return lastParse.document;
}

/** The guardrail query at `offset` of a plan's text, or undefined when the cursor is elsewhere. */
export function planQueryAt(text: string, offset: number): PlanQueryAt | undefined {
  const located = findScalarAt(parsed(text), offset);
  if (!located || located.role !== 'value') return undefined;
  const { path, scalar } = located;
  if (path.length !== 3 || path[0] !== 'guardrails' || typeof path[1] !== 'number' || path[2] !== 'query') return undefined;
  if (scalar.value === null || scalar.value === '') {
    // `query:` with nothing typed yet: an empty query at the cursor.
    return { query: '', offset: 0, source: { value: '', starts: [], ends: [], contentStart: offset }, style: 'PLAIN' };
  }
  const source = yamlScalarSource(text, scalar);
  if (!source) return undefined;
  return { query: source.value, offset: valueOffsetAt(source, offset), source, style: scalar.type };
}

/** A completion edit in the plan's text. */
export interface PlanQueryCompletion extends Omit<PromqlCompletionItem, 'start' | 'end'> {
  start: number;
  end: number;
}

/** Text to insert into a YAML scalar of the given style so that it reads as `text`. */
export function escapeForYaml(text: string, style: Scalar['type']): string {
  if (style === 'QUOTE_DOUBLE') return text.replace(/[\\"]/g, '\\$&');
  if (style === 'QUOTE_SINGLE') return text.replace(/'/g, "''");
  return text;
}

/** The metric names the plan's guardrail queries select: offered before any Prometheus answers. */
export function planQueryMetrics(text: string): string[] {
  const list = parsed(text).get('guardrails', true);
  const names = new Set<string>();
  if (isSeq(list)) {
    for (const item of list.items) {
      const query = isMap(item) ? item.get('query') : undefined;
      if (typeof query === 'string') for (const metric of analyzeQuery(query).metrics) names.add(metric.name);
    }
  }
  return [...names];
}

/** Where a plan's metrics come from: the URL and the secret name of its token, read leniently. */
export function planMetricEndpoint(text: string): { url: string; tokenSecret?: string } | undefined {
  const metrics = parsed(text).getIn(['endpoints', 'metrics'], true);
  if (!isMap(metrics)) return undefined;
  const url = metrics.get('url');
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return undefined;
  const token = metrics.get('token', true);
  const secret = isMap(token) ? token.get('secret') : undefined;
  return { url, ...(typeof secret === 'string' ? { tokenSecret: secret } : {}) };
}

/**
 * Completion proposals at `offset` of a plan when the cursor is in a guardrail query: PromQL
 * functions and keywords, the plan's placeholders after `{{`, and what `sources.catalog` (the
 * plan's live Prometheus) knows. Never rejects; empty outside queries.
 */
export async function completePlanQuery(text: string, offset: number, sources: PromqlCompletionSources = {}): Promise<PlanQueryCompletion[]> {
  const at = planQueryAt(text, offset);
  if (!at) return [];
  const items = await completePromql(at.query, at.offset, { placeholders: QUERY_PLACEHOLDERS, knownMetrics: planQueryMetrics(text), ...sources });
  return items.map((item) => {
    const span = at.query === '' ? { start: offset, end: offset } : sourceSpan(at.source, item.start, item.end);
    return { ...item, insertText: escapeForYaml(item.insertText, at.style), start: span.start, end: span.end };
  });
}

/** What a hover in a query is about: a metric (its metadata is live) or a function (static). */
export type PlanQueryHoverTarget = { kind: 'metric'; name: string; start: number; end: number } | { kind: 'function'; name: string; markdown: string; start: number; end: number };

/** The metric or function name under `offset` of a query (offsets into the query). */
export function promqlHoverTarget(query: string, offset: number): PlanQueryHoverTarget | undefined {
  const metric = analyzeQuery(query).metrics.find((candidate) => candidate.start <= offset && offset <= candidate.end);
  if (metric) return { kind: 'metric', ...metric };
  const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(query.slice(0, offset))?.[0] ?? '';
  const rest = /^[A-Za-z0-9_]*/.exec(query.slice(offset))![0];
  const name = word + rest;
  const start = offset - word.length;
  const fn = PROMQL_FUNCTIONS.get(name);
  if (fn && /^\s*\(/.test(query.slice(start + name.length))) {
    const signature = `${fn.name}(${fn.argTypes.join(', ')}${fn.variadic !== 0 ? ', ...' : ''}) → ${fn.returns}`;
    return {
      kind: 'function',
      name,
      start,
      end: start + name.length,
      markdown: `\`${signature}\`\n\n${fn.summary}${fn.experimental ? '\n\n_Experimental in Prometheus: needs `--enable-feature=promql-experimental-functions`._' : ''}`,
    };
  }
  const aggregation = PROMQL_AGGREGATIONS.get(name);
  if (aggregation) return { kind: 'function', name, start, end: start + name.length, markdown: `\`${name}\` (aggregation)\n\n${aggregation.summary}` };
  return undefined;
}

/** The hover target under `offset` of a plan, with offsets in the plan's text. */
export function planQueryHoverTarget(text: string, offset: number): PlanQueryHoverTarget | undefined {
  const at = planQueryAt(text, offset);
  if (!at || at.query === '') return undefined;
  const target = promqlHoverTarget(at.query, at.offset);
  if (!target) return undefined;
  const span = sourceSpan(at.source, target.start, target.end);
  return { ...target, start: span.start, end: span.end };
}
