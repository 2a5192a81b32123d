import { describe, expect, it } from 'vitest';

import { Redactor, REDACTED, maskCredentialHeaders } from '../../../src/core/cells/redact';
import { buildVariableScope, findPlaceholders, lookupVariable, renderTemplate, resolveTemplate, unresolvedDiagnostics } from '../../../src/core/cells/variables';

describe('variables', () => {
  const plan = {
    metadata: { name: 'churn-v42', service: 'churn-scorer', environment: 'staging' },
    model: { candidate: { version: '42' }, baseline: { version: '41' } },
    endpoints: { deployment: { url: 'http://127.0.0.1:8700', token: { secret: 'deploy-token' } } },
    stages: [{ name: 'shadow' }],
  };

  it('finds placeholders with offsets and trims the expression', () => {
    const text = 'a {{ x.y }} b {{secret:t}}';
    expect(findPlaceholders(text)).toEqual([
      { expression: 'x.y', start: 2, end: 11 },
      { expression: 'secret:t', start: 14, end: 26 },
    ]);
    expect(findPlaceholders('{{a}}', 10)[0]).toMatchObject({ start: 10, end: 15 });
  });

  it('looks up dotted paths and indices, and reports missing steps', () => {
    const scope = { a: { b: [{ c: 1 }] }, zero: 0 };
    expect(lookupVariable(scope, 'a.b.0.c')).toEqual({ found: true, value: 1 });
    expect(lookupVariable(scope, 'a.b[0].c')).toEqual({ found: true, value: 1 });
    expect(lookupVariable(scope, 'zero')).toEqual({ found: true, value: 0 });
    expect(lookupVariable(scope, 'a.x')).toEqual({ found: false });
    expect(lookupVariable(scope, 'a.b.0.c.d')).toEqual({ found: false });
    expect(lookupVariable(scope, 'toString')).toEqual({ found: false });
  });

  it('builds the scope from plan, front matter, environment and outputs (later wins)', () => {
    const scope = buildVariableScope({
      plan,
      frontMatter: { title: 'Drill', environment: 'staging', owner: 'me', environments: { prod: { base: 'https://prod' }, staging: { base: 'http://stg' } } },
      environment: 'prod',
      outputs: { status: { body: { stable: '41' } } },
    });
    expect(lookupVariable(scope, 'candidate.version').value).toBe('42');
    expect(lookupVariable(scope, 'baseline.version').value).toBe('41');
    expect(lookupVariable(scope, 'metadata.service').value).toBe('churn-scorer');
    expect(lookupVariable(scope, 'endpoints.deployment.url').value).toBe('http://127.0.0.1:8700');
    expect(lookupVariable(scope, 'title').value).toBe('Drill');
    expect(lookupVariable(scope, 'environment').value).toBe('prod');
    expect(lookupVariable(scope, 'base').value).toBe('https://prod');
    expect(lookupVariable(scope, 'environments').found).toBe(false);
    expect(lookupVariable(scope, 'status.body.stable').value).toBe('41');
  });

  it('resolves text, keeps secrets apart and names unresolved variables with offsets', () => {
    const scope = buildVariableScope({ plan });
    const text = 'GET {{endpoints.deployment.url}}/v1/{{metadata.service}}?v={{nope.x}} {{endpoints.deployment.token}} {{secret:other}}';
    const resolved = resolveTemplate(text, scope, 100);
    expect(resolved.secrets).toEqual(['deploy-token', 'other']);
    expect(renderTemplate(resolved)).toBe('GET http://127.0.0.1:8700/v1/churn-scorer?v={{nope.x}} {{secret:deploy-token}} {{secret:other}}');
    expect(renderTemplate(resolved, (name) => `<${name}>`)).toContain('<deploy-token> <other>');
    expect(resolved.unresolved).toHaveLength(1);
    const diagnostics = unresolvedDiagnostics(resolved.unresolved);
    expect(diagnostics[0]!.message).toContain('{{nope.x}}');
    expect(text.slice(diagnostics[0]!.start - 100, diagnostics[0]!.end - 100)).toBe('{{nope.x}}');
  });

  it('stringifies numbers and objects, treats null as unresolved', () => {
    const resolved = resolveTemplate('{{n}} {{o}} {{z}}', { n: 5, o: { a: 1 }, z: null });
    expect(renderTemplate(resolved)).toBe('5 {"a":1} {{z}}');
    expect(resolved.unresolved.map((placeholder) => placeholder.expression)).toEqual(['z']);
  });
});

describe('redaction', () => {
  it('removes a secret and its URL- and JSON-escaped forms from text and nested data', () => {
    const redactor = new Redactor();
    const secret = 's3cr3t/"value"&more';
    redactor.add(secret);
    expect(redactor.redact(`a ${secret} b ${encodeURIComponent(secret)} c ${JSON.stringify(secret)}`)).not.toContain('s3cr3t');
    const data = redactor.redactDeep({ list: [`x${secret}`], [secret]: 1, n: 2 });
    expect(JSON.stringify(data)).not.toContain('s3cr3t');
    expect(data.n).toBe(2);
    expect(data.list[0]).toBe(`x${REDACTED}`);
  });

  it('finds a JSON-escaped secret inside a string inside data (the serialised pre-check must not miss it)', () => {
    const redactor = new Redactor();
    const secret = 'quote"d-secret';
    redactor.add(secret);
    const echoed = { body: JSON.stringify({ token: secret }) };
    expect(JSON.stringify(redactor.redactDeep(echoed))).not.toContain('d-secret');
  });

  it('leaves text alone when no secret is known, and ignores values too short to be credentials', () => {
    const redactor = new Redactor();
    expect(redactor.redact('abc')).toBe('abc');
    redactor.add('ab');
    expect(redactor.redact('abc')).toBe('abc');
  });

  it('masks credential headers but keeps secret markers readable', () => {
    expect(
      maskCredentialHeaders([
        ['Authorization', 'Bearer inline-token'],
        ['X-Api-Key', 'k'],
        ['Authorization', 'Bearer {{secret:deploy-token}}'],
        ['Accept', 'application/json'],
      ]),
    ).toEqual([
      ['Authorization', `Bearer ${REDACTED}`],
      ['X-Api-Key', REDACTED],
      ['Authorization', 'Bearer {{secret:deploy-token}}'],
      ['Accept', 'application/json'],
    ]);
  });
});
