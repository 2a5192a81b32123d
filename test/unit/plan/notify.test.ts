// The plan's `notify:` block in the editor: completion and hover come from the schema's
// descriptions like every other field, and the exported JSON Schema carries it for
// yaml-language-server. Findings and their exact spans are in the marker fixtures (notify-*).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { completePlan, hoverPlan, planJsonSchema, validatePlan } from '../../../src/core/plan';

const valid = readFileSync(join(__dirname, '../../fixtures/plans/valid/notify.rollout.yaml'), 'utf8');

describe('notify targets in a plan', () => {
  it('parse with the gate and event targets as written; defaults stay with the sender', () => {
    const { plan, diagnostics } = validatePlan(valid);
    expect(diagnostics).toEqual([]);
    expect(plan!.notify).toEqual([
      { name: 'oncall-slack', type: 'event', urlSecret: { secret: 'slack-webhook' }, events: ['breach', 'rollback', 'rollback-failed'], format: 'slack' },
      { name: 'audit', type: 'event', url: 'https://hooks.example.invalid/rollgate', headers: { 'X-Api-Key': { secret: 'audit-key' } }, timeout: '3s', retries: 5 },
      { name: 'release-gate', type: 'confirm-promotion', url: 'http://127.0.0.1:9999/gate', stages: ['canary-10'], interval: '5s', maxWait: '1h' },
    ]);
  });

  it('completes keys of a target and the values of type, format and events', () => {
    const keysAt = valid.indexOf('    format: slack');
    const keys = completePlan(`${valid.slice(0, keysAt)}    \n${valid.slice(keysAt)}`, keysAt + 4).map((item) => item.label);
    expect(keys).toEqual(expect.arrayContaining(['type', 'headers', 'timeout', 'retries', 'maxWait']));
    const typeAt = valid.indexOf('confirm-promotion');
    const types = completePlan(valid.replace('type: confirm-promotion', 'type: '), typeAt).map((item) => item.label);
    expect(types).toEqual(['event', 'confirm-promotion']);
    const formatAt = valid.indexOf('format: slack') + 'format: '.length;
    expect(completePlan(valid.replace('format: slack', 'format: '), formatAt).map((item) => item.label)).toEqual(['json', 'slack']);
  });

  it('hovers a key with its description from the schema', () => {
    const hover = hoverPlan(valid, valid.indexOf('urlSecret') + 2)!;
    expect(hover.markdown).toContain('**urlSecret**');
    expect(hover.markdown).toContain('Slack incoming webhooks');
    expect(hover.markdown).toContain('Path: `notify[0].urlSecret`');
    const maxWait = hoverPlan(valid, valid.indexOf('maxWait') + 1)!;
    expect(maxWait.markdown).toContain('pauses for a person');
  });

  it('is in the exported JSON Schema, with the events enum and secret-reference headers', () => {
    const schema = planJsonSchema() as { properties: { notify: { items: { properties: Record<string, { items?: { enum?: string[] }; additionalProperties?: { required?: string[] } }> } } } };
    const target = schema.properties.notify.items.properties;
    expect(target.events!.items!.enum).toEqual(['start', 'promote', 'pause', 'breach', 'rollback', 'rollback-failed', 'end']);
    expect(target.headers!.additionalProperties!.required).toEqual(['secret']);
  });
});
