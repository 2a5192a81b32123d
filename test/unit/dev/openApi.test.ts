// docs/deployment-api.yaml and the endpoint `rollgate dev` serves must agree: every documented
// operation exists, answers only documented statuses, and every reference in the document resolves.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDevStack, type DevStack } from '../../../src/dev/index';

interface Operation {
  parameters?: Array<{ $ref?: string }>;
  requestBody?: { content: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, unknown>;
  security?: unknown[];
}
const document = parse(readFileSync('docs/deployment-api.yaml', 'utf8')) as { openapi: string; paths: Record<string, Record<string, Operation>> };
const methods = ['get', 'put', 'post', 'delete'] as const;
const operations = Object.entries(document.paths).flatMap(([path, item]) => methods.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method] as Operation })));

const token = 'openapi-check-token';
let stack: DevStack;
beforeAll(async () => {
  stack = await startDevStack({ port: 0, prometheus: 'off', requestsPerSecond: 0, token });
});
afterAll(async () => {
  await stack?.stop();
});

function collectRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((child) => collectRefs(child, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else collectRefs(value, found);
    }
  }
  return found;
}

describe('docs/deployment-api.yaml', () => {
  it('is OpenAPI 3 and documents the whole contract', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`)).toEqual(
      expect.arrayContaining(['GET /v1/services/{service}', 'PUT /v1/services/{service}/traffic', 'POST /v1/services/{service}/rollback', 'POST /v1/services/{service}/versions']),
    );
  });

  it('every $ref resolves', () => {
    for (const ref of collectRefs(document)) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
      expect(target, ref).toBeDefined();
    }
  });

  it.each(operations)('$method $path: documented 401 without a token, documented success with it', async ({ path, method, operation }) => {
    const url = stack.deploymentUrl + path.replace('{service}', 'churn-scorer');
    const content = operation.requestBody?.content['application/json'];
    const example = content?.example ?? Object.values(content?.examples ?? {})[0]?.value;
    const init = { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: example === undefined ? undefined : JSON.stringify(example) };
    const anonymous = await fetch(url, init);
    expect(anonymous.status).toBe(401);
    expect(Object.keys(operation.responses)).toContain('401');
    const authorised = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
    const body = (await authorised.json()) as unknown;
    expect(Object.keys(operation.responses), JSON.stringify(body)).toContain(String(authorised.status));
    // `resume` is only valid after `pause`; everything else succeeds with its documented example.
    if (!path.endsWith('/resume')) expect(authorised.status, JSON.stringify(body)).toBeLessThan(300);
  });

  it('every documented fault example is accepted, and the documented 422 covers bad faults', async () => {
    const examples = document.paths['/v1/faults']!.post!.requestBody!.content['application/json']!.examples!;
    expect(Object.keys(examples)).toEqual(['serving', 'drift', 'accuracy', 'calibration']);
    const post = (body: unknown) => fetch(`${stack.deploymentUrl}/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    for (const { value } of Object.values(examples)) expect((await post(value)).status, JSON.stringify(value)).toBe(200);
    const faults = (await (await post({ version: '42', scoreShift: -0.1 })).json()) as { faults: unknown[] };
    expect(faults.faults).toEqual([{ version: '42', errorRate: 0.3, latencyMs: 200, scoreShift: -0.1, accuracyDrop: 0.5, miscalibration: 0.2 }]);
    for (const [bad, message] of [
      [{ version: '42', scoreShift: 2 }, '"scoreShift" must be a number from -1 to 1'],
      [{ version: '42', accuracyDrop: -0.1 }, '"accuracyDrop" must be a number from 0 to 1'],
      [{ version: '42', miscalibration: '0.2' }, '"miscalibration" must be a number from -1 to 1'],
      [{ version: '42', scoreshift: 0.3 }, 'unknown field "scoreshift"'],
    ] as const) {
      const response = await post(bad);
      expect(response.status).toBe(422);
      expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_fault', message: expect.stringContaining(message) });
    }
  });
});
