// Completion and hover for the plan's flags (endpoints.flags and the flags list), read from the
// same schema the validator uses; positions are marked in the text with `<|>`.
import { describe, expect, it } from 'vitest';

import { completePlan, hoverPlan } from '../../../src/core/plan';

function at(source: string): { text: string; offset: number } {
  const offset = source.indexOf('<|>');
  if (offset < 0) throw new Error('fixture has no <|> marker');
  return { text: source.replace('<|>', ''), offset };
}

const complete = (source: string) => {
  const { text, offset } = at(source);
  return completePlan(text, offset);
};
const labels = (source: string) => complete(source).map((item) => item.label);

const HEAD = `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: churn, service: churn-scorer, environment: staging }
`;

describe('flags in the plan editor', () => {
  it('offers flags beside the deployment and metric endpoints', () => {
    expect(labels(`${HEAD}endpoints:\n  deployment: { url: "http://127.0.0.1:8700" }\n  metrics: { url: "http://127.0.0.1:9090" }\n  <|>\n`)).toEqual(['flags']);
  });

  it("offers the flag endpoint's keys, required first, and its provider types", () => {
    const keys = complete(`${HEAD}endpoints:\n  flags:\n    <|>\n`);
    expect(keys.map((item) => item.label)).toEqual(['type', 'url', 'token', 'environment', 'project', 'timeout']);
    expect(keys.find((item) => item.label === 'project')!.detail).toBe('string, default default');
    expect(labels(`${HEAD}endpoints:\n  flags:\n    type: <|>\n`)).toEqual(['unleash']);
  });

  it("offers a flag's keys and the values of default and onRollback", () => {
    expect(labels(`${HEAD}flags:\n  - name: new-ranking\n    <|>\n`)).toEqual(['default', 'followTraffic', 'onRollback', 'description']);
    expect(labels(`${HEAD}flags:\n  - name: new-ranking\n    default: <|>\n`)).toEqual(['on', 'off']);
    const onRollback = complete(`${HEAD}flags:\n  - name: new-ranking\n    onRollback: <|>\n`);
    expect(onRollback.map((item) => item.label)).toEqual(['restore', 'off', 'on']);
    expect(onRollback[0]!.detail).toBe("'restore' | 'off' | 'on', default restore");
    expect(labels(`${HEAD}flags:\n  - name: new-ranking\n    followTraffic: <|>\n`)).toEqual(['true', 'false']);
  });

  it('explains followTraffic and onRollback on hover, over exactly the hovered word', () => {
    const { text, offset } = at(`${HEAD}flags:\n  - name: new-ranking\n    default: off\n    follow<|>Traffic: true\n    onRollback: restore\n`);
    const hover = hoverPlan(text, offset)!;
    expect(text.slice(hover.start, hover.end)).toBe('followTraffic');
    expect(hover.markdown).toContain("gradual-rollout percentage follows the candidate's traffic");
    expect(hover.markdown).toContain('Path: `flags[0].followTraffic`');

    const value = at(`${HEAD}flags:\n  - name: new-ranking\n    default: off\n    onRollback: rest<|>ore\n`);
    const valueHover = hoverPlan(value.text, value.offset)!;
    expect(value.text.slice(valueHover.start, valueHover.end)).toBe('restore');
    expect(valueHover.markdown).toContain('Allowed values: `restore`, `off`, `on`');
    expect(valueHover.markdown).toContain('the state recorded when the rollout started');
  });

  it('explains the flag endpoint environment on hover', () => {
    const { text, offset } = at(`${HEAD}endpoints:\n  flags: { type: unleash, url: "http://127.0.0.1:4242", token: { secret: unleash-token }, envi<|>ronment: production }\n`);
    const hover = hoverPlan(text, offset)!;
    expect(text.slice(hover.start, hover.end)).toBe('environment');
    expect(hover.markdown).toContain('Unleash environment whose flag state the rollout changes');
    expect(hover.markdown).toContain('required');
  });
});
