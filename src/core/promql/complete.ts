// Completion inside a PromQL query being typed: what belongs at the cursor (a metric or function,
// a label name, a label value, a duration, a Rollgate placeholder) from the lexical state there,
// and the proposals for it: Prometheus's functions and keywords always, metric names, labels and
// values from a live Prometheus when one answers in time.
import type { MetricMetadata, PrometheusCatalog } from '../endpoints/prometheusCatalog';
import { PROMQL_AGGREGATIONS, PROMQL_FUNCTIONS, PROMQL_KEYWORDS } from './functions';
import { scanLexical } from './lexical';

/** What is being typed at the cursor; `start`/`end` is the word to replace (offsets into the query). */
export type PromqlCompletionContext =
  | { kind: 'expression'; prefix: string; start: number; end: number; afterExpression: boolean }
  | { kind: 'label-name'; prefix: string; start: number; end: number; metric?: string; selector?: string; used: string[] }
  | { kind: 'grouping-label'; prefix: string; start: number; end: number; metric?: string }
  | { kind: 'label-value'; prefix: string; start: number; end: number; label: string; metric?: string; selector?: string; /** The quote the value is inside, if any. */ quote?: string }
  | { kind: 'duration'; prefix: string; start: number; end: number }
  | { kind: 'placeholder'; prefix: string; start: number; end: number };

export type PromqlCompletionKind = 'metric' | 'function' | 'aggregation' | 'keyword' | 'label' | 'value' | 'duration' | 'placeholder';

export interface PromqlCompletionItem {
  label: string;
  kind: PromqlCompletionKind;
  detail?: string;
  documentation?: string;
  insertText: string;
  /** Offsets into the query of the text the item replaces. */
  start: number;
  end: number;
  /** Orders live names after the word's kind: metrics before functions at an expression. */
  sortText: string;
}

export interface PromqlCompletionSources {
  /** The live Prometheus; absent (untrusted workspace, no plan) means the static list only. */
  catalog?: PrometheusCatalog;
  /** How long to wait for the live Prometheus before answering with the static list. Default 500 ms. */
  liveTimeoutMs?: number;
  /** Names offered after `{{` (the plan's placeholders, a runbook's variables). */
  placeholders?: readonly string[];
  /** Metric names known without asking (those the other queries of the file use). */
  knownMetrics?: readonly string[];
}

const WORD_BEFORE = /[A-Za-z0-9_:]*$/;
const WORD_AFTER = /^[A-Za-z0-9_:]*/;
const GROUPING_OPEN = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*,\s*)*$/;
const MATCHER = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g;

/** What belongs at `offset` in `query`; undefined inside comments and other places nothing is proposed. */
export function promqlCompletionContext(query: string, offset: number): PromqlCompletionContext | undefined {
  const cursor = Math.max(0, Math.min(offset, query.length));
  const before = query.slice(0, cursor);
  const openPlaceholder = before.lastIndexOf('{{');
  if (openPlaceholder >= 0 && before.indexOf('}}', openPlaceholder) < 0 && /^[\w.\s]*$/.test(before.slice(openPlaceholder + 2))) {
    const prefix = before.slice(openPlaceholder + 2).trimStart();
    const close = query.indexOf('}}', cursor);
    const end = close >= 0 && /^[\w.\s]*$/.test(query.slice(cursor, close)) ? close + 2 : cursor;
    return { kind: 'placeholder', prefix, start: openPlaceholder, end };
  }
  const { state, error } = scanLexical(query, cursor);
  if (error || state.comment !== undefined) return undefined;

  const metricBefore = (brace: number): string | undefined => /([A-Za-z_:][A-Za-z0-9_:]*)\s*$/.exec(query.slice(0, brace))?.[1];
  const bracesEnd = (brace: number): number => {
    const close = query.indexOf('}', brace);
    return close < 0 ? query.length : close;
  };
  /** `metric{other matchers}` for `match[]`: the matchers with concrete values, except the one at `skip`. */
  const selectorFor = (brace: number, metric: string | undefined, skip: number): string | undefined => {
    const inside = query.slice(brace + 1, bracesEnd(brace));
    const kept: string[] = [];
    for (const match of inside.matchAll(MATCHER)) {
      const at = brace + 1 + match.index;
      if (skip >= at && skip <= at + match[0].length) continue;
      if (match[3]!.includes('{{')) continue;
      kept.push(`${match[1]}${match[2]}${match[3]}`);
    }
    if (kept.length === 0) return metric;
    return `${metric ?? ''}{${kept.join(',')}}`;
  };

  if (state.string !== undefined) {
    if (state.brace === undefined) return undefined;
    const opening = state.string;
    const matcher = /([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*$/.exec(query.slice(state.brace + 1, opening));
    if (!matcher) return undefined;
    const quote = query[opening]!;
    const close = query.indexOf(quote, cursor);
    const lineEnd = query.indexOf('\n', cursor);
    const end = close >= 0 && (lineEnd < 0 || close < lineEnd) ? close : cursor;
    const metric = metricBefore(state.brace);
    const selector = selectorFor(state.brace, metric, opening);
    return { kind: 'label-value', prefix: query.slice(opening + 1, cursor), start: opening + 1, end, label: matcher[1]!, quote, ...(metric ? { metric } : {}), ...(selector ? { selector } : {}) };
  }

  const prefix = WORD_BEFORE.exec(before)![0];
  const start = cursor - prefix.length;
  const end = cursor + WORD_AFTER.exec(query.slice(cursor))![0].length;

  if (state.brace !== undefined) {
    const metric = metricBefore(state.brace);
    const beforeWord = query.slice(state.brace + 1, start);
    const valueAfter = /([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*$/.exec(beforeWord);
    if (valueAfter) {
      const selector = selectorFor(state.brace, metric, start);
      return { kind: 'label-value', prefix, start, end, label: valueAfter[1]!, ...(metric ? { metric } : {}), ...(selector ? { selector } : {}) };
    }
    if (!/(^|,)\s*$/.test(beforeWord)) return undefined;
    const used = [...query.slice(state.brace + 1, bracesEnd(state.brace)).matchAll(MATCHER)].map((match) => match[1]!);
    const selector = selectorFor(state.brace, metric, start);
    return { kind: 'label-name', prefix, start, end, used, ...(metric ? { metric } : {}), ...(selector ? { selector } : {}) };
  }
  if (state.bracket !== undefined) return { kind: 'duration', prefix, start, end };
  if (GROUPING_OPEN.test(query.slice(0, start))) {
    const metric = firstMetric(query);
    return { kind: 'grouping-label', prefix, start, end, ...(metric ? { metric } : {}) };
  }
  const previous = query.slice(0, start).trimEnd();
  const afterExpression = /[A-Za-z0-9_:)\]}"'`]$/.test(previous) && !/\b(?:and|or|unless|by|without|on|ignoring|offset|bool|atan2)$/.test(previous);
  return { kind: 'expression', prefix, start, end, afterExpression };
}

/** The first name in the query that is neither a function, an aggregation nor a keyword: the metric grouped. */
function firstMetric(text: string): string | undefined {
  // Label lists of grouping clauses hold label names, not metrics: blank them out (offsets kept).
  const query = text.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)?/g, (clause) => ' '.repeat(clause.length));
  for (const match of query.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const after = query.slice(match.index + name.length).trimStart()[0];
    const inBraces = query.lastIndexOf('{', match.index) > query.lastIndexOf('}', match.index);
    if (inBraces || after === '(' || PROMQL_FUNCTIONS.has(name) || PROMQL_AGGREGATIONS.has(name) || (PROMQL_KEYWORDS as readonly string[]).includes(name)) continue;
    if (query[match.index - 1] === '"' || query[match.index - 1] === "'") continue;
    return name;
  }
  return undefined;
}

/** Resolves to `fallback` when `work` has not settled within `ms` (it goes on and fills the cache). */
async function within<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work.catch(() => fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}

const DURATIONS = ['1m', '2m', '5m', '10m', '15m', '30m', '1h', '30s'];

/**
 * Proposals for the context at `offset`. Never rejects: a Prometheus that is unreachable, slow or
 * not asked (no catalog) leaves the static proposals.
 */
export async function completePromql(query: string, offset: number, sources: PromqlCompletionSources = {}): Promise<PromqlCompletionItem[]> {
  const context = promqlCompletionContext(query, offset);
  if (!context) return [];
  const { start, end } = context;
  const live = <T>(load: (catalog: PrometheusCatalog) => Promise<T>, fallback: T): Promise<T> => (sources.catalog ? within(load(sources.catalog), sources.liveTimeoutMs ?? 500, fallback) : Promise.resolve(fallback));
  const item = (label: string, kind: PromqlCompletionKind, sortText: string, extra: Partial<PromqlCompletionItem> = {}): PromqlCompletionItem => ({ label, kind, insertText: label, start, end, sortText, ...extra });

  switch (context.kind) {
    case 'placeholder':
      return (sources.placeholders ?? []).map((name, index) => item(name, 'placeholder', `0${String(index).padStart(4, '0')}`, { insertText: `{{${name}}}`, detail: 'Rollgate placeholder' }));
    case 'duration':
      return DURATIONS.map((duration, index) => item(duration, 'duration', String(index).padStart(2, '0'), { detail: 'range' }));
    case 'label-name':
    case 'grouping-label': {
      const match = context.kind === 'label-name' ? context.selector : context.metric;
      const names = await live((catalog) => catalog.labelNames(match), [] as string[]);
      const used = new Set(context.kind === 'label-name' ? context.used : []);
      return names.filter((name) => name !== '__name__' && !used.has(name)).map((name) => item(name, 'label', `0${name}`, { detail: context.metric ? `label of ${context.metric}` : 'label' }));
    }
    case 'label-value': {
      const values = await live((catalog) => catalog.labelValues(context.label, context.selector), [] as string[]);
      return values.map((value) =>
        item(value, 'value', `0${value}`, {
          detail: `${context.label} value`,
          // Inside quotes the value is PromQL string content (a raw string takes it as it is); without them, quoted here.
          insertText: context.quote === undefined ? JSON.stringify(value) : context.quote === '`' ? value : value.replace(context.quote === '"' ? /[\\"]/g : /[\\']/g, '\\$&'),
        }),
      );
    }
    case 'expression': {
      const items: PromqlCompletionItem[] = [];
      if (context.afterExpression) {
        for (const keyword of PROMQL_KEYWORDS) items.push(item(keyword, 'keyword', `3${keyword}`));
        return items;
      }
      const liveNames = await live((catalog) => catalog.metricNames(), [] as string[]);
      const liveDetail = sources.catalog ? `metric from ${sources.catalog.baseUrl}` : 'metric';
      for (const name of liveNames) items.push(item(name, 'metric', `0${name}`, { detail: liveDetail }));
      const seen = new Set(liveNames);
      for (const name of sources.knownMetrics ?? []) if (!seen.has(name)) items.push(item(name, 'metric', `0${name}`, { detail: 'metric used in this file' }));
      for (const aggregation of PROMQL_AGGREGATIONS.values()) {
        items.push(item(aggregation.name, 'aggregation', `1${aggregation.name}`, { detail: 'aggregation', documentation: aggregation.summary, insertText: `${aggregation.name}(` }));
      }
      for (const fn of PROMQL_FUNCTIONS.values()) {
        const signature = `${fn.name}(${fn.argTypes.join(', ')}${fn.variadic !== 0 ? ', ...' : ''}) → ${fn.returns}`;
        items.push(item(fn.name, 'function', `2${fn.name}`, { detail: signature, documentation: fn.summary + (fn.experimental ? ' (experimental in Prometheus)' : ''), insertText: `${fn.name}(` }));
      }
      return items;
    }
  }
}

/** Markdown for hovering a metric name: its type, unit and help from the live Prometheus. */
export function metricHoverMarkdown(metric: string, metadata: MetricMetadata | undefined, source: string): string {
  if (!metadata) return `**${metric}**\n\nNo metadata for this metric at ${source}.`;
  const unit = metadata.unit ? ` · unit \`${metadata.unit}\`` : '';
  const family = metadata.family ? ` (a series of ${metadata.type} \`${metadata.family}\`)` : '';
  return `**${metric}** · \`${metadata.type}\`${unit}${family}\n\n${metadata.help || '(no help text)'}\n\n_From ${source}_`;
}
