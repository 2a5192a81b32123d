import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSchema } from '../../../src/core/plan/schema';
import { describeSchemaField, schemaObjectFields } from '../../../src/core/plan/yamlPath';

const root = join(__dirname, '../../..');
const readJson = (relativePath: string) => JSON.parse(readFileSync(join(root, relativePath), 'utf8')) as Record<string, any>;

/** Every key the schema declares anywhere, walking mappings and list elements. */
function schemaKeys(schema: Parameters<typeof describeSchemaField>[0], found = new Set<string>()): Set<string> {
  const inner = describeSchemaField(schema).schema;
  for (const [key, child] of schemaObjectFields(inner)) {
    found.add(key);
    schemaKeys(child, found);
  }
  const def = (inner as unknown as { _zod: { def: { type: string; element?: unknown } } })._zod.def;
  if (def.type === 'array') schemaKeys(def.element as typeof schema, found);
  return found;
}

/** The alternatives of the `(?:a|b|c)` group in a grammar rule's match. */
function alternatives(match: string): string[] {
  const group = /\(\?:([\w|-]+)\)/.exec(match);
  expect(group, `a (?:...) key list in ${match}`).not.toBeNull();
  return group![1]!.split('|');
}

describe('rollout-plan grammar', () => {
  const grammar = readJson('syntaxes/rollout-plan.tmLanguage.json');
  const promql = readJson('syntaxes/promql.tmLanguage.json');

  it('is the grammar package.json contributes, over YAML, with PromQL embedded', () => {
    const contributed = (readJson('package.json').contributes.grammars as Array<Record<string, any>>).find((entry) => entry.language === 'rollout-plan');
    expect(contributed).toMatchObject({ scopeName: 'source.rollout-plan', path: './syntaxes/rollout-plan.tmLanguage.json' });
    expect(contributed!.embeddedLanguages).toMatchObject({ 'meta.embedded.promql': 'promql' });
    expect(grammar.scopeName).toBe('source.rollout-plan');
    expect(grammar.patterns).toEqual([{ include: 'source.yaml' }]);
    expect(promql.scopeName).toBe('source.promql');
    // Without its own contribution VS Code cannot resolve `include: source.promql` (seen in code-server).
    const grammars = readJson('package.json').contributes.grammars as Array<Record<string, any>>;
    expect(grammars).toContainEqual(expect.objectContaining({ scopeName: 'source.promql', path: './syntaxes/promql.tmLanguage.json' }));
    expect(JSON.stringify(grammar)).toContain('source.promql#in-yaml-double-quotes');
    expect(promql.repository['in-yaml-double-quotes']).toBeDefined();
  });

  it('scopes exactly the schema’s top-level keys as sections', () => {
    expect(alternatives(grammar.repository['top-level-key'].match).sort()).toEqual(
      schemaObjectFields(planSchema)
        .map(([key]) => key)
        .sort(),
    );
  });

  it('knows every key the schema declares, and no other', () => {
    const nested = new Set(alternatives(grammar.repository['known-key'].match));
    const topLevel = new Set(schemaObjectFields(planSchema).map(([key]) => key));
    const declaredBelowTop = [...schemaKeys(planSchema)].filter((key) => !topLevel.has(key) || key === 'kind' || key === 'guardrails');
    for (const key of declaredBelowTop) expect(nested.has(key), `grammar knows '${key}'`).toBe(true);
    for (const key of nested) expect(schemaKeys(planSchema).has(key), `'${key}' is a schema key`).toBe(true);
  });

  it('refers only to repository rules that exist', () => {
    for (const [name, file] of [
      ['rollout-plan', grammar],
      ['promql', promql],
    ] as const) {
      const local = [...JSON.stringify(file).matchAll(/"include":"#([\w-]+)"/g)].map((match) => match[1]!);
      for (const rule of local) expect(file.repository[rule], `${name} grammar rule #${rule}`).toBeDefined();
    }
  });
});
