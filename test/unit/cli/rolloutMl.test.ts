// `rollgate rollout --dry-run` on the ML guardrails sample: what the text and JSON outputs show of
// drift numbers, and that a dry run without metrics goes through a judged stage instead of pausing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';

const plan = 'examples/churn-ml-guardrails.rollout.yaml';

async function rollgate(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { cwd: process.cwd(), env: {}, stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

/** A recording whose candidate scores sit much higher than the baseline's: PSI ≈ 1.19. */
function shiftedScores(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rollgate-ml-')), 'metrics.json');
  const recording = {
    'score-drift': {
      '42': [{ buckets: { '0.25': 100, '0.5': 200, '0.75': 600, '1': 1000, '+Inf': 1000 } }],
      '41': [{ buckets: { '0.25': 400, '0.5': 700, '0.75': 900, '1': 1000, '+Inf': 1000 } }],
    },
  };
  writeFileSync(file, JSON.stringify(recording));
  return file;
}

describe('rollgate rollout --dry-run on ML guardrails', () => {
  it('without metrics: no guardrail is measured, the judged stage does not decide, the dry run promotes', async () => {
    const result = await rollgate(['rollout', plan, '--dry-run']);
    expect(result.stdout).toContain('stage canary-25 judged: not judged: no guardrail was measured (dry run)');
    expect(result.stdout).toContain('WOULD PROMOTE');
    expect(result.code).toBe(0);
  });

  it('text output names the drift number, its bound and the observations behind it', async () => {
    const result = await rollgate(['rollout', plan, '--dry-run', '--metrics', shiftedScores()]);
    expect(result.stdout).toContain('score-drift: fail: PSI 1.19 is above max 0.2 (1000 candidate vs 1000 baseline observations in 1m');
    expect(result.stdout).toContain('would send POST rollback to 41');
  });

  it('JSON output carries both distributions bucket by bucket', async () => {
    const result = await rollgate(['rollout', plan, '--dry-run', '--metrics', shiftedScores(), '--format', 'json']);
    const report = JSON.parse(result.stdout) as {
      status: string;
      snapshot: { stages: { name: string; guardrails: { name: string; last?: { value?: number; drift?: { buckets: string[]; candidateCounts: number[]; baselineCounts: number[] } } }[] }[] };
    };
    expect(report.status).toBe('rolled-back');
    const drift = report.snapshot.stages[0]!.guardrails.find((guardrail) => guardrail.name === 'score-drift')!.last!;
    expect(drift.value).toBeCloseTo(1.19, 2);
    expect(drift.drift).toMatchObject({ buckets: ['0.25', '0.5', '0.75', '1', '+Inf'], candidateCounts: [100, 100, 400, 400, 0], baselineCounts: [400, 300, 200, 100, 0] });
  });
});
