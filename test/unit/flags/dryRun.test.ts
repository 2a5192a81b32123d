// A dry run of a plan with flags says which flag changes the rollout would make, and sends
// nothing: neither to the deployment endpoint nor to the flag service (a loopback listener that
// counts connections stands at both URLs).
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { main } from '../../../src/cli/main';

const repo = path.join(__dirname, '..', '..', '..');

describe('rollgate rollout --dry-run with flags', () => {
  it('shows the flag changes at start, per stage and on a rollback, and sends nothing', async () => {
    let connections = 0;
    const listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'rollgate-flags-dry-'));
      const plan = readFileSync(path.join(repo, 'examples', 'churn-flags.rollout.yaml'), 'utf8')
        .replaceAll('http://127.0.0.1:4242', url)
        .replaceAll('http://127.0.0.1:8700', url);
      writeFileSync(path.join(dir, 'plan.rollout.yaml'), plan);
      const stages = [...plan.matchAll(/traffic: (\d+)/g)].map((match) => Number(match[1]));
      expect(stages.length).toBeGreaterThan(0);
      // Guardrails read a recording in which the candidate's error rate breaches: the dry run rolls back.
      writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ 'error-rate': { '42': [0.5, 0.5, 0.5] } }));
      const run = async (args: string[]) => {
        let stdout = '';
        let stderr = '';
        const code = await main(args, { cwd: dir, env: {}, stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
        return { code, stdout, stderr };
      };

      const clean = await run(['rollout', 'plan.rollout.yaml', '--dry-run', '--format', 'json']);
      expect(clean.code, clean.stderr).toBe(0);
      const calls = (JSON.parse(clean.stdout) as { flagCalls: Array<{ flag: string; kind: string; enabled?: boolean; percent?: number }> }).flagCalls;
      expect(calls.every((call) => call.flag === 'new-ranking')).toBe(true);
      // Start: off at 0 %; then each stage's traffic as the percentage, on.
      const percents = calls.filter((call) => call.kind === 'set-rollout').map((call) => call.percent);
      expect(percents[0]).toBe(0);
      expect(percents.slice(1)).toEqual(stages.filter((traffic) => traffic > 0));
      expect(calls.some((call) => call.kind === 'set-enabled' && call.enabled === true)).toBe(true);

      const text = await run(['rollout', 'plan.rollout.yaml', '--dry-run', '--metrics', 'metrics.json']);
      expect(text.code, text.stderr).toBe(1);
      expect(text.stdout).toContain('feature flags are taken to start off, without a gradual rollout');
      expect(text.stdout).toContain('would set feature flags on Unleash');
      expect(text.stdout).toContain('would record the rollback to 41 with the traffic and the flags in one ledger entry');

      expect(connections).toBe(0);
      expect(existsSync(path.join(dir, '.rollgate'))).toBe(false);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
