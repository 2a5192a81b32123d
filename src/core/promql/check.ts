// The checks Prometheus makes after parsing (promql/parser/parse.go `checkAST`), over the tree of
// @prometheus-io/lezer-promql, with Prometheus's messages; and while walking, what a guardrail
// needs to know: the result type, whether the result can hold more than one series, and the
// windows of rate-like functions.
import type { SyntaxNode } from '@lezer/common';
import {
  AggregateExpr,
  AggregateModifier,
  AggregateOp,
  AnchoredExpr,
  BinaryExpr,
  BoolModifier,
  DurationExpr,
  FillModifier,
  FunctionCall,
  FunctionCallBody,
  FunctionIdentifier,
  GroupingLabels,
  GroupLeft,
  GroupRight,
  Identifier,
  LabelMatchers,
  LabelName,
  MatchingModifierClause,
  MatchOp,
  MatrixSelector,
  NumberDurationLiteral,
  OffsetExpr,
  On,
  ParenExpr,
  QuotedLabelMatcher,
  QuotedLabelName,
  SmoothedExpr,
  StepInvariantExpr,
  StringLiteral,
  SubqueryExpr,
  UnaryExpr,
  UnquotedLabelMatcher,
  VectorSelector,
  Without,
} from '@prometheus-io/lezer-promql';
import { PROMQL_AGGREGATIONS, PROMQL_FUNCTIONS, type PromqlType } from './functions';
import type { PlaceholderSpan, PromqlParse } from './parse';
import { larger, matchesEmpty, ONE, promqlDurationMs, smaller, unquote, withoutLabel, type PromqlAnalysis, type SeriesCount } from './analysis';
import { stringLiteralError, type PromqlFinding } from './syntaxErrors';

type ValueType = PromqlType | 'any';

interface Result {
  type: ValueType;
  series: SeriesCount;
  /** Labels every series of the result has at one known value (pinned by `label="value"`). */
  pinned: readonly string[];
}

const NOTHING: string[] = [];
// Node types by lezer's term ids (the grammar package exports them): comparing numbers is cheaper
// than comparing names, and this runs for every node of every guardrail query.
const EXPRESSIONS = new Set([
  AggregateExpr,
  BinaryExpr,
  FunctionCall,
  MatrixSelector,
  NumberDurationLiteral,
  OffsetExpr,
  AnchoredExpr,
  SmoothedExpr,
  ParenExpr,
  StringLiteral,
  SubqueryExpr,
  UnaryExpr,
  VectorSelector,
  StepInvariantExpr,
]);
const COMPARISONS = new Set(['Eql', 'Neq', 'Lte', 'Lss', 'Gte', 'Gtr']);
const SET_OPERATORS = new Set(['And', 'Or', 'Unless']);

const isExpression = (node: SyntaxNode): boolean => EXPRESSIONS.has(node.type.id);

/** The first expression among a node's children. */
function firstExpression(node: SyntaxNode): SyntaxNode | null {
  for (let child = node.firstChild; child; child = child.nextSibling) if (isExpression(child)) return child;
  return null;
}

function expressionChildren(node: SyntaxNode): SyntaxNode[] {
  const children: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) if (isExpression(child)) children.push(child);
  return children;
}

const UNKNOWN: Result = { type: 'any', series: { kind: 'one' }, pinned: [] };

/**
 * Type-checks a parsed query the way Prometheus does and works out its result type and series
 * count. Runs only on a query without syntax errors (Prometheus type-checks only those too); a
 * string Prometheus cannot read is reported as the syntax error it is. One pass over the tree,
 * children read with `firstChild`/`nextSibling` (cheaper than lezer's `getChild`), in a class so
 * no closures are made per query: it runs for every guardrail of a plan on every full validation.
 */
export function analyzePromql(parse: PromqlParse): PromqlAnalysis {
  if (parse.syntaxError) return { findings: [parse.syntaxError], windows: [], metrics: [] };
  return new Checker(parse).run();
}

class Checker {
  private readonly analysis: PromqlAnalysis = { findings: [], windows: [], metrics: [] };
  private readonly text: string;
  private readonly valuePlaceholders: PlaceholderSpan[];
  private stringError: PromqlFinding | undefined;
  // Escapes are rare: one search per query tells whether any string needs reading closely.
  private readonly anyBackslash: boolean;

  constructor(private readonly parse: PromqlParse) {
    this.text = parse.parsed;
    this.valuePlaceholders = parse.placeholders.length === 0 ? [] : parse.placeholders.filter((placeholder) => placeholder.role === 'value');
    this.anyBackslash = this.text.indexOf('\\') >= 0;
  }

  run(): PromqlAnalysis {
    const analysis = this.analysis;
    const top = this.parse.tree.topNode.firstChild;
    if (!top) return analysis;
    const result = this.check(top);
    if (this.stringError) {
      // A string Prometheus cannot read is a syntax error: it stands alone, as other syntax errors do.
      return { findings: [this.stringError], windows: [], metrics: [] };
    }
    if (result.type !== 'any') {
      analysis.resultType = result.type;
      if (result.type === 'instant vector') analysis.series = result.series;
    }
    if (analysis.findings.length > 1) {
      // Prometheus reports its first type error only; the rest are usually consequences of it.
      analysis.findings.sort((a, b) => a.start - b.start);
      const first = analysis.findings.find((finding) => finding.rule === 'invalid');
      analysis.findings = analysis.findings.filter((finding) => finding.rule !== 'invalid' || finding === first);
    }
    return analysis;
  }

  private invalid(message: string, node: { from: number; to: number }): void {
    this.analysis.findings.push({ rule: 'invalid', severity: 'error', message, start: node.from, end: node.to });
  }

  private experimental(message: string, node: { from: number; to: number }): void {
    this.analysis.findings.push({ rule: 'experimental', severity: 'warning', message, start: node.from, end: node.to });
  }

  private slice(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  private stands(node: SyntaxNode): boolean {
    return this.valuePlaceholders.length > 0 && this.valuePlaceholders.some((placeholder) => placeholder.start <= node.from && placeholder.end >= node.to);
  }

  private checkString(node: SyntaxNode): void {
    if (this.stringError) return;
    const text = this.text;
    const first = text.charCodeAt(node.from);
    const last = text.charCodeAt(node.to - 1);
    if (node.to - node.from >= 2 && first === last && (first === 96 || !this.anyBackslash)) return;
    this.stringError = stringLiteralError(text, node.from, node.to);
  }

  private expect(node: SyntaxNode, want: PromqlType, context: string): Result {
    const result = this.check(node);
    if (result.type !== want && result.type !== 'any') this.invalid(`expected type ${want} in ${context}, got ${result.type}`, node);
    return result;
  }

  private check(node: SyntaxNode): Result {
    switch (node.type.id) {
      case NumberDurationLiteral:
        return this.stands(node) ? UNKNOWN : { type: 'scalar', series: ONE, pinned: NOTHING };
      case StringLiteral:
        this.checkString(node);
        return { type: 'string', series: ONE, pinned: NOTHING };
      case ParenExpr: {
        const inner = firstExpression(node);
        return inner ? this.check(inner) : UNKNOWN;
      }
      case VectorSelector:
        return this.checkSelector(node);
      case MatrixSelector: {
        const inner = firstExpression(node);
        if (!inner) return UNKNOWN;
        const result = this.check(inner);
        if (result.type === 'any') return result;
        // `-foo[5m]`: lezer reads the range as applying to `-foo`; Prometheus reads a unary minus on a range.
        if (inner.type.id === UnaryExpr && firstExpression(inner)?.type.id === VectorSelector) {
          this.invalid('unary expression only allowed on expressions of type scalar or instant vector, got "range vector"', node);
        } else if (inner.type.id !== VectorSelector) {
          // Prometheus marks the range itself, `[5m]`.
          const bracket = this.text.indexOf('[', inner.to);
          this.invalid('ranges only allowed for vector selectors', { from: bracket >= 0 ? bracket : node.from, to: node.to });
        }
        return { type: 'range vector', series: result.series, pinned: result.pinned };
      }
      case SubqueryExpr: {
        const inner = firstExpression(node);
        const result = inner ? this.check(inner) : UNKNOWN;
        if (result.type !== 'instant vector' && result.type !== 'any') this.invalid(`subquery is only allowed on instant vector, got ${result.type === 'range vector' ? 'matrix' : result.type} instead`, node);
        return { type: 'range vector', series: result.series, pinned: result.pinned };
      }
      case UnaryExpr: {
        const inner = firstExpression(node);
        const result = inner ? this.check(inner) : UNKNOWN;
        if (result.type !== 'scalar' && result.type !== 'instant vector' && result.type !== 'any') {
          this.invalid(`unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(result.type)}`, node);
        }
        return result;
      }
      case OffsetExpr:
      case StepInvariantExpr:
      case AnchoredExpr:
      case SmoothedExpr:
        return this.checkModifier(node);
      case FunctionCall:
        return this.checkCall(node);
      case AggregateExpr:
        return this.checkAggregation(node);
      case BinaryExpr:
        return this.checkBinary(node);
      default:
        return UNKNOWN;
    }
  }

  private checkSelector(node: SyntaxNode): Result {
    if (this.stands(node)) return UNKNOWN;
    let identifier: SyntaxNode | null = null;
    let matchers: SyntaxNode | null = null;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.type.id === Identifier) identifier = child;
      else if (child.type.id === LabelMatchers) matchers = child;
    }
    const name = identifier ? this.slice(identifier) : undefined;
    let pinned: string[] = NOTHING;
    let nonEmpty = name !== undefined;
    let namedInside: string | undefined;
    if (matchers) {
      for (let matcher = matchers.firstChild; matcher; matcher = matcher.nextSibling) {
        if (matcher.type.id === QuotedLabelName) {
          // `{"metric.name"}`: a quoted metric name on its own.
          if (matcher.firstChild) this.checkString(matcher.firstChild);
          nonEmpty = true;
          continue;
        }
        if (matcher.type.id !== UnquotedLabelMatcher && matcher.type.id !== QuotedLabelMatcher) continue;
        let labelNode: SyntaxNode | null = null;
        let op: string | undefined;
        let valueNode: SyntaxNode | null = null;
        for (let part = matcher.firstChild; part; part = part.nextSibling) {
          const type = part.type.id;
          if (type === LabelName || type === QuotedLabelName) labelNode = part;
          else if (type === MatchOp) op = part.firstChild?.name;
          else if (type === StringLiteral) valueNode = part;
        }
        if (!labelNode || op === undefined || !valueNode) continue;
        if (labelNode.type.id === QuotedLabelName && labelNode.firstChild) this.checkString(labelNode.firstChild);
        this.checkString(valueNode);
        // Label names are read only when they matter: a pinned label, or `__name__`.
        const quoted = labelNode.type.id === QuotedLabelName;
        const labelText = (): string => (quoted ? unquote(this.slice(labelNode)) : this.slice(labelNode));
        if (op === 'EqlSingle') pinned = pinned === NOTHING ? [labelText()] : [...pinned, labelText()];
        const isName = quoted ? labelText() === '__name__' : labelNode.to - labelNode.from === 8 && this.text.startsWith('__name__', labelNode.from);
        if (!isName && nonEmpty) continue;
        const raw = this.parse.text.slice(valueNode.from, valueNode.to);
        const value = unquote(raw);
        if (isName) namedInside = value;
        if (raw.includes('{{') || !matchesEmpty(op, value)) nonEmpty = true;
      }
    }
    if (name !== undefined && namedInside !== undefined) this.invalid(`metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(namedInside)}`, node);
    else if (!nonEmpty) this.invalid('vector selector must contain at least one non-empty matcher', node);
    if (identifier && name !== undefined) this.analysis.metrics.push({ name, start: identifier.from, end: identifier.to });
    return { type: 'instant vector', series: { kind: 'many', start: node.from, end: node.to }, pinned };
  }

  private checkModifier(node: SyntaxNode): Result {
    const inner = firstExpression(node);
    if (!inner) return UNKNOWN;
    const result = this.check(inner);
    const base = inner.type.id;
    const allowed = base === VectorSelector || base === MatrixSelector || base === SubqueryExpr || base === OffsetExpr || base === StepInvariantExpr;
    if (node.type.id === OffsetExpr) {
      if (!allowed && result.type !== 'any') this.invalid('offset modifier must be preceded by an instant vector selector or range vector selector or a subquery', node);
      else if (this.hasModifier(inner, OffsetExpr)) this.invalid('offset may not be set multiple times', node);
    } else if (node.type.id === StepInvariantExpr) {
      if (!allowed && result.type !== 'any') this.invalid('@ modifier must be preceded by an instant vector selector or range vector selector or a subquery', node);
      else if (this.hasModifier(inner, StepInvariantExpr)) this.invalid('@ <timestamp> may not be set multiple times', node);
    } else {
      this.experimental(`the ${node.type.id === AnchoredExpr ? 'anchored' : 'smoothed'} modifier is experimental: Prometheus refuses it unless started with --enable-feature=promql-extended-range-selectors`, node);
    }
    return result;
  }

  private hasModifier(node: SyntaxNode, type: number): boolean {
    for (let current: SyntaxNode | null = node; current && (current.type.id === OffsetExpr || current.type.id === StepInvariantExpr); current = firstExpression(current)) {
      if (current.type.id === type) return true;
    }
    return false;
  }

  private checkCall(node: SyntaxNode): Result {
    let identifier: SyntaxNode | null = null;
    let body: SyntaxNode | null = null;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.type.id === FunctionIdentifier) identifier = child;
      else if (child.type.id === FunctionCallBody) body = child;
    }
    const name = identifier ? this.slice(identifier) : '';
    const args = body ? expressionChildren(body) : [];
    const fn = PROMQL_FUNCTIONS.get(name);
    if (!fn) {
      this.invalid(`unknown function with name ${JSON.stringify(name)}`, identifier ?? node);
      for (const arg of args) this.check(arg);
      return UNKNOWN;
    }
    if (fn.experimental && identifier) this.experimental(`function ${JSON.stringify(name)} is experimental: Prometheus refuses it unless started with --enable-feature=promql-experimental-functions`, identifier);
    const expected = fn.argTypes.length;
    if (fn.variadic === 0) {
      if (args.length !== expected) this.invalid(`expected ${expected} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`, node);
    } else {
      const required = expected - 1;
      if (required > args.length) this.invalid(`expected at least ${required} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`, node);
      else if (fn.variadic > 0 && required + fn.variadic < args.length) this.invalid(`expected at most ${required + fn.variadic} argument(s) in call to ${JSON.stringify(name)}, got ${args.length}`, node);
    }
    let source: Result | undefined;
    for (let index = 0; index < args.length; index++) {
      const arg = args[index]!;
      const want = index < expected ? fn.argTypes[index] : fn.variadic !== 0 ? fn.argTypes[expected - 1] : undefined;
      const result = want === undefined ? this.check(arg) : this.expect(arg, want, `call to function ${JSON.stringify(name)}`);
      if (!source && (result.type === 'instant vector' || result.type === 'range vector')) source = result;
      if (fn.window === 'counter' && want === 'range vector') this.recordWindow(name, arg);
    }
    if (fn.returns !== 'instant vector') return { type: fn.returns, series: ONE, pinned: NOTHING };
    // What a function does to the number of series: most keep it; these make one.
    if (!source || name === 'vector' || name === 'absent' || name === 'absent_over_time') return { type: fn.returns, series: ONE, pinned: NOTHING };
    if (name === 'histogram_quantile' || name === 'histogram_fraction') return { type: fn.returns, series: withoutLabel(source.series, source.pinned, 'le'), pinned: source.pinned };
    return { type: fn.returns, series: source.series, pinned: source.pinned };
  }

  private recordWindow(name: string, arg: SyntaxNode): void {
    let matrix: SyntaxNode | null = arg;
    while (matrix && (matrix.type.id === OffsetExpr || matrix.type.id === StepInvariantExpr || matrix.type.id === ParenExpr)) matrix = firstExpression(matrix);
    if (!matrix || matrix.type.id !== MatrixSelector) return;
    let duration: SyntaxNode | null = null;
    for (let child = matrix.firstChild; child; child = child.nextSibling) if (child.type.id === DurationExpr) duration = child;
    if (!duration) return;
    const { from, to } = duration;
    if (this.parse.placeholders.length > 0 && this.parse.placeholders.some((placeholder) => placeholder.start < to && placeholder.end > from)) return;
    const milliseconds = promqlDurationMs(this.text.slice(from, to));
    if (milliseconds !== undefined) this.analysis.windows.push({ function: name, milliseconds, start: from, end: to });
  }

  private checkAggregation(node: SyntaxNode): Result {
    let opNode: SyntaxNode | null = null;
    let body: SyntaxNode | null = null;
    let modifier: SyntaxNode | null = null;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.type.id === AggregateOp) opNode = child;
      else if (child.type.id === FunctionCallBody) body = child;
      else if (child.type.id === AggregateModifier) modifier = child;
    }
    const op = opNode ? this.slice(opNode).toLowerCase() : '';
    const aggregation = PROMQL_AGGREGATIONS.get(op);
    const args = body ? expressionChildren(body) : [];
    if (aggregation?.experimental && opNode) this.experimental(`${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`, opNode);
    if (args.length === 0) {
      this.invalid('no arguments for aggregate expression provided', node);
      return { type: 'instant vector', series: ONE, pinned: NOTHING };
    }
    const wanted = aggregation?.parameter ? 2 : 1;
    if (args.length !== wanted) {
      this.invalid(`wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`, node);
      for (const arg of args) this.check(arg);
      return { type: 'instant vector', series: ONE, pinned: NOTHING };
    }
    if (aggregation?.parameter) this.expect(args[0]!, aggregation.parameter, 'aggregation parameter');
    const input = this.expect(args[wanted - 1]!, 'instant vector', 'aggregation expression');
    let without = false;
    let labels: string[] = [];
    if (modifier) {
      for (let child = modifier.firstChild; child; child = child.nextSibling) {
        if (child.type.id === Without) without = true;
        else if (child.type.id === GroupingLabels) labels = this.groupingLabels(child);
      }
    }
    const selectsMany = op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio' || op === 'count_values';
    const kOne = selectsMany && op !== 'count_values' && op !== 'limit_ratio' && this.slice(args[0]!).trim() === '1';
    if ((selectsMany && !kOne) || without) {
      const reason = without && modifier ? modifier : node;
      return { type: 'instant vector', series: { kind: 'many', start: reason.from, end: reason.to }, pinned: without ? NOTHING : input.pinned };
    }
    if (labels.length === 0) return { type: 'instant vector', series: ONE, pinned: NOTHING };
    const varying = labels.filter((label) => !input.pinned.includes(label));
    const pinned = labels.filter((label) => input.pinned.includes(label));
    if (varying.length === 0 || !modifier) return { type: 'instant vector', series: ONE, pinned };
    return { type: 'instant vector', series: { kind: 'grouped', labels: varying, start: modifier.from, end: modifier.to }, pinned };
  }

  private groupingLabels(grouping: SyntaxNode): string[] {
    const labels: string[] = [];
    for (let child = grouping.firstChild; child; child = child.nextSibling) {
      if (child.type.id === LabelName) labels.push(this.slice(child));
      else if (child.type.id === QuotedLabelName) labels.push(unquote(this.slice(child)));
    }
    return labels;
  }

  private checkBinary(node: SyntaxNode): Result {
    let left: SyntaxNode | null = null;
    let right: SyntaxNode | null = null;
    let operator: SyntaxNode | null = null;
    let bool = false;
    let matching: SyntaxNode | null = null;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (isExpression(child)) {
        if (!left) left = child;
        else right = child;
      } else if (child.type.id === BoolModifier) bool = true;
      else if (child.type.id === MatchingModifierClause) matching = child;
      else if (!operator && left && child.type.id !== FillModifier) operator = child;
    }
    if (!left || !right) return UNKNOWN;
    const op = operator?.name ?? '';
    const lhs = this.check(left);
    const rhs = this.check(right);
    const opRange = operator ?? node;
    const opText = operator ? this.slice(operator).toLowerCase() : '';
    const isComparison = COMPARISONS.has(op);
    const isSet = SET_OPERATORS.has(op);
    if (bool && !isComparison) this.invalid('bool modifier can only be used on comparison operators', opRange);
    if (isComparison && !bool && lhs.type === 'scalar' && rhs.type === 'scalar') this.invalid('comparisons between scalars must use BOOL modifier', opRange);
    let onLabels = 0;
    let group: 'left' | 'right' | undefined;
    if (matching) {
      let on = false;
      let seenGroup = false;
      const matchLabels: string[] = [];
      for (let child = matching.firstChild; child; child = child.nextSibling) {
        if (child.type.id === On) on = true;
        else if (child.type.id === GroupLeft || child.type.id === GroupRight) {
          seenGroup = true;
          group = child.type.id === GroupLeft ? 'left' : 'right';
        } else if (child.type.id === GroupingLabels) {
          const labels = this.groupingLabels(child);
          if (!seenGroup) {
            matchLabels.push(...labels);
            onLabels += labels.length;
          } else if (on) {
            for (const label of labels) if (matchLabels.includes(label)) this.invalid(`label ${JSON.stringify(label)} must not occur in ON and GROUP clause at once`, opRange);
          }
        }
      }
    }
    const operandOk = (type: ValueType) => type === 'scalar' || type === 'instant vector' || type === 'any';
    if (!operandOk(lhs.type)) this.invalid('binary expression must contain only scalar and instant vector types', left);
    if (!operandOk(rhs.type)) this.invalid('binary expression must contain only scalar and instant vector types', right);
    const bothVectors = lhs.type !== 'scalar' && rhs.type !== 'scalar';
    if (!bothVectors && matching && onLabels > 0) this.invalid('vector matching only allowed between instant vectors', node);
    else if (bothVectors && isSet && group) this.invalid(`no grouping allowed for ${JSON.stringify(opText)} operation`, node);
    if ((lhs.type === 'scalar' || rhs.type === 'scalar') && isSet) this.invalid(`set operator ${JSON.stringify(opText)} not allowed in binary scalar expression`, node);

    if (lhs.type === 'scalar' && rhs.type === 'scalar') return { type: 'scalar', series: ONE, pinned: NOTHING };
    const type: ValueType = lhs.type === 'any' ? (rhs.type === 'scalar' ? 'any' : rhs.type) : rhs.type === 'any' && lhs.type === 'scalar' ? 'any' : 'instant vector';
    if (lhs.type === 'scalar') return { type, series: rhs.series, pinned: rhs.pinned };
    if (rhs.type === 'scalar') return { type, series: lhs.series, pinned: lhs.pinned };
    if (op === 'And' || op === 'Unless') return { type, series: lhs.series, pinned: lhs.pinned };
    if (op === 'Or') return { type, series: larger(lhs.series, rhs.series), pinned: NOTHING };
    if (group === 'left') return { type, series: lhs.series, pinned: lhs.pinned };
    if (group === 'right') return { type, series: rhs.series, pinned: rhs.pinned };
    // One-to-one matching pairs each series with at most one other: never more than the smaller side.
    return { type, series: smaller(lhs.series, rhs.series), pinned: lhs.pinned };
  }
}
