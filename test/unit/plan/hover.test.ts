import { describe, expect, it } from 'vitest';
import { formatPlanPath, hoverPlan } from '../../../src/core/plan';

/**
 * Fixtures mark the hovered offset with `<|>` and the span the hover must cover with `«`/`»`.
 */
function marked(source: string): { text: string; offset: number; start: number; end: number } {
  let text = '';
  const marks: Record<string, number> = {};
  for (let i = 0; i < source.length;) {
    const marker = ['<|>', '«', '»'].find((candidate) => source.startsWith(candidate, i));
    if (marker) {
      marks[marker] = text.length;
      i += marker.length;
    } else {
      text += source[i];
      i++;
    }
  }
  const offset = marks['<|>'];
  if (offset === undefined) throw new Error('fixture has no <|> cursor marker');
  return { text, offset, start: marks['«'] ?? -1, end: marks['»'] ?? -1 };
}

const PLAN = `apiVersion: rollgate/v1
kind: RolloutPlan
metadata:
  name: churn
  service: churn-scorer
  environment: staging
guardrails:
  - name: error-rate
    query: sum(rate(errors[1m]))
    max: 0.02
stages:
  - { name: canary, kind: canary, traffic: 5, guardrails: [error-rate, missing-one] }
`;

function hoverAt(marking: (plan: string) => string) {
  const fixture = marked(marking(PLAN));
  return { fixture, hover: hoverPlan(fixture.text, fixture.offset) };
}

describe('hoverPlan', () => {
  it('describes a key with its type, requiredness, allowed values and span', () => {
    const { fixture, hover } = hoverAt((plan) => plan.replace('  environment:', '  «envi<|>ronment»:'));
    expect(hover).toMatchObject({ start: fixture.start, end: fixture.end });
    expect(hover!.markdown).toContain('**environment**');
    expect(hover!.markdown).toContain('required');
    expect(hover!.markdown).toContain('Environment the plan targets.');
    expect(hover!.markdown).toContain('Allowed values: `dev`, `test`, `staging`, `prod`');
    expect(hover!.markdown).toContain('Path: `metadata.environment`');
  });

  it('describes the field when hovering its value', () => {
    const { fixture, hover } = hoverAt((plan) => plan.replace('environment: staging', 'environment: «sta<|>ging»'));
    expect(hover).toMatchObject({ start: fixture.start, end: fixture.end });
    expect(hover!.markdown).toContain('Environment the plan targets.');
  });

  it('shows defaults and descriptions that sit on wrapper or inner types', () => {
    const text = 'guardrails:\n  - name: x\n    interval: 10s\n    onNoData: fail\nrollback:\n  to: baseline\n';
    const interval = hoverPlan(text, text.indexOf('interval') + 2)!;
    expect(interval.markdown).toContain('How often the guardrail is measured');
    expect(interval.markdown).toContain('Default: `30s`');
    expect(interval.markdown).toContain('optional');
    const rollback = hoverPlan(text, text.indexOf('rollback') + 1)!;
    expect(rollback.markdown).toContain('What happens when a guardrail is breached.');
    expect(rollback.markdown).toContain('Default: `{ to: baseline, automatic: true }`');
    const guardrails = hoverPlan(text, 1)!;
    expect(guardrails.markdown).toContain('Metric checks, referred to by name from stages.');
    expect(guardrails.markdown).toContain('`list of mapping`');
  });

  it('describes keys inside flow mappings in a list', () => {
    const { fixture, hover } = hoverAt((plan) => plan.replace('traffic: 5', '«traf<|>fic»: 5'));
    expect(hover).toMatchObject({ start: fixture.start, end: fixture.end });
    expect(hover!.markdown).toContain('Percent of live traffic the candidate receives');
    expect(hover!.markdown).toContain('Path: `stages[0].traffic`');
  });

  it('shows a referenced guardrail’s bounds and query', () => {
    const { fixture, hover } = hoverAt((plan) => plan.replace('[error-rate,', '[«error-<|>rate»,'));
    expect(hover).toMatchObject({ start: fixture.start, end: fixture.end });
    expect(hover!.markdown).toContain('**Guardrail `error-rate`**');
    expect(hover!.markdown).toContain('`max: 0.02`');
    expect(hover!.markdown).toContain('sum(rate(errors[1m]))');
  });

  it('says when a referenced guardrail is not defined', () => {
    const { hover } = hoverAt((plan) => plan.replace('missing-one', 'missing<|>-one'));
    expect(hover!.markdown).toContain('is not defined');
  });

  it('gives nothing for unknown keys, comments and blank space', () => {
    expect(hoverPlan('mystery: 1\n', 2)).toBeUndefined();
    expect(hoverPlan('# a comment\nkind: RolloutPlan\n', 4)).toBeUndefined();
    expect(hoverPlan('kind: RolloutPlan\n\n\n', 19)).toBeUndefined();
  });

  it('never throws on broken YAML', () => {
    const texts = ['', '{', 'a: [', 'metadata:\n  name: [x\n', '? a\n: b\n', 'a: |\n  x\n', '\u0000'];
    for (const text of texts) {
      for (let offset = -1; offset <= text.length + 1; offset++) expect(() => hoverPlan(text, offset)).not.toThrow();
    }
  });
});

describe('formatPlanPath', () => {
  it('writes indices in brackets and keys with dots', () => {
    expect(formatPlanPath(['stages', 2, 'guardrails', 0])).toBe('stages[2].guardrails[0]');
    expect(formatPlanPath([])).toBe('(plan)');
  });
});

describe('hoverPlan: guardrail kinds', () => {
  it('describes kind, histogram and judge from the schema', () => {
    const text = `${PLAN.replace('    max: 0.02\n', '    max: 0.02\n  - name: drift\n    kind: drift\n    histogram: rollgate_dev_prediction_score\n')}`;
    const at = (needle: string) => hoverPlan(text, text.indexOf(needle) + 1)?.markdown ?? '';
    expect(at('kind: drift')).toContain('drift: the candidate');
    expect(at('histogram:')).toContain('base name of a Prometheus histogram');
    const judged = text.replace('guardrails: [error-rate, missing-one] }', 'guardrails: [error-rate], judge: { pass: 80, marginal: 60 } }');
    expect(hoverPlan(judged, judged.indexOf('marginal') + 1)?.markdown).toContain('Score below which the stage fails at once');
  });
});
