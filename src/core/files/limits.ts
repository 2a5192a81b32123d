// Size limits of the files Rollgate parses. A 56 MB plan exhausted the heap after 82 s and a
// 5.5 MB plan took 600 MB: plans and runbooks are small hand-written files, so anything far
// larger is refused with a clear message before it is parsed, in the editor and the CLI alike.
import { promises as fs } from 'node:fs';

/** The largest rollout plan Rollgate validates (real plans are a few KB). */
export const MAX_PLAN_BYTES = 1024 * 1024;
/** The largest runbook Rollgate opens or runs (real runbooks are tens of KB). */
export const MAX_RUNBOOK_BYTES = 4 * 1024 * 1024;

const megabytes = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/** The message for a file over its limit; `kind` is "plan" or "runbook". */
export function tooLargeMessage(kind: 'plan' | 'runbook', bytes: number): string {
  const limit = kind === 'plan' ? MAX_PLAN_BYTES : MAX_RUNBOOK_BYTES;
  return `This ${kind} is ${megabytes(bytes)}; Rollgate reads ${kind}s of at most ${megabytes(limit)}. Check that it is the file you meant, or split it.`;
}

/** Byte length of `text` when over `limit`, else undefined (cheap for ordinary files). */
export function oversize(text: string, limit: number): number | undefined {
  // UTF-8 takes at least one byte per UTF-16 unit and at most three: skip the count when it cannot matter.
  if (text.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > limit ? bytes : undefined;
}

/**
 * The size of the file at `path` when it is over `limit` (checked before reading it), else
 * undefined. Errors of `stat` (a missing file) are left to the read that follows.
 */
export async function fileOversize(path: string, limit: number): Promise<number | undefined> {
  try {
    const stats = await fs.stat(path);
    return stats.isFile() && stats.size > limit ? stats.size : undefined;
  } catch {
    return undefined;
  }
}
