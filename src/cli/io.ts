/** What a CLI command may touch, injected so tests run commands in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user interrupts (Ctrl-C); long-running commands stop on it. */
  interrupted?: Promise<void>;
}

/** Documented exit codes shared by all commands. */
export const ExitCode = {
  ok: 0,
  /** Validation found an error, a cell failed, a rollout rolled back or failed. */
  failure: 1,
  /** Usage error or unreadable input. */
  usage: 2,
} as const;

export class UsageError extends Error {}

export type Command = (args: string[], io: CliIo) => Promise<number>;
