// The checks Prometheus makes after parsing (promql/parser/parse.go `checkAST`), over the tree of
// @prometheus-io/lezer-promql, with Prometheus's messages; and while walking, what a guardrail
// needs to know: the result type, whether the result can hold more than one series, and the
// windows of rate-like functions.
import type { SyntaxNode } from '@lezer/common';
import { PROMQL_AGGREGATIONS, PROMQL_FUNCTIONS, type PromqlType } from './functions';
import type { PlaceholderSpan, PromqlParse } from './parse';
import type { PromqlFinding } from './syntaxErrors';

/** How many series a vector result can hold. */
export type SeriesCount =
  | { kind: 'one' }
  /** One series per value of these labels (`sum by (code)`). */
  | { kind: 'grouped'; labels: string[]; start: number; end: number }
  /** One series per label set the selector (or `without`) leaves: as many as Prometheus stores. */
  | { kind: 'many'; start: number; end: number };

/** The range of a rate-like function (`rate(x[30s])`): too short a window returns no data. */
export interface RateWindow {
  function: string;
  milliseconds: number;
  /** The duration text, e.g. `30s`. */
  start: number;
  end: number;
}

export interface PromqlAnalysis {
  /** Findings with offsets into the query: syntax first (alone), else type checks and experimental features. */
  findings: PromqlFinding[];
  /** The type of the whole query; undefined after a syntax error or when a placeholder decides it. */
  resultType?: PromqlType;
  series?: SeriesCount;
  windows: RateWindow[];
  /** Metric names the query selects (for hover and completion). */
  metrics: Array<{ name: string; start: number; end: number }>;
}

type ValueType = PromqlType | 'any';

interface Result {
  type: ValueType;
  series: SeriesCount;
  /** Labels every series of the result has at one known value (pinned by `label="value"`). */
  pinned: ReadonlySet<string>;
}

const ONE: SeriesCount = { kind: 'one' };
const NOTHING: ReadonlySet<string> = new Set();
const EXPRESSIONS = new Set([
  'AggregateExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberDurationLiteral',
  'OffsetExpr',
  'AnchoredExpr',
  'SmoothedExpr',
  'ParenExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
  'StepInvariantExpr',
]);
const COMPARISONS = new Set(['Eql', 'Neq', 'Lte', 'Lss', 'Gte', 'Gtr']);
const SET_OPERATORS = new Set(['And', 'Or', 'Unless']);
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Milliseconds of a PromQL duration literal (`1m30s`), or of a number of seconds; undefined otherwise. */
export function promqlDurationMs(text: string): number | undefined {
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(?:\d+(?:ms|[smhdwy]))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|[smhdwy])/g)) total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return total;
}

const expressionChildren = (node: SyntaxNode): SyntaxNode[] => {
  const children: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) if (EXPRESSIONS.has(child.name)) children.push(child);
  return children;
};

/**
 * Type-checks a parsed query the way Prometheus does and works out its result type and series
 * count. Runs only on a query without syntax errors (Prometheus type-checks only those too).
 */
export function analyzePromql(parse: PromqlParse): PromqlAnalysis {
  const analysis: PromqlAnalysis = { findings: [], windows: [], metrics: [] };
  if (parse.syntaxError) {
    analysis.findings.push(parse.syntaxError);
    return analysis;
  }
  const text = parse.parsed;
  const placeholders = parse.placeholders.filter((placeholder) => placeholder.role !== 'string');
  const invalid = (message: string, node: { from: number; to: number }): void => {
    analysis.findings.push({ rule: 'invalid', severity: 'error', message, start: node.from, end: node.to });
  };
  const slice = (node: SyntaxNode): string => text.slice(node.from, node.to);
  const stands = (node: SyntaxNode): PlaceholderSpan | undefined => placeholders.find((placeholder) => placeholder.role === 'value' && placeholder.start <= node.from && placeholder.end >= node.to);

  const expect = (node: SyntaxNode, want: PromqlType, context: string): Result => {
    const result = check(node);
    if (result.type !== want && result.type !== 'any') invalid(`expected type ${want} in ${context}, got ${result.type}`, node);
    return result;
  };

  function check(node: SyntaxNode): Result {
    switch (node.name) {
      case 'NumberDurationLiteral':
        return { type: stands(node) ? 'any' : 'scalar', series: ONE, pinned: NOTHING };
      case 'StringLiteral':
        return { type: 'string', series: ONE, pinned: NOTHING };
      case 'ParenExpr': {
        const inner = expressionChildren(node)[0];
        return inner ? check(inner) : { type: 'any', series: ONE, pinned: NOTHING };
      }
      case 'VectorSelector':
        return checkSelector(node);
      case 'MatrixSelector': {
        const inner = expressionChildren(node)[0];
        if (!inner) return { type: 'range vector', series: ONE, pinned: NOTHING };
        const result = check(inner);
        if (inner.name !== 'VectorSelector' && result.type !== 'any') invalid('ranges only allowed for vector selectors', inner.name === 'OffsetExpr' || inner.name === 'StepInvariantExpr' ? inner : node);
        return { ...result, type: result.type === 'any' ? 'any' : 'range vector' };
      }
      case 'SubqueryExpr': {
        const inner = expressionChildren(node)[0];
        const result = inner ? check(inner) : { type: 'any' as const, series: ONE, pinned: NOTHING };
        if (result.type !== 'instant vector' && result.type !== 'any') invalid(`subquery is only allowed on instant vector, got ${result.type === 'range vector' ? 'matrix' : result.type} instead`, node);
        return { ...result, type: 'range vector' };
      }
      case 'UnaryExpr': {
        const inner = expressionChildren(node)[0];
        const result = inner ? check(inner) : { type: 'any' as const, series: ONE, pinned: NOTHING };
        if (result.type !== 'scalar' && result.type !== 'instant vector' && result.type !== 'any') {
          invalid(`unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(result.type)}`, node);
        }
        return result;
      }
      case 'OffsetExpr':
      case 'StepInvariantExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        return checkModifier(node);
      case 'FunctionCall':
        return checkCall(node);
      case 'AggregateExpr':
        return checkAggregation(node);
      case 'BinaryExpr':
        return checkBinary(node);
      default:
        return { type: 'any', series: ONE, pinned: NOTHING };
    }
  }

  function checkSelector(node: SyntaxNode): Result {
    if (stands(node)) return { type: 'any', series: ONE, pinned: NOTHING };
    const identifier = node.getChild('Identifier');
    const name = identifier ? slice(identifier) : undefined;
    const pinned = new Set<string>();
    let nonEmpty = name !== undefined;
    let namedInside: string | undefined;
    const matchers = node.getChild('LabelMatchers');
    if (matchers) {
      for (let matcher = matchers.firstChild; matcher; matcher = matcher.nextSibling) {
        if (matcher.name === 'QuotedLabelName') {
          // `{"metric.name"}`: a quoted metric name on its own.
          nonEmpty = true;
          continue;
        }
        if (matcher.name !== 'UnquotedLabelMatcher' && matcher.name !== 'QuotedLabelMatcher') continue;
        const labelNode = matcher.firstChild;
        const op = matcher.getChild('MatchOp')?.firstChild?.name;
        const valueNode = matcher.getChild('StringLiteral');
        if (!labelNode || !op || !valueNode) continue;
        const label = labelNode.name === 'LabelName' ? slice(labelNode) : unquote(slice(labelNode));
        const raw = parse.text.slice(valueNode.from, valueNode.to);
        const value = unquote(raw);
        const hasPlaceholder = raw.includes('{{');
        if (label === '__name__') namedInside = value;
        if (op === 'EqlSingle') pinned.add(label);
        if (hasPlaceholder || !matchesEmpty(op, value)) nonEmpty = true;
      }
    }
    if (name !== undefined && namedInside !== undefined) invalid(`metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(namedInside)}`, node);
    else if (!nonEmpty) invalid('vector selector must contain at least one non-empty matcher', node);
    const metric = name ?? namedInside;
    if (metric !== undefined && identifier) analysis.metrics.push({ name: metric, start: identifier.from, end: identifier.to });
    return { type: 'instant vector', series: { kind: 'many', start: node.from, end: node.to }, pinned };
  }

  function checkModifier(node: SyntaxNode): Result {
    const inner = expressionChildren(node)[0];
    if (!inner) return { type: 'any', series: ONE, pinned: NOTHING };
    const result = check(inner);
    const base = inner.name === 'ParenExpr' || inner.name === 'UnaryExpr' ? undefined : inner.name;
    const allowed = base === 'VectorSelector' || base === 'MatrixSelector' || base === 'SubqueryExpr' || base === 'OffsetExpr' || base === 'StepInvariantExpr';
    if (node.name === 'OffsetExpr') {
      if (!allowed && result.type !== 'any') invalid('offset modifier must be preceded by an instant vector selector or range vector selector or a subquery', node);
      else if (hasModifier(inner, 'OffsetExpr')) invalid('offset may not be set multiple times', node);
    } else if (node.name === 'StepInvariantExpr') {
      if (!allowed && result.type !== 'any') invalid('@ modifier must be preceded by an instant vector selector or range vector selector or a subquery', node);
      else if (hasModifier(inner, 'StepInvariantExpr')) invalid('@ <timestamp> may not be set multiple times', node);
    } else {
      analysis.findings.push({
        rule: 'experimental',
        severity: 'warning',
        message: `the ${node.name === 'AnchoredExpr' ? 'anchored' : 'smoothed'} modifier is experimental: Prometheus refuses it unless started with --enable-feature=promql-extended-range-selectors`,
        start: node.from,
        end: node.to,
      });
    }
    return result;
  }

  function hasModifier(node: SyntaxNode, name: string): boolean {
    for (let current: SyntaxNode | null = node; current && (current.name === 'OffsetExpr' || current.name === 'StepInvariantExpr'); current = expressionChildren(current)[0] ?? null) {
      if (current.name === name) return true;
    }
    return false;
  }

  function checkCall(node: SyntaxNode): Result {
    const identifier = node.getChild('FunctionIdentifier');
    const name = identifier ? slice(identifier) : '';
    const body = node.getChild('FunctionCallBody');
    const args = body ? expressionChildren(body) : [];
    const fn = PROMQL_FUNCTIONS.get(name);
    if (!fn) {
      invalid(`unknown function with name ${JSON.stringify(name)}`, identifier ?? node);
      for (const arg of args) check(arg);
      return { type: 'any', series: ONE, pinned: NOTHING };
    }
    if (fn.experimental && identifier) {
      analysis.findings.push({
        rule: 'experimental',
        severity: 'warning',
        message: `function ${JSON.stringify(name)} is experimental: Prometheus refuses it unless started with --enable-feature=promql-experimental-functions`,
        start: identifier.from,
        end: identifier.to,
      });
    }
    const expected = fn.argTypes.length;
    if (fn.variadic === 0) {
      if (args.length !== expected) invalid(`expected ${expected} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`, node);
    } else {
      const required = expected - 1;
      if (required > args.length) invalid(`expected at least ${required} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`, node);
      else if (fn.variadic > 0 && required + fn.variadic < args.length) invalid(`expected at most ${required + fn.variadic} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`, node);
    }
    const results: Result[] = [];
    args.forEach((arg, index) => {
      const want = fn.argTypes[Math.min(index, expected - 1)];
      if (want === undefined || (index >= expected && fn.variadic === 0)) results.push(check(arg));
      else results.push(expect(arg, want, `call to function ${JSON.stringify(name)}`));
      if (fn.window === 'counter' && want === 'range vector') recordWindow(name, arg);
    });
    if (fn.returns !== 'instant vector') return { type: fn.returns, series: ONE, pinned: NOTHING };
    // What a function does to the number of series: most keep it; these make one.
    if (name === 'vector' || name === 'absent' || name === 'absent_over_time') return { type: fn.returns, series: ONE, pinned: NOTHING };
    const source = results.find((result) => result.type === 'instant vector' || result.type === 'range vector');
    if (!source) return { type: fn.returns, series: ONE, pinned: NOTHING };
    if (name === 'histogram_quantile' || name === 'histogram_fraction') return { type: fn.returns, series: withoutLabel(source.series, source.pinned, 'le'), pinned: source.pinned };
    return { type: fn.returns, series: source.series, pinned: source.pinned };
  }

  function recordWindow(name: string, arg: SyntaxNode): void {
    let matrix: SyntaxNode | null = arg;
    while (matrix && (matrix.name === 'OffsetExpr' || matrix.name === 'StepInvariantExpr' || matrix.name === 'ParenExpr')) matrix = expressionChildren(matrix)[0] ?? null;
    if (!matrix || matrix.name !== 'MatrixSelector') return;
    const duration = matrix.getChild('DurationExpr');
    if (!duration || parse.placeholders.some((placeholder) => placeholder.start < duration.to && placeholder.end > duration.from)) return;
    const milliseconds = promqlDurationMs(slice(duration));
    if (milliseconds !== undefined) analysis.windows.push({ function: name, milliseconds, start: duration.from, end: duration.to });
  }

  function checkAggregation(node: SyntaxNode): Result {
    const opNode = node.getChild('AggregateOp');
    const op = opNode ? slice(opNode).toLowerCase() : '';
    const aggregation = PROMQL_AGGREGATIONS.get(op);
    const body = node.getChild('FunctionCallBody');
    const args = body ? expressionChildren(body) : [];
    if (aggregation?.experimental && opNode) {
      analysis.findings.push({
        rule: 'experimental',
        severity: 'warning',
        message: `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
        start: opNode.from,
        end: opNode.to,
      });
    }
    if (args.length === 0) {
      invalid('no arguments for aggregate expression provided', node);
      return { type: 'instant vector', series: ONE, pinned: NOTHING };
    }
    const wanted = aggregation?.parameter ? 2 : 1;
    if (args.length !== wanted) {
      invalid(`wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`, node);
      for (const arg of args) check(arg);
      return { type: 'instant vector', series: ONE, pinned: NOTHING };
    }
    if (aggregation?.parameter) expect(args[0]!, aggregation.parameter, 'aggregation parameter');
    const input = expect(args[wanted - 1]!, 'instant vector', 'aggregation expression');
    const modifier = node.getChild('AggregateModifier');
    const grouping = modifier?.getChild('GroupingLabels');
    const labels = grouping ? groupingLabels(grouping) : [];
    const without = !!modifier?.getChild('Without');
    const selectsMany = op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio' || op === 'count_values';
    const kOne = (op === 'topk' || op === 'bottomk' || op === 'limitk') && /^\s*1\s*$/.test(slice(args[0]!));
    if ((selectsMany && !kOne) || without) {
      const reason = without && modifier ? modifier : node;
      return { type: 'instant vector', series: { kind: 'many', start: reason.from, end: reason.to }, pinned: without ? NOTHING : input.pinned };
    }
    const varying = labels.filter((label) => !input.pinned.has(label));
    const pinned = new Set(labels.filter((label) => input.pinned.has(label)));
    if (varying.length === 0) return { type: 'instant vector', series: ONE, pinned };
    return { type: 'instant vector', series: { kind: 'grouped', labels: varying, start: modifier!.from, end: modifier!.to }, pinned };
  }

  function groupingLabels(grouping: SyntaxNode): string[] {
    const labels: string[] = [];
    for (let child = grouping.firstChild; child; child = child.nextSibling) {
      if (child.name === 'LabelName') labels.push(slice(child));
      else if (child.name === 'QuotedLabelName') labels.push(unquote(slice(child)));
    }
    return labels;
  }

  function checkBinary(node: SyntaxNode): Result {
    const [left, right] = expressionChildren(node);
    if (!left || !right) return { type: 'any', series: ONE, pinned: NOTHING };
    let operator = left.nextSibling;
    while (operator && EXPRESSIONS.has(operator.name)) operator = operator.nextSibling;
    const op = operator?.name ?? '';
    const lhs = check(left);
    const rhs = check(right);
    const opRange = operator ?? node;
    const opText = operator ? slice(operator).toLowerCase() : '';
    const bool = node.getChild('BoolModifier');
    const matching = node.getChild('MatchingModifierClause');
    const isComparison = COMPARISONS.has(op);
    const isSet = SET_OPERATORS.has(op);
    const scalarOnly = (type: ValueType) => type === 'scalar';
    if (bool && !isComparison) invalid('bool modifier can only be used on comparison operators', opRange);
    if (isComparison && !bool && scalarOnly(lhs.type) && scalarOnly(rhs.type)) invalid('comparisons between scalars must use BOOL modifier', opRange);
    const onLabels: string[] = [];
    const includeLabels: string[] = [];
    let on = false;
    let group: 'left' | 'right' | undefined;
    if (matching) {
      let seenGroup = false;
      for (let child = matching.firstChild; child; child = child.nextSibling) {
        if (child.name === 'On') on = true;
        else if (child.name === 'GroupLeft' || child.name === 'GroupRight') {
          seenGroup = true;
          group = child.name === 'GroupLeft' ? 'left' : 'right';
        } else if (child.name === 'GroupingLabels') (seenGroup ? includeLabels : onLabels).push(...groupingLabels(child));
      }
      if (on) for (const label of onLabels) if (includeLabels.includes(label)) invalid(`label ${JSON.stringify(label)} must not occur in ON and GROUP clause at once`, opRange);
    }
    const operandOk = (type: ValueType) => type === 'scalar' || type === 'instant vector' || type === 'any';
    if (!operandOk(lhs.type)) invalid('binary expression must contain only scalar and instant vector types', left);
    if (!operandOk(rhs.type)) invalid('binary expression must contain only scalar and instant vector types', right);
    const bothVectors = lhs.type !== 'scalar' && rhs.type !== 'scalar';
    if (!bothVectors && matching && onLabels.length > 0) invalid('vector matching only allowed between instant vectors', node);
    else if (bothVectors && isSet && group) invalid(`no grouping allowed for ${JSON.stringify(opText)} operation`, node);
    if ((lhs.type === 'scalar' || rhs.type === 'scalar') && isSet) invalid(`set operator ${JSON.stringify(opText)} not allowed in binary scalar expression`, node);

    if (lhs.type === 'scalar' && rhs.type === 'scalar') return { type: 'scalar', series: ONE, pinned: NOTHING };
    const type: ValueType = lhs.type === 'any' || rhs.type === 'any' ? (lhs.type === 'scalar' ? rhs.type : lhs.type === 'any' ? rhs.type : lhs.type) : 'instant vector';
    if (lhs.type === 'scalar') return { type, series: rhs.series, pinned: rhs.pinned };
    if (rhs.type === 'scalar') return { type, series: lhs.series, pinned: lhs.pinned };
    if (op === 'And' || op === 'Unless') return { type, series: lhs.series, pinned: lhs.pinned };
    if (op === 'Or') return { type, series: larger(lhs.series, rhs.series), pinned: NOTHING };
    if (group === 'left') return { type, series: lhs.series, pinned: lhs.pinned };
    if (group === 'right') return { type, series: rhs.series, pinned: rhs.pinned };
    // One-to-one matching pairs each series with at most one other: never more than the smaller side.
    return { type, series: smaller(lhs.series, rhs.series), pinned: lhs.pinned };
  }

  const top = parse.tree.topNode.firstChild;
  if (!top) return analysis;
  const result = check(top);
  if (result.type !== 'any') {
    analysis.resultType = result.type;
    if (result.type === 'instant vector') analysis.series = result.series;
  }
  analysis.findings.sort((a, b) => a.start - b.start);
  return analysis;
}

function withoutLabel(series: SeriesCount, pinned: ReadonlySet<string>, label: string): SeriesCount {
  if (series.kind !== 'grouped') return series;
  const labels = series.labels.filter((name) => name !== label && !pinned.has(name));
  return labels.length === 0 ? ONE : { ...series, labels };
}

const rank = (series: SeriesCount): number => (series.kind === 'one' ? 0 : series.kind === 'grouped' ? 1 : 2);
const smaller = (a: SeriesCount, b: SeriesCount): SeriesCount => (rank(b) < rank(a) ? b : a);
const larger = (a: SeriesCount, b: SeriesCount): SeriesCount => (rank(b) > rank(a) ? b : a);

/** The value of a PromQL string literal (quotes removed, simple escapes read). */
export function unquote(literal: string): string {
  const quote = literal[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return literal;
  const body = literal.slice(1, literal.endsWith(quote) && literal.length > 1 ? -1 : undefined);
  if (quote === '`' || !body.includes('\\')) return body;
  return body.replace(/\\(.)/g, (_, char: string) => ({ n: '\n', t: '\t', r: '\r' })[char] ?? char);
}

/** Whether a label matcher matches the empty string (so it selects series without that label). */
function matchesEmpty(op: string, value: string): boolean {
  switch (op) {
    case 'EqlSingle':
      return value === '';
    case 'Neq':
      return value !== '';
    case 'EqlRegex':
    case 'NeqRegex': {
      let matches: boolean;
      try {
        // Prometheus anchors label regexes at both ends.
        matches = new RegExp(`^(?:${value})$`).test('');
      } catch {
        return false;
      }
      return op === 'EqlRegex' ? matches : !matches;
    }
    default:
      return false;
  }
}
