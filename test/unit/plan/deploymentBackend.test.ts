// `endpoints.deployment.type`: the Rollgate API (default) or HAProxy. Completion, hover and
// findings follow the option the plan names; the capabilities a backend declares are checked
// at the stage that needs more.
import { describe, expect, it } from 'vitest';

import { backendProfile } from '../../../src/core/backends/profiles';
import { completePlan, hoverPlan, planJsonSchema, planRuleDescriptions, validatePlan } from '../../../src/core/plan';

const plan = (deployment: string, stages = '  - { name: canary, kind: canary, traffic: 5 }\n  - { name: full, kind: full }\n') => `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: churn-v42, service: churn-scorer, environment: staging }
model:
  name: churn
  candidate: { version: "42", artifact: s3://m/42, digest: "sha256:${'a'.repeat(64)}" }
  baseline: { version: "41", artifact: s3://m/41, digest: "sha256:${'b'.repeat(64)}" }
endpoints:
  deployment:
${deployment}
  metrics: { url: "http://127.0.0.1:9090" }
stages:
${stages}`;

const HAPROXY = '    type: haproxy\n    url: tcp://127.0.0.1:9999\n    backend: churn-scorer\n    servers: { "41": v41, "42": v42 }';

describe('the plan names its deployment backend', () => {
  it('a plan without type is the Rollgate API, unchanged; type: haproxy reads its own fields', () => {
    const rollgate = validatePlan(plan('    url: http://127.0.0.1:8700\n    token: { secret: deploy-token }'));
    expect(rollgate.diagnostics).toEqual([]);
    expect(rollgate.plan?.endpoints.deployment).toEqual({ type: 'rollgate', url: 'http://127.0.0.1:8700', token: { secret: 'deploy-token' } });
    const haproxy = validatePlan(plan(HAPROXY));
    expect(haproxy.diagnostics).toEqual([]);
    expect(haproxy.plan?.endpoints.deployment).toEqual({ type: 'haproxy', url: 'tcp://127.0.0.1:9999', backend: 'churn-scorer', servers: { '41': 'v41', '42': 'v42' } });
  });

  it('an unknown key lists the keys of the option the plan names', () => {
    const text = plan(`${HAPROXY}\n    token: { secret: deploy-token }`);
    const [finding] = validatePlan(text).diagnostics;
    expect(finding).toMatchObject({ code: 'schema/unknown-key', message: "Unknown key 'token' in endpoints.deployment. Allowed keys: type, url, backend, servers, timeout." });
    expect(text.slice(finding!.start, finding!.end)).toBe('token');
    const typo = validatePlan(plan('    url: http://127.0.0.1:8700\n    tokn: { secret: deploy-token }')).diagnostics[0];
    expect(typo?.message).toBe("Unknown key 'tokn' in endpoints.deployment. Did you mean 'token'?");
  });

  it('an unknown type names the backends, with a fix', () => {
    const text = plan('    type: haproxi\n    url: tcp://127.0.0.1:9999');
    const [finding] = validatePlan(text).diagnostics;
    expect(finding).toMatchObject({ code: 'schema/invalid-value', message: "'endpoints.deployment.type' must be one of rollgate, haproxy, not the text 'haproxi'. Did you mean 'haproxy'?" });
    expect(finding?.fix?.edits).toEqual([{ start: finding!.start, end: finding!.end, text: 'haproxy' }]);
  });

  it('a shadow stage is refused at that stage for HAProxy, which has no mirroring, but not for the Rollgate API', () => {
    const stages = '  - { name: shadow, kind: shadow, mirror: 100 }\n  - { name: canary, kind: canary, traffic: 5 }\n  - { name: full, kind: full }\n';
    expect(validatePlan(plan('    url: http://127.0.0.1:8700', stages)).diagnostics).toEqual([]);
    const text = plan(HAPROXY, stages);
    const findings = validatePlan(text).diagnostics;
    expect(findings.map((finding) => [finding.code, text.slice(finding.start, finding.end)])).toEqual([['plan/backend-cannot-mirror', 'shadow']]);
    expect(findings[0]!.message).toBe(
      "Stage 'shadow' is a shadow stage, which copies live traffic to the candidate, but HAProxy (runtime API) (endpoints.deployment.type: haproxy) has no native mirroring. Remove the stage, or test the candidate with a small canary share instead.",
    );
  });

  it('backends declare their capabilities, and every finding code is documented', () => {
    expect(backendProfile('haproxy').capabilities.mirror).toBe(false);
    expect(backendProfile('rollgate').capabilities.mirror).toBe(true);
    expect(backendProfile('haproxy').capabilities.splitProblem({ '41': 95, '42': 5 })).toBeUndefined();
    expect(backendProfile('haproxy').capabilities.splitProblem({ '41': 66.67, '42': 33.33 })).toContain('cannot split traffic exactly');
    for (const code of ['plan/backend-cannot-mirror', 'plan/backend-inexact-split', 'plan/haproxy-version-without-server', 'plan/haproxy-shared-server', 'plan/haproxy-remote-runtime-api']) {
      expect(planRuleDescriptions[code], code).toBeTruthy();
    }
  });

  it('the JSON Schema says the same: one of the two shapes', () => {
    const endpoints = (planJsonSchema().properties as Record<string, any>).endpoints;
    const options = endpoints.properties.deployment.oneOf as Array<{ properties: Record<string, any>; required: string[] }>;
    expect(options.map((option) => option.properties.type.const)).toEqual(['rollgate', 'haproxy']);
    expect(options[1]!.required.sort()).toEqual(['backend', 'servers', 'type', 'url']);
  });
});

describe('completion and hover follow the option', () => {
  const at = (text: string, marker: string) => {
    const offset = text.indexOf(marker);
    if (offset < 0) throw new Error(`no ${marker}`);
    return { text: text.replace(marker, ''), offset };
  };

  it('offers both types as values of type', () => {
    const { text, offset } = at(plan('    type: <|>\n    url: tcp://127.0.0.1:9999'), '<|>');
    const items = completePlan(text, offset);
    expect(items.map((item) => item.label)).toEqual(['rollgate', 'haproxy']);
    expect(items[0]!.detail).toBe("'rollgate' | 'haproxy', default rollgate");
  });

  it('offers the keys of the option the mapping names', () => {
    const haproxy = at(plan('    type: haproxy\n    url: tcp://127.0.0.1:9999\n    <|>'), '<|>');
    expect(completePlan(haproxy.text, haproxy.offset).map((item) => item.label)).toEqual(['backend', 'servers', 'timeout']);
    const rollgate = at(plan('    url: http://127.0.0.1:8700\n    <|>'), '<|>');
    expect(completePlan(rollgate.text, rollgate.offset).map((item) => item.label)).toEqual(['type', 'token', 'timeout']);
  });

  it('offers the candidate and baseline versions as keys of servers', () => {
    const { text, offset } = at(plan('    type: haproxy\n    url: tcp://127.0.0.1:9999\n    backend: churn-scorer\n    servers:\n      "41": v41\n      <|>'), '<|>');
    const items = completePlan(text, offset);
    expect(items.map((item) => [item.label, item.insertText, item.detail])).toEqual([['42', '"42": ', 'candidate version -> server name']]);
  });

  it('hover describes the field of the option: the runtime API for haproxy, the base URL for rollgate', () => {
    const haproxy = at(plan(HAPROXY.replace('url:', 'u<|>rl:')), '<|>');
    expect(hoverPlan(haproxy.text, haproxy.offset)?.markdown).toContain("HAProxy's runtime API, the address of a `stats socket … level admin` line");
    const rollgate = at(plan('    u<|>rl: http://127.0.0.1:8700'), '<|>');
    expect(hoverPlan(rollgate.text, rollgate.offset)?.markdown).toContain('Base URL of the deployment endpoint (Rollgate deployment API).');
    const type = at(plan(HAPROXY.replace('type:', 'ty<|>pe:')), '<|>');
    expect(hoverPlan(type.text, type.offset)?.markdown).toContain('Allowed values: `rollgate`, `haproxy`');
  });
});
