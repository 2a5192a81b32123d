// What `rollgate rollout` and `rollgate rollback` share: reading a plan, the environment's
// secrets, and who is acting.
import { promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import * as path from 'node:path';

import type { Plan } from '../core/plan/schema';
import { planDigest, validatePlan } from '../core/plan/validate';
import { environmentSecretResolver, secretEnvironmentVariable, SecretNotSetError, type SecretResolver } from '../core/secrets';
import { LineIndex } from '../core/text/lineIndex';
import type { CliIo } from './io';
import { UsageError } from './io';

/** Reads and validates a plan; an unreadable or invalid one is a usage error listing the problems. */
export async function loadPlan(file: string, io: CliIo): Promise<{ plan: Plan; digest: string }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const { plan, diagnostics } = validatePlan(text);
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
  if (!plan || errors.length > 0) {
    const lines = new LineIndex(text);
    const shown = (errors.length > 0 ? errors : diagnostics).map((diagnostic) => {
      const position = lines.positionAt(diagnostic.start);
      return `  ${path.relative(io.cwd, file) || file}:${position.line + 1}:${position.character + 1} ${diagnostic.severity} ${diagnostic.message} [${diagnostic.code}]`;
    });
    throw new UsageError(`the plan is not valid; fix it first (rollgate validate shows the same):\n${shown.join('\n')}`);
  }
  return { plan, digest: planDigest(text) };
}

/** The CLI's secrets: environment variables `ROLLGATE_SECRET_<NAME>`. */
export function cliSecrets(io: CliIo): SecretResolver {
  return environmentSecretResolver(io.env);
}

/** Runs `work`; a secret that is not set becomes a usage error naming the variable to set. */
export async function needingSecrets<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SecretNotSetError) {
      throw new UsageError(`${error.field} needs the secret '${error.secretName}': set the environment variable ${secretEnvironmentVariable(error.secretName)}`);
    }
    throw error;
  }
}

/** The user name for actors (`cli:alice`); `unknown` when the system has none. */
export function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
