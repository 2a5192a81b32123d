// Reads Argo metric conditions (expr language) back into Rollgate bounds and onNoData. Only the
// shapes a threshold can say are understood: comparisons of `result` / `result[0]` with numbers,
// joined by && / ||, with the usual no-data guards (`len(result) == 0 || ...`, `isNaN(...)`).

type Node =
  | { type: 'or' | 'and'; left: Node; right: Node }
  | { type: 'not'; operand: Node }
  | { type: 'compare'; op: string; left: Node; right: Node }
  | { type: 'number'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'value' }
  | { type: 'len' }
  | { type: 'isNaN' };

const TOKEN = /\s*(\|\||&&|==|!=|>=|<=|[()<>![\]]|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(text: string): string[] | undefined {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(text);
    if (!match) return undefined;
    tokens.push(match[1]!);
  }
  return tokens;
}

/** Parses a condition; undefined when it uses anything beyond the supported shapes. */
function parse(text: string): Node | undefined {
  const tokens = tokenize(text);
  if (!tokens) return undefined;
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string) => {
    const token = tokens[position];
    if (expected !== undefined && token !== expected) throw new Error(`expected ${expected}`);
    position++;
    return token;
  };
  const or = (): Node => {
    let left = and();
    while (peek() === '||' || peek() === 'or') {
      take();
      left = { type: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): Node => {
    let left = unary();
    while (peek() === '&&' || peek() === 'and') {
      take();
      left = { type: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    if (peek() === '!' || peek() === 'not') {
      take();
      return { type: 'not', operand: unary() };
    }
    return comparison();
  };
  const comparison = (): Node => {
    const left = primary();
    const op = peek();
    if (op && ['==', '!=', '<', '<=', '>', '>='].includes(op)) {
      take();
      return { type: 'compare', op, left, right: primary() };
    }
    return left;
  };
  const primary = (): Node => {
    const token = take();
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token === 'true' || token === 'false') return { type: 'bool', value: token === 'true' };
    if (token !== undefined && /^-?\d/.test(token)) return { type: 'number', value: Number(token) };
    if (token === 'result') {
      if (peek() === '[') {
        take('[');
        take('0');
        take(']');
      }
      return { type: 'value' };
    }
    if (token === 'len' || token === 'isNaN') {
      take('(');
      const inner = primary();
      take(')');
      if (token === 'len') return { type: 'len' };
      if (inner.type !== 'value') throw new Error('isNaN of something else');
      return { type: 'isNaN' };
    }
    throw new Error(`unsupported ${token}`);
  };
  try {
    const node = or();
    return position === tokens.length ? node : undefined;
  } catch {
    return undefined;
  }
}

/** A bound read from a comparison, with whether Argo's comparison was strict where Rollgate's is not. */
interface Bound {
  side: 'min' | 'max';
  value: number;
  inexact: boolean;
}

const flip: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

function comparisonOfValue(node: Node): { op: string; value: number } | undefined {
  if (node.type !== 'compare') return undefined;
  if (node.left.type === 'value' && node.right.type === 'number') return { op: node.op, value: node.right.value };
  if (node.right.type === 'value' && node.left.type === 'number') return { op: flip[node.op]!, value: node.left.value };
  return undefined;
}

/** `len(result) == 0`, `len(result) != 1`, `len(result) < 1`, `isNaN(result[0])`: true on no data. */
function isNoData(node: Node): boolean {
  if (node.type === 'isNaN') return true;
  if (node.type !== 'compare' || node.left.type !== 'len' || node.right.type !== 'number') return false;
  const { op } = node;
  const n = node.right.value;
  return (op === '==' && n === 0) || (op === '!=' && n === 1) || (op === '<' && n === 1) || (op === '<=' && n === 0);
}

/** `len(result) == 1`, `len(result) > 0`, `len(result) >= 1`, `!isNaN(...)`: true only with data. */
function isHasData(node: Node): boolean {
  if (node.type === 'not') return node.operand.type === 'isNaN';
  if (node.type !== 'compare' || node.left.type !== 'len' || node.right.type !== 'number') return false;
  const { op } = node;
  const n = node.right.value;
  return (op === '==' && n === 1) || (op === '>' && n === 0) || (op === '>=' && n === 1);
}

const flatten = (node: Node, type: 'or' | 'and'): Node[] => (node.type === type ? [...flatten(node.left, type), ...flatten(node.right, type)] : [node]);

interface ReadCondition {
  bounds: Bound[];
  /** The condition holds when there is no data (a `len(result) == 0 ||` guard). */
  trueOnNoData: boolean;
}

/** A success condition: the value must be inside all bounds. */
function readSuccess(text: string): ReadCondition | undefined {
  const node = parse(text);
  if (!node) return undefined;
  const alternatives = flatten(node, 'or');
  const guards = alternatives.filter(isNoData);
  const rest = alternatives.filter((part) => !isNoData(part));
  if (rest.length !== 1) return undefined;
  const bounds: Bound[] = [];
  for (const part of flatten(rest[0]!, 'and')) {
    if (isHasData(part)) continue;
    const comparison = comparisonOfValue(part);
    if (!comparison) return undefined;
    if (comparison.op === '>=' || comparison.op === '>') bounds.push({ side: 'min', value: comparison.value, inexact: comparison.op === '>' });
    else if (comparison.op === '<=' || comparison.op === '<') bounds.push({ side: 'max', value: comparison.value, inexact: comparison.op === '<' });
    else return undefined;
  }
  return { bounds, trueOnNoData: guards.length > 0 };
}

/** A failure condition: the value fails outside any bound. */
function readFailure(text: string): ReadCondition | undefined {
  const node = parse(text);
  if (!node) return undefined;
  if (node.type === 'bool' && !node.value) return { bounds: [], trueOnNoData: false };
  const conjuncts = flatten(node, 'and');
  const dataGuards = conjuncts.filter(isHasData);
  const core = conjuncts.filter((part) => !isHasData(part));
  if (core.length !== 1) return undefined;
  const alternatives = flatten(core[0]!, 'or');
  const bounds: Bound[] = [];
  let trueOnNoData = false;
  for (const part of alternatives) {
    if (isNoData(part)) {
      trueOnNoData = true;
      continue;
    }
    const comparison = comparisonOfValue(part);
    if (!comparison) return undefined;
    if (comparison.op === '<' || comparison.op === '<=') bounds.push({ side: 'min', value: comparison.value, inexact: comparison.op === '<=' });
    else if (comparison.op === '>' || comparison.op === '>=') bounds.push({ side: 'max', value: comparison.value, inexact: comparison.op === '>=' });
    else return undefined;
  }
  if (dataGuards.length > 0 && trueOnNoData) return undefined;
  return { bounds, trueOnNoData };
}

export interface ImportedJudgement {
  min?: number;
  max?: number;
  onNoData: 'fail' | 'pass' | 'inconclusive';
  /** `failureCondition: false`: breaches are Inconclusive (a pause), as Rollgate exports rollback.automatic: false. */
  pauseOnBreach: boolean;
  /** What did not carry over exactly (strict comparisons, no-data errors). */
  notes: string[];
}

/** The bounds and no-data behaviour of a metric's conditions, or a reason they cannot be expressed. */
export function readConditions(successCondition: string | undefined, failureCondition: string | undefined): ImportedJudgement | { unsupported: string } {
  const success = successCondition ? readSuccess(successCondition) : undefined;
  const failure = failureCondition ? readFailure(failureCondition) : undefined;
  if (successCondition && !success) return { unsupported: `successCondition '${successCondition}' is not a threshold Rollgate can read` };
  if (failureCondition && !failure) return { unsupported: `failureCondition '${failureCondition}' is not a threshold Rollgate can read` };
  if (!success && !failure) return { unsupported: 'the metric has no condition (every measurement succeeds)' };
  const notes: string[] = [];
  const pauseOnBreach = failureCondition?.trim() === 'false';
  const fromSuccess = success?.bounds ?? [];
  const fromFailure = pauseOnBreach ? [] : (failure?.bounds ?? []);
  if (success && failure && !pauseOnBreach) {
    const key = (bounds: Bound[]) =>
      bounds
        .map((bound) => `${bound.side}:${bound.value}`)
        .sort()
        .join(',');
    if (key(fromSuccess) !== key(fromFailure)) {
      return { unsupported: 'its success and failure conditions leave a band of values that is Inconclusive, which a Rollgate threshold cannot say' };
    }
  }
  const bounds = success ? fromSuccess : fromFailure;
  const judgement: ImportedJudgement = { onNoData: 'fail', pauseOnBreach, notes };
  for (const bound of bounds) {
    const existing = judgement[bound.side];
    judgement[bound.side] = existing === undefined ? bound.value : bound.side === 'min' ? Math.max(existing, bound.value) : Math.min(existing, bound.value);
    if (bound.inexact) notes.push(`a strict comparison with ${bound.value} became Rollgate's inclusive ${bound.side}`);
  }
  if (success?.trueOnNoData) judgement.onNoData = 'pass';
  else if (failure?.trueOnNoData) judgement.onNoData = 'fail';
  else if (success && failure) judgement.onNoData = 'inconclusive';
  else notes.push('an empty query result is an Error in Argo (no len(result) guard); the plan says onNoData: fail');
  return judgement;
}
