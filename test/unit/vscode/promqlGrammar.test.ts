// The PromQL TextMate grammar, tokenized with the engine VS Code uses (vscode-textmate and
// vscode-oniguruma from npm), on real queries from Flagger's MetricTemplate docs
// (fluxcd/flagger docs/gitbook/usage/metrics.md): every label name of a matcher list spread over
// lines is a label, alone (a promql cell) and inside a plan's `query: |` block. Embedding in a plan
// needs VS Code's YAML grammar, taken from the code-server install the host tests use.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROMQL_AGGREGATIONS, PROMQL_FUNCTIONS } from '../../../src/core/promql/functions';

const root = join(__dirname, '../../..');
const codeServerVersion = /CODE_SERVER_VERSION="\$\{CODE_SERVER_VERSION:-([\d.]+)\}"/.exec(readFileSync(join(root, 'test/harness/ensureCodeServer.sh'), 'utf8'))?.[1];
const cache = process.env.ROLLGATE_TEST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollgate-test');
const yamlDir = join(cache, `code-server-${codeServerVersion}`, 'node_modules/code-server/lib/vscode/extensions/yaml/syntaxes');

interface Token {
  text: string;
  scopes: string[];
}
type Tokenize = (text: string) => Token[][];

async function tokenizers(): Promise<{ promql: Tokenize; plan: Tokenize }> {
  await oniguruma.loadWASM(readFileSync(join(root, 'node_modules/vscode-oniguruma/release/onig.wasm')).buffer);
  if (!existsSync(yamlDir)) throw new Error(`VS Code's YAML grammar was not found under ${yamlDir}; run test/harness/ensureCodeServer.sh first`);
  const files: Record<string, string> = {
    'source.promql': join(root, 'syntaxes/promql.tmLanguage.json'),
    'source.rollout-plan': join(root, 'syntaxes/rollout-plan.tmLanguage.json'),
  };
  for (const name of readdirSync(yamlDir)) files[JSON.parse(readFileSync(join(yamlDir, name), 'utf8')).scopeName as string] = join(yamlDir, name);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns), createOnigString: (text) => new oniguruma.OnigString(text) }),
    loadGrammar: async (scopeName) => (files[scopeName] ? textmate.parseRawGrammar(readFileSync(files[scopeName]!, 'utf8'), files[scopeName]) : null),
  });
  const load = async (scopeName: string): Promise<Tokenize> => {
    const grammar = (await registry.loadGrammar(scopeName))!;
    return (text) => {
      let state = textmate.INITIAL;
      return text.split('\n').map((line) => {
        const result = grammar.tokenizeLine(line, state);
        state = result.ruleStack;
        return result.tokens.map((token) => ({ text: line.slice(token.startIndex, token.endIndex), scopes: token.scopes }));
      });
    };
  };
  return { promql: await load('source.promql'), plan: await load('source.rollout-plan') };
}

let tokenize: { promql: Tokenize; plan: Tokenize };
beforeAll(async () => {
  tokenize = await tokenizers();
});

const LABEL = 'entity.other.attribute-name.label.promql';
const all = (lines: Token[][]) => lines.flat();
const scopesOf = (lines: Token[][], text: string): string[] => {
  const token = all(lines).find((candidate) => candidate.text === text);
  expect(token, `a token '${text}'`).toBeDefined();
  return token!.scopes;
};
/** Label names of the matchers in a query: what a person expects coloured as labels. */
const labelNames = (query: string) => [...query.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*"/g)].map((match) => match[1]!);

// From Flagger's docs: MetricTemplate queries with label matchers spread over lines.
const flagger = {
  linkerdLatency: `histogram_quantile(
  0.99,
  sum(
    rate(
      response_latency_ms_bucket{
        namespace="{{ namespace }}",
        deployment=~"{{ target }}",
        direction="{{ variables.direction }}"
      }[{{ interval }}]
    )
  ) by (le)
)`,
  notFoundPercentage: `100 - sum(
    rate(
        istio_requests_total{
          reporter="destination",
          destination_workload_namespace="{{ namespace }}",
          destination_workload="{{ target }}",
          response_code!="404"
        }[{{ interval }}]
    )
)
/
sum(
    rate(
        istio_requests_total{
          reporter="destination",
          destination_workload_namespace="{{ namespace }}",
          destination_workload="{{ target }}"
        }[{{ interval }}]
    )
) * 100`,
  grpcErrorRate: `100 - sum(
    rate(
        grpc_server_handled_total{
          grpc_code!="OK",
          kubernetes_namespace="{{ namespace }}",
          kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"
        }[{{ interval }}]
    )
)
/
sum(
    rate(
        grpc_server_started_total{
          kubernetes_namespace="{{ namespace }}",
          kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"
        }[{{ interval }}]
    )
) * 100`,
};

describe('PromQL grammar with the real TextMate engine', () => {
  it.each(Object.entries(flagger))('colours every label name of Flagger’s %s query, alone and in a plan’s block scalar', (_, query) => {
    const expected = labelNames(query);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const labelsIn = (lines: Token[][]) =>
      all(lines)
        .filter((token) => token.scopes.includes(LABEL))
        .map((token) => token.text);
    expect(labelsIn(tokenize.promql(query))).toEqual(expected);
    const plan = `guardrails:\n  - name: flagger\n    query: |\n${query.replace(/^/gm, '      ')}\n    max: 5\n  - name: next\n    query: sum(x)\n`;
    const lines = tokenize.plan(plan);
    expect(labelsIn(lines)).toEqual(expected);
    // The block ends where YAML resumes: the next keys are plan keys again.
    const max = lines.flat().find((token) => token.text === 'max')!;
    expect(max.scopes).toContain('support.type.property-name.rollout-plan');
    expect(max.scopes.some((scope) => scope.includes('promql'))).toBe(false);
    expect(scopesOf(lines, 'sum')).toContain('keyword.other.aggregation.promql');
  });

  it('knows current functions (trigonometry, pi, deg, rad), atan2, @ and negative offsets', () => {
    const lines = tokenize.promql('sin(x) + cos(x) * acosh(x) - deg(x) + rad(x) * pi() + sgn(x) atan2 y @ 1609746000 + z offset -5m + w @ start()');
    for (const fn of ['sin', 'cos', 'acosh', 'deg', 'rad', 'pi', 'sgn']) expect(scopesOf(lines, fn), fn).toContain('support.function.promql');
    expect(scopesOf(lines, 'atan2')).toContain('keyword.operator.arithmetic.promql');
    expect(scopesOf(lines, '@')).toContain('keyword.other.at.promql');
    expect(scopesOf(lines, '1609746000')).toContain('constant.numeric.promql');
    expect(scopesOf(lines, 'offset')).toContain('keyword.other.modifier.promql');
    expect(scopesOf(lines, '-5m')).toContain('constant.numeric.duration.promql');
    expect(scopesOf(lines, 'start')).toContain('support.function.promql');
  });

  it('offers exactly the functions and aggregations Rollgate type-checks', () => {
    const grammar = JSON.parse(readFileSync(join(root, 'syntaxes/promql.tmLanguage.json'), 'utf8'));
    const list = (rule: string) => /\\b\(\?:([\w|]+)\)/.exec(grammar.repository[rule].match)![1]!.split('|').sort();
    expect(list('function')).toEqual([...PROMQL_FUNCTIONS.keys()].sort());
    expect(list('aggregation')).toEqual([...PROMQL_AGGREGATIONS.keys()].sort());
  });

  it('keeps an unclosed brace in a one-line or quoted query from colouring the rest of the plan', () => {
    const plan = 'guardrails:\n  - name: a\n    query: sum(x{a="b"\n    max: 1\n  - name: b\n    query: "sum(x{a=\\"b\\""\n    min: 0\n';
    const lines = tokenize.plan(plan);
    for (const key of ['max', 'min']) expect(scopesOf(lines, key), key).toContain('support.type.property-name.rollout-plan');
  });

  it('colours label names of a double-quoted query whose matchers span lines', () => {
    const plan = 'guardrails:\n  - name: a\n    query: "sum(rate(x{\n      code=~\\"5..\\",\n      version=\\"{{version}}\\"}[1m]))"\n    max: 1\n';
    const lines = tokenize.plan(plan);
    expect(scopesOf(lines, 'code')).toContain(LABEL);
    expect(scopesOf(lines, 'version')).toContain(LABEL);
    expect(scopesOf(lines, 'max')).toContain('support.type.property-name.rollout-plan');
  });

  it('colours a drift guardrail’s selector (label matchers) as PromQL, and the keys after it as the plan’s', () => {
    const plan = 'guardrails:\n  - name: d\n    kind: drift\n    histogram: score\n    selector: \'{version="{{version}}", job=~"api|web"}\'\n    window: 1m\n';
    const lines = tokenize.plan(plan);
    expect(scopesOf(lines, 'version')).toContain(LABEL);
    expect(scopesOf(lines, 'job')).toContain(LABEL);
    expect(scopesOf(lines, 'window')).toContain('support.type.property-name.rollout-plan');
  });
});
