import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), cwd: process.cwd(), env: {} };
  return { code: await main(args, io), stdout, stderr };
}

describe('rollgate entry point', () => {
  it('--help lists the commands and the exit codes', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: rollgate <command>/);
    expect(result.stdout).toContain('validate');
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 failure');
  });

  it('no command is a usage error, with the help on stderr', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: rollgate');
  });

  it('an unknown command is a usage error', async () => {
    const result = await run(['valdiate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'valdiate'");
  });
});
