import { neutralizeControlCharacters } from '../core/text/terminal';
import { CliIo, ExitCode, UsageError } from './io';

import { commands } from './commands/registry';
import { errorMessage } from '../core/errors';

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: rollgate <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'rollgate <command> --help' for a command's options.\nExit codes: 0 ok, 1 failure (errors found, cell failed, rolled back), 2 usage error or unreadable input.\n`;
}

/**
 * Runs a command. Everything it prints passes through {@link neutralizeControlCharacters}: much
 * of it came from outside (answers, errors, files), and none of it may drive the terminal.
 */
export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  const io: CliIo = {
    ...rawIo,
    stdout: (text) => rawIo.stdout(neutralizeControlCharacters(text)),
    stderr: (text) => rawIo.stderr(neutralizeControlCharacters(text)),
  };
  const [name, ...rest] = argv;
  if (!name) {
    // No command is a usage error: the help goes to stderr so scripts piping stdout see nothing.
    io.stderr(usage());
    return ExitCode.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return ExitCode.ok;
  }
  if (name === '--version') {
    io.stdout(`${process.env.ROLLGATE_VERSION ?? 'dev'}\n`);
    return ExitCode.ok;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`rollgate: unknown command '${name}'.\n\n${usage()}`);
    return ExitCode.usage;
  }
  try {
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`rollgate ${name}: ${error.message}\n`);
      return ExitCode.usage;
    }
    io.stderr(`rollgate ${name}: ${errorMessage(error)}\n`);
    return ExitCode.failure;
  }
}

if (require.main === module) {
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    interrupted,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`rollgate: ${neutralizeControlCharacters(String(error))}\n`);
      process.exitCode = ExitCode.failure;
    },
  );
}
