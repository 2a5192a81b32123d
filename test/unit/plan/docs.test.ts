import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('docs/plan-format.md', () => {
  it('is what scripts/genPlanDocs.mjs generates from the current schema', async () => {
    const run = promisify(execFile);
    const result = await run(process.execPath, ['scripts/genPlanDocs.mjs', '--check'], { cwd: resolve(__dirname, '../../..') }).catch((error: { code: number; stderr: string }) => error);
    // On failure the message says how to regenerate the file.
    expect('stderr' in result ? result.stderr : '').toBe('');
    expect('code' in result ? result.code : 0).toBe(0);
  });
});
