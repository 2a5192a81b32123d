import { describe, expect, it } from 'vitest';
import { completePlan, findCursorContext, hoverPlan, type PlanCompletionItem } from '../../../src/core/plan';
import { generatePlan } from '../../support/generatePlan';

/**
 * Fixtures mark the cursor with `<|>` and, optionally, the span completion must replace with
 * `[[` and `]]` (the cursor inside it). The markers are stripped before the text is used.
 */
function marked(source: string): { text: string; offset: number; span?: { start: number; end: number } } {
  let text = '';
  let offset = -1;
  let spanStart: number | undefined;
  let spanEnd: number | undefined;
  for (let i = 0; i < source.length;) {
    if (source.startsWith('<|>', i)) {
      offset = text.length;
      i += 3;
    } else if (source.startsWith('[[', i)) {
      spanStart = text.length;
      i += 2;
    } else if (source.startsWith(']]', i)) {
      spanEnd = text.length;
      i += 2;
    } else {
      text += source[i];
      i++;
    }
  }
  if (offset < 0) throw new Error('fixture has no <|> cursor marker');
  return spanStart !== undefined && spanEnd !== undefined ? { text, offset, span: { start: spanStart, end: spanEnd } } : { text, offset };
}

function complete(source: string): { items: PlanCompletionItem[]; text: string; span?: { start: number; end: number } } {
  const { text, offset, span } = marked(source);
  return span ? { items: completePlan(text, offset), text, span } : { items: completePlan(text, offset), text };
}

const labels = (items: PlanCompletionItem[]) => items.map((item) => item.label);

const PLAN_HEAD = `apiVersion: rollgate/v1
kind: RolloutPlan
metadata:
  name: churn
  service: churn-scorer
  environment: staging
`;

const GUARDRAILS = `guardrails:
  - name: error-rate
    query: sum(rate(errors[1m]))
    max: 0.02
  - name: p99-latency
    query: histogram_quantile(0.99, x)
    relativeTo: baseline
    maxRatio: 1.2
`;

describe('completePlan: keys', () => {
  it('offers every top-level key in an empty document, required keys first', () => {
    const { items } = complete('<|>');
    expect(labels(items)).toEqual(['apiVersion', 'kind', 'metadata', 'model', 'endpoints', 'stages', 'lineage', 'guardrails', 'rollback', 'flags', 'notify', 'export']);
    expect(items.every((item) => item.kind === 'key')).toBe(true);
  });

  it('leaves out the keys already present in the mapping', () => {
    const { items } = complete(`${PLAN_HEAD}<|>\n`);
    const offered = labels(items);
    expect(offered).not.toContain('apiVersion');
    expect(offered).not.toContain('metadata');
    expect(offered).toContain('stages');
    expect(offered).toContain('rollback');
  });

  it('offers the keys of a nested mapping on a blank indented line', () => {
    const { items } = complete(`metadata:\n  name: churn\n  <|>\nmodel:\n  name: churn\n`);
    expect(labels(items)).toEqual(['service', 'environment', 'owner', 'description', 'labels']);
  });

  it('replaces the half-typed key and keeps its description and type', () => {
    const { items, span } = complete(`${PLAN_HEAD}stages:\n  - name: shadow\n    [[ki<|>]]\n`);
    const kind = items.find((item) => item.label === 'kind');
    expect(kind).toMatchObject({
      kind: 'key',
      insertText: 'kind: ',
      replaceStart: span!.start,
      replaceEnd: span!.end,
      detail: "'offline' | 'shadow' | 'canary' | 'blue-green' | 'full', required",
    });
    expect(kind!.documentation).toContain('canary: a share of live traffic');
    expect(labels(items)).not.toContain('name');
  });

  it('replaces the whole key when the cursor is inside an existing key, inserting only the name', () => {
    const { items, span } = complete(`${PLAN_HEAD}stages:\n  - name: shadow\n    [[ki<|>nd]]: shadow\n`);
    const kind = items.find((item) => item.label === 'kind');
    expect(kind).toMatchObject({ insertText: 'kind', replaceStart: span!.start, replaceEnd: span!.end });
  });

  it('offers stage keys in a new block sequence item', () => {
    const { items } = complete(`${PLAN_HEAD}stages:\n  - name: shadow\n    kind: shadow\n  - <|>\n`);
    expect(labels(items)).toEqual(['name', 'kind', 'traffic', 'mirror', 'bake', 'guardrails', 'approval', 'final', 'judge']);
  });

  it('offers keys inside a flow mapping, on one line, minus those present', () => {
    const { items, span } = complete(`${PLAN_HEAD}stages:\n  - { name: canary, kind: canary, [[tr<|>]] }\n`);
    expect(labels(items)).not.toContain('name');
    expect(labels(items)).not.toContain('kind');
    expect(items.find((item) => item.label === 'traffic')).toMatchObject({ insertText: 'traffic: ', replaceStart: span!.start, replaceEnd: span!.end });
  });

  it('indents the insert for a mapping-valued key and opens a list item for a list of mappings', () => {
    const { items } = complete(`${PLAN_HEAD}<|>`);
    expect(items.find((item) => item.label === 'model')!.insertText).toBe('model:\n  ');
    expect(items.find((item) => item.label === 'stages')!.insertText).toBe('stages:\n  - ');
    expect(items.find((item) => item.label === 'flags')!.insertText).toBe('flags:\n  - ');
  });

  it('reports the default of a defaulted key', () => {
    const { items } = complete(`${GUARDRAILS.slice(0, GUARDRAILS.indexOf('  - name: p99'))}    <|>\n`);
    expect(items.find((item) => item.label === 'onNoData')!.detail).toBe("'fail' | 'pass' | 'inconclusive', default inconclusive");
    expect(items.find((item) => item.label === 'failureLimit')!.detail).toBe('number, default 1');
    expect(labels(items)).not.toContain('query');
  });

  it('offers nothing under an unknown key', () => {
    const { items } = complete(`mystery:\n  <|>\n`);
    expect(items).toEqual([]);
  });

  it('offers nothing inside a comment', () => {
    const { items } = complete(`${PLAN_HEAD}# stages are <|>\n`);
    expect(items).toEqual([]);
  });
});

describe('completePlan: values', () => {
  it('offers enum values after a key, replacing what is typed', () => {
    const { items, span } = complete(`${PLAN_HEAD}stages:\n  - name: shadow\n    kind: [[sh<|>]]\n`);
    expect(labels(items)).toEqual(['offline', 'shadow', 'canary', 'blue-green', 'full']);
    expect(items[0]).toMatchObject({ kind: 'value', replaceStart: span!.start, replaceEnd: span!.end, insertText: 'offline' });
  });

  it('inserts a space when the cursor directly follows the colon', () => {
    const { text, items } = complete(`${PLAN_HEAD.replace('environment: staging', 'environment:<|>')}`);
    const prod = items.find((item) => item.label === 'prod')!;
    expect(prod.insertText).toBe(' prod');
    expect(text.slice(prod.replaceStart - 'environment:'.length, prod.replaceStart)).toBe('environment:');
    expect(prod.replaceEnd).toBe(prod.replaceStart);
  });

  it('offers the literal value of apiVersion and booleans for a boolean field', () => {
    expect(labels(complete('apiVersion: <|>\n').items)).toEqual(['rollgate/v1']);
    expect(labels(complete('rollback:\n  automatic: <|>\n').items)).toEqual(['true', 'false']);
  });

  it('offers enum values inside a flow mapping and inside quotes', () => {
    expect(labels(complete(`${PLAN_HEAD}stages:\n  - { name: c, kind: canary, approval: <|> }\n`).items)).toEqual(['manual', 'auto']);
    const quoted = complete(`${PLAN_HEAD}stages:\n  - name: c\n    approval: "[[ma<|>]]"\n`);
    expect(labels(quoted.items)).toEqual(['manual', 'auto']);
    expect(quoted.items[0]).toMatchObject({ replaceStart: quoted.span!.start, replaceEnd: quoted.span!.end });
  });

  it('offers the well-known default of a free-text field', () => {
    expect(labels(complete('rollback:\n  to: <|>\n').items)).toEqual(['baseline']);
  });

  it('offers nothing for a free-text value', () => {
    expect(complete(`${PLAN_HEAD.replace('name: churn', 'name: chu<|>rn')}`).items).toEqual([]);
  });
});

describe('completePlan: guardrail names in a stage', () => {
  it('offers the guardrails the plan defines in a flow list, minus those listed', () => {
    const { items, span } = complete(`${PLAN_HEAD}${GUARDRAILS}stages:\n  - name: shadow\n    kind: shadow\n    guardrails: [error-rate, [[p<|>]]]\n`);
    expect(labels(items)).toEqual(['p99-latency']);
    expect(items[0]).toMatchObject({ kind: 'guardrail', insertText: 'p99-latency', replaceStart: span!.start, replaceEnd: span!.end });
    expect(items[0]!.detail).toBe('guardrail (relativeTo: baseline, maxRatio: 1.2)');
    expect(items[0]!.documentation).toContain('histogram_quantile(0.99, x)');
  });

  it('offers them in a block list item, even when half typed', () => {
    const { items, span } = complete(`${PLAN_HEAD}stages:\n  - name: shadow\n    guardrails:\n      - [[err<|>]]\n${GUARDRAILS}`);
    expect(labels(items)).toEqual(['error-rate', 'p99-latency']);
    expect(items[0]).toMatchObject({ replaceStart: span!.start, replaceEnd: span!.end });
  });

  it('offers them on an empty block list item', () => {
    const { items } = complete(`${GUARDRAILS}stages:\n  - name: canary\n    guardrails:\n      - error-rate\n      - <|>\n`);
    expect(labels(items)).toEqual(['p99-latency']);
  });

  it('offers nothing when the plan defines no guardrails', () => {
    expect(complete(`stages:\n  - name: canary\n    guardrails: [<|>]\n`).items).toEqual([]);
  });
});

describe('findCursorContext', () => {
  it('reports the key position, path and existing keys of a half-typed stage', () => {
    const { text, offset } = marked(`stages:\n  - name: a\n    mirror: 5\n    ba<|>\n  - name: b\n`);
    const context = findCursorContext(text, offset)!;
    expect(context).toMatchObject({ position: 'key', path: ['stages', 0], existingKeys: ['name', 'mirror'], inSequenceItem: true, inFlow: false, typedPrefix: 'ba' });
  });

  it('reports the value position inside a flow sequence', () => {
    const { text, offset } = marked(`stages:\n  - { name: a, guardrails: [x, y<|>] }\n`);
    expect(findCursorContext(text, offset)).toMatchObject({ position: 'value', path: ['stages', 0, 'guardrails', 1], inSequenceItem: true, inFlow: true, typedPrefix: 'y' });
  });

  it('tolerates broken YAML elsewhere in the document', () => {
    const { text, offset } = marked(`metadata:\n  name: [unclosed\n  environment: <|>\nmodel: {\n`);
    expect(() => findCursorContext(text, offset)).not.toThrow();
    expect(() => completePlan(text, offset)).not.toThrow();
  });

  it('handles CRLF line ends', () => {
    const { text, offset } = marked('metadata:\r\n  name: x\r\n  env<|>\r\nmodel:\r\n  name: y\r\n');
    const items = completePlan(text, offset);
    const environment = items.find((item) => item.label === 'environment')!;
    expect(text.slice(environment.replaceStart, environment.replaceEnd)).toBe('env');
  });

  it('never throws on odd offsets and odd text', () => {
    const texts = ['', ':', '- - -', '{', '[', '"', "'", '? a\n: b', 'a: |\n  x\n', '---\n---\n', 'a: &x 1\nb: *x\n', '\t\t'];
    for (const text of texts) {
      for (let offset = -1; offset <= text.length + 1; offset++) {
        expect(() => completePlan(text, offset)).not.toThrow();
      }
    }
  });
});

describe('on a 5,000-line plan', () => {
  const text = generatePlan({ stages: 400, guardrails: 400 });

  it('completes a stage kind and hovers a key deep in the plan', () => {
    const kind = text.indexOf('kind:', Math.floor(text.length * 0.9));
    expect(kind).toBeGreaterThan(0);
    expect(labels(completePlan(text, kind + 'kind: '.length))).toEqual(['offline', 'shadow', 'canary', 'blue-green', 'full']);
    expect(hoverPlan(text, kind + 1)).toMatchObject({ start: kind, end: kind + 4 });
  });

  it('offers every defined guardrail name in a stage list, minus the listed ones', () => {
    const listed = text.indexOf('guardrails: [', Math.floor(text.length * 0.9));
    expect(listed).toBeGreaterThan(0);
    const items = completePlan(text, listed + 'guardrails: ['.length);
    expect(items.length).toBeGreaterThan(390);
    expect(items.every((item) => item.kind === 'guardrail')).toBe(true);
  });
});

describe('completePlan: guardrail kinds', () => {
  it('offers the four kinds, the drift methods and the compare directions as values', () => {
    expect(labels(complete(`${PLAN_HEAD}guardrails:\n  - name: drift\n    kind: <|>\n`).items)).toEqual(['threshold', 'drift', 'compare', 'calibration']);
    expect(labels(complete(`${PLAN_HEAD}guardrails:\n  - name: drift\n    kind: drift\n    method: <|>\n`).items)).toEqual(['psi', 'jensen-shannon']);
    expect(labels(complete(`${PLAN_HEAD}guardrails:\n  - name: c\n    kind: compare\n    direction: <|>\n`).items)).toEqual(['increase', 'decrease', 'either']);
    expect(labels(complete(`${PLAN_HEAD}guardrails:\n  - name: c\n    failureCounting: <|>\n`).items)).toEqual(['consecutive', 'total']);
  });

  it('offers the kind fields as keys with their documentation, and judge keys in a stage', () => {
    const keys = complete(`${PLAN_HEAD}guardrails:\n  - name: drift\n    kind: drift\n    <|>\n`).items;
    for (const key of ['histogram', 'selector', 'window', 'method', 'minSamples', 'confidence', 'tolerance', 'critical', 'failureCounting']) expect(labels(keys)).toContain(key);
    expect(keys.find((item) => item.label === 'method')!.documentation).toContain('default max 0.2');
    const judge = complete(`${PLAN_HEAD}stages:\n  - name: canary\n    judge: { <|> }\n`).items;
    expect(labels(judge)).toEqual(['pass', 'marginal']);
  });
});
