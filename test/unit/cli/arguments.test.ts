// The flag walker shared by `rollgate rollout` and `rollgate rollback`, and what those commands say
// about bad arguments (before anything is read or sent).
import { describe, expect, it } from 'vitest';

import { walkArguments } from '../../../src/cli/arguments';
import { main } from '../../../src/cli/main';

async function rollgate(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { cwd: process.cwd(), env: {}, stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

describe('walkArguments', () => {
  it('reads --flag value, --flag=value and positionals in order', () => {
    const seen: string[] = [];
    const positional = walkArguments(['plan.yaml', '--to', '41', '--format=json', '--yes', 'extra'], 'help', (flag, value) => {
      seen.push(flag === '--yes' ? flag : `${flag}=${value()}`);
      return true;
    });
    expect(seen).toEqual(['--to=41', '--format=json', '--yes']);
    expect(positional).toEqual(['plan.yaml', 'extra']);
  });

  it('an unknown flag and a missing value are usage errors that say which', () => {
    expect(() => walkArguments(['--bogus'], 'the help', () => false)).toThrow("unknown option '--bogus'.\n\nthe help");
    expect(() => walkArguments(['--reason'], 'help', (_flag, value) => Boolean(value()))).toThrow('--reason needs a value');
    expect(() => walkArguments(['--reason='], 'help', (_flag, value) => Boolean(value()))).toThrow('--reason needs a value');
  });
});

describe('help', () => {
  it("--help and -h print the command's help and exit 0; an unknown option before them is still an error", async () => {
    for (const command of ['export', 'import', 'report', 'rollback', 'rollout']) {
      for (const args of [['--help'], ['missing.yaml', '-h'], ['--bogus', '--help']]) {
        const shown = await rollgate([command, ...args]);
        // '--bogus' before '--help' is an unknown option: the walk stops at the first problem.
        if (args[0] === '--bogus') {
          expect(shown.code, `${command} ${args.join(' ')}`).toBe(2);
          continue;
        }
        expect(shown, `${command} ${args.join(' ')}`).toMatchObject({ code: 0, stderr: '' });
        expect(shown.stdout, `${command} ${args.join(' ')}`).toMatch(new RegExp(`rollgate ${command}`));
      }
    }
  });
});

describe('rollout and rollback arguments', () => {
  it('are checked before the plan is read', async () => {
    expect(await rollgate(['rollback', 'missing.yaml', '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--bogus'") });
    expect(await rollgate(['rollback', 'missing.yaml', '--reason'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason needs a value') });
    expect(await rollgate(['rollout', 'missing.yaml', '--format=yaml'])).toMatchObject({ code: 2, stderr: expect.stringContaining("--format must be text or json, got 'yaml'") });
    expect(await rollgate(['rollback', 'missing.yaml', '--yes'])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
    const help = await rollgate(['rollback', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rollgate rollback <plan.rollout.yaml> --yes [options]');
  });
});
