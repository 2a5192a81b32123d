// Red-team finding 6: `rollout --dry-run` of a plan with a very long bake stepped through every
// measurement of it (11 minutes, 4 GB, deaf to SIGINT). A dry run now computes the part of a bake
// whose readings can only repeat instead of stepping through it, so it ends in bounded time
// whatever the durations, and it answers Ctrl-C.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';

const sample = readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'churn-canary.rollout.yaml'), 'utf8');

/** The sample plan with every bake at the schema's maximum and every interval at its minimum. */
const longest = sample.replace(/bake: \S+?([,}\s])/g, 'bake: 168h$1').replace(/interval: \S+/g, 'interval: 1s');

function workspace(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-dryrun-'));
  writeFileSync(path.join(dir, 'plan.rollout.yaml'), text);
  return dir;
}

async function rollout(dir: string, args: string[], interrupted?: Promise<void>) {
  let stdout = '';
  let stderr = '';
  const code = await main(['rollout', 'plan.rollout.yaml', '--dry-run', ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd: dir,
    env: {},
    ...(interrupted ? { interrupted } : {}),
  });
  return { code, stdout, stderr };
}

describe('a dry run of week-long bakes measured every second', () => {
  it('ends within seconds, computing the bakes, and would promote', async () => {
    expect(longest).toContain('bake: 168h');
    const dir = workspace(longest);
    const started = performance.now();
    const result = await rollout(dir, ['--format', 'json']);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { status: string; snapshot: { stages: Array<{ bakeMs: number; bakeElapsedMs: number; guardrails: Array<{ measurements: number }> }> }; decisions: unknown[] };
    expect(report.status).toBe('promoted');
    const baked = report.snapshot.stages.filter((stage) => stage.bakeMs > 0);
    expect(baked.length).toBeGreaterThan(0);
    for (const stage of baked) {
      expect(stage.bakeElapsedMs).toBe(stage.bakeMs);
      // Every measurement of the week is accounted for: computed, not stepped through.
      for (const guardrail of stage.guardrails) expect(guardrail.measurements).toBe(168 * 3600);
    }
    expect(report.decisions.length).toBeLessThan(200);
  });

  it('replays a recording, then computes the rest: a failing last value still breaches', async () => {
    const dir = workspace(longest);
    writeFileSync(path.join(dir, 'rec.json'), JSON.stringify({ 'error-rate': { '42': [0.001, 0.001, 0.5] } }));
    const started = performance.now();
    const result = await rollout(dir, ['--metrics', 'rec.json', '--format', 'json']);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(JSON.parse(result.stdout).status).toBe('rolled-back');
  });

  it('answers Ctrl-C: it stops, says so, exits 3', async () => {
    const dir = workspace(longest.replace(/approval: manual/g, 'approval: auto'));
    let interrupt!: () => void;
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    setImmediate(interrupt);
    const result = await rollout(dir, [], interrupted);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('interrupted');
  });
});
