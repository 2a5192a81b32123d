// Red-team finding: a 56 MB plan exhausted the heap after 82 s (a 5.5 MB plan took 600 MB).
// Plans over 1 MB and runbooks over 4 MB are refused before parsing, with a message, in the
// core (so the editor's validator, the side panel and every CLI command) and by the CLI.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';
import { MAX_PLAN_BYTES, MAX_RUNBOOK_BYTES } from '../../../src/core/files/limits';
import { PlanValidator } from '../../../src/core/plan/incremental';
import { validatePlan } from '../../../src/core/plan/validate';
import { parseRunbook, serializeRunbook } from '../../../src/core/runbook/index';

const sample = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'churn-canary.rollout.yaml'), 'utf8');

/** The sample plan with guardrails appended until it passes `bytes`: valid YAML all the way. */
function largePlan(bytes: number): string {
  const parts = [sample.replace(/\nguardrails:\n/, '\nguardrails:\n')];
  let size = sample.length;
  for (let index = 0; size < bytes; index++) {
    const guardrail = `  - name: extra-${index}\n    query: sum(rate(rollgate_dev_requests_total{version="{{version}}",code=~"5.."}[1m]))\n    max: 0.02\n`;
    parts.push(guardrail);
    size += guardrail.length;
  }
  return parts.join('').replace(/\nguardrails:\n([\s\S]*?)\nstages:/, (_all, first: string) => `\nguardrails:\n${first}\nstages:`);
}

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd, env: {} });
  return { code, stdout, stderr };
}

describe('large input', () => {
  it('a plan over 1 MB is refused at once with a message, by validatePlan and by the editor validator', () => {
    const text = `${sample}\n${'# padding comment line\n'.repeat(Math.ceil((MAX_PLAN_BYTES * 1.5) / 23))}`;
    const started = performance.now();
    const result = validatePlan(text);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.plan).toBeUndefined();
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'error', code: 'plan/too-large', message: expect.stringContaining('at most 1 MB') })]);
    expect(new PlanValidator().validate(text).diagnostics[0]!.code).toBe('plan/too-large');
  });

  it('a plan just under the limit is still validated', () => {
    const text = `${sample}\n${'# padding comment line\n'.repeat(Math.floor((MAX_PLAN_BYTES * 0.9 - sample.length) / 23))}`;
    expect(validatePlan(text).diagnostics.filter((one) => one.severity === 'error')).toEqual([]);
  });

  it('a runbook over 4 MB is refused, and kept byte for byte if it is serialised again', () => {
    const text = `---\ntitle: huge\n---\n# Huge\n\n${'A line of prose in a very long runbook.\n'.repeat(Math.ceil((MAX_RUNBOOK_BYTES * 1.2) / 40))}`;
    const parsed = parseRunbook(text);
    expect(parsed.diagnostics[0]).toMatchObject({ severity: 'error', code: 'runbook/too-large' });
    expect(serializeRunbook(parsed)).toBe(text);
  });

  it('the CLI refuses both with a clear message', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rollgate-large-'));
    writeFileSync(join(folder, 'big.rollout.yaml'), largePlan(MAX_PLAN_BYTES + 1024));
    const validate = await cli(['validate', 'big.rollout.yaml'], folder);
    expect(validate.code).toBe(1);
    expect(validate.stdout + validate.stderr).toContain('Rollgate reads plans of at most 1 MB');
    writeFileSync(join(folder, 'big.runbook.md'), `# x\n${'y'.repeat(MAX_RUNBOOK_BYTES + 1)}\n`);
    const run = await cli(['run', 'big.runbook.md'], folder);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Rollgate reads runbooks of at most 4 MB');
  });
});
