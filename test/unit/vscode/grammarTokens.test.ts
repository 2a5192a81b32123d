// Tokenizes plans with VS Code's own TextMate engine and YAML grammar, taken from the
// code-server install the host tests use (test/harness/ensureCodeServer.sh puts it in the cache).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '../../..');
const codeServerVersion = /CODE_SERVER_VERSION="\$\{CODE_SERVER_VERSION:-([\d.]+)\}"/.exec(readFileSync(join(root, 'test/harness/ensureCodeServer.sh'), 'utf8'))?.[1];
const cache = process.env.ROLLGATE_TEST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollgate-test');
const vscodeDir = join(cache, `code-server-${codeServerVersion}`, 'node_modules/code-server/lib/vscode');

interface Token {
  text: string;
  scopes: string[];
}
type TokenizeLines = (text: string) => Token[][];

async function loadTokenizers(): Promise<{ plan: TokenizeLines; yaml: TokenizeLines }> {
  if (!existsSync(join(vscodeDir, 'node_modules/vscode-textmate'))) {
    throw new Error(`VS Code's TextMate engine was not found under ${vscodeDir}; run test/harness/ensureCodeServer.sh first`);
  }
  const load = createRequire(join(vscodeDir, 'package.json'));
  const textmate = load('vscode-textmate');
  const oniguruma = load('vscode-oniguruma');
  await oniguruma.loadWASM(readFileSync(join(vscodeDir, 'node_modules/vscode-oniguruma/release/onig.wasm')).buffer);
  const yamlDir = join(vscodeDir, 'extensions/yaml/syntaxes');
  const files: Record<string, string> = {
    'source.rollout-plan': join(root, 'syntaxes/rollout-plan.tmLanguage.json'),
    'source.promql': join(root, 'syntaxes/promql.tmLanguage.json'),
  };
  for (const name of readdirSync(yamlDir)) {
    const scopeName = JSON.parse(readFileSync(join(yamlDir, name), 'utf8')).scopeName as string;
    files[scopeName] = join(yamlDir, name);
  }
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) => {
      const file = files[scopeName];
      return file ? textmate.parseRawGrammar(readFileSync(file, 'utf8'), file) : null;
    },
  });
  const tokenizer = async (scopeName: string): Promise<TokenizeLines> => {
    const grammar = await registry.loadGrammar(scopeName);
    return (text) => {
      let state = textmate.INITIAL;
      return text.split(/\r?\n/).map((line) => {
        const result = grammar.tokenizeLine(line, state);
        state = result.ruleStack;
        return (result.tokens as Array<{ startIndex: number; endIndex: number; scopes: string[] }>).map((token) => ({
          text: line.slice(token.startIndex, token.endIndex),
          scopes: token.scopes.slice(1),
        }));
      });
    };
  };
  return { plan: await tokenizer('source.rollout-plan'), yaml: await tokenizer('source.yaml') };
}

let tokenizers: { plan: TokenizeLines; yaml: TokenizeLines };
beforeAll(async () => {
  tokenizers = await loadTokenizers();
});

/** Scopes of the first token whose text is `text` on the line that contains `lineText`. */
function scopesOf(lines: Token[][], source: string, lineText: string, text: string): string[] {
  const index = source.split(/\r?\n/).findIndex((line) => line.includes(lineText));
  expect(index, `line containing ${lineText}`).toBeGreaterThanOrEqual(0);
  const token = lines[index]!.find((candidate) => candidate.text === text);
  expect(token, `token '${text}' on line ${index + 1}: ${JSON.stringify(lines[index])}`).toBeDefined();
  return token!.scopes;
}

const SAMPLE = `apiVersion: rollgate/v1
metadata:
  name: churn
  labels:
    team: ml
guardrails:
  - name: error-rate
    query: sum(rate(requests_total{version="{{version}}",code=~"5.."}[1m])) # five minutes
    max: 0.02
  - { name: quoted, query: "rate(x{a=\\"b\\"}[5m])", min: 0 }
stages:
  - { name: canary, kind: canary, traffic: 5 }
`;

describe('rollout-plan grammar tokens', () => {
  it('scopes top-level sections and known keys, leaving free keys as plain YAML keys', () => {
    const lines = tokenizers.plan(SAMPLE);
    expect(scopesOf(lines, SAMPLE, 'apiVersion', 'apiVersion')).toContain('entity.name.type.section.rollout-plan');
    expect(scopesOf(lines, SAMPLE, '  name: churn', 'name')).toContain('support.type.property-name.rollout-plan');
    expect(scopesOf(lines, SAMPLE, 'kind: canary', 'kind')).toContain('support.type.property-name.rollout-plan');
    const freeKey = scopesOf(lines, SAMPLE, 'team: ml', 'team');
    expect(freeKey).toContain('entity.name.tag.yaml');
    expect(freeKey.some((scope) => scope.endsWith('.rollout-plan'))).toBe(false);
  });

  it('embeds PromQL in plain and double-quoted query values, up to a YAML comment', () => {
    const lines = tokenizers.plan(SAMPLE);
    expect(scopesOf(lines, SAMPLE, 'query: sum', 'sum')).toEqual(expect.arrayContaining(['meta.embedded.promql', 'keyword.other.aggregation.promql']));
    expect(scopesOf(lines, SAMPLE, 'query: sum', 'rate')).toContain('support.function.promql');
    expect(scopesOf(lines, SAMPLE, 'query: sum', 'code')).toContain('entity.other.attribute-name.label.promql');
    expect(scopesOf(lines, SAMPLE, 'query: sum', '{{')).toContain('punctuation.definition.placeholder.begin.rollgate');
    expect(scopesOf(lines, SAMPLE, 'query: sum', '1m')).toContain('constant.numeric.duration.promql');
    expect(scopesOf(lines, SAMPLE, 'query: sum', ' five minutes')).toContain('comment.line.number-sign.yaml');
    expect(scopesOf(lines, SAMPLE, 'query: "rate', '5m')).toContain('constant.numeric.duration.promql');
    // The YAML string closes where it should, so `min` after it is a key again.
    expect(scopesOf(lines, SAMPLE, 'query: "rate', 'min')).toContain('support.type.property-name.rollout-plan');
    expect(scopesOf(lines, SAMPLE, '    max: 0.02', '0.02')).toContain('constant.numeric.float.yaml');
  });

  it('keeps VS Code’s YAML colouring everywhere else in the example plans', () => {
    const examples = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.rollout.yaml'));
    expect(examples.length).toBeGreaterThan(0);
    const ours = (scope: string) => scope.endsWith('.rollout-plan');
    for (const name of examples) {
      const source = readFileSync(join(root, 'examples', name), 'utf8');
      const planLines = tokenizers.plan(source);
      const yamlLines = tokenizers.yaml(source);
      source.split(/\r?\n/).forEach((line, index) => {
        if (/(^|[\s,{])(query|selector):/.test(line)) return; // PromQL (a query, a drift selector) replaces YAML's scalar there
        const strip = (tokens: Token[]) => tokens.map((token) => `${token.text} ${token.scopes.filter((scope) => !ours(scope)).join(' ')}`);
        expect(strip(planLines[index]!), `${name}:${index + 1}`).toEqual(strip(yamlLines[index]!));
      });
    }
  });
});
