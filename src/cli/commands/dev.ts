import type { CliIo } from '../io';
import { ExitCode } from '../io';

// Placeholder until this command is implemented; reports honestly instead of pretending.
export async function devCommand(_args: string[], io: CliIo): Promise<number> {
  io.stderr('rollgate dev: not implemented yet\n');
  return ExitCode.failure;
}
