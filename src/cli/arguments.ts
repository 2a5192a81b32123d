import { UsageError } from './io';

/** Thrown by {@link walkArguments} on `--help` or `-h`; {@link parseOrHelp} prints the help for it. */
export class HelpRequested extends Error {}

/**
 * Runs `parse` (which walks the arguments). When the arguments ask for help, prints `help` and
 * returns undefined: the command then exits 0 without doing anything else.
 */
export function parseOrHelp<T>(parse: () => T, help: string, io: { stdout(text: string): void }): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof HelpRequested)) throw error;
    io.stdout(help);
    return undefined;
  }
}

/**
 * Walks command-line arguments, calling `onFlag` for each `--flag`, `--flag value` or
 * `--flag=value` (the flag reads its value with `value()`), and returns the positionals. The
 * handler returns false for a flag it does not know, which becomes a usage error showing `help`.
 * `--help` and `-h` throw {@link HelpRequested}.
 */
export function walkArguments(args: string[], help: string, onFlag: (flag: string, value: () => string) => boolean): string[] {
  const positional: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const argument = args[index]!;
    if (!argument.startsWith('-')) {
      positional.push(argument);
      continue;
    }
    const eq = argument.startsWith('--') ? argument.indexOf('=') : -1;
    const flag = eq > 0 ? argument.slice(0, eq) : argument;
    const inline = eq > 0 ? argument.slice(eq + 1) : undefined;
    if (flag === '--help' || flag === '-h') throw new HelpRequested();
    const value = (): string => {
      const given = inline ?? args[++index];
      if (given === undefined || given.trim() === '') throw new UsageError(`${flag} needs a value`);
      return given;
    };
    if (!onFlag(flag, value)) throw new UsageError(`unknown option '${argument}'.\n\n${help}`);
  }
  return positional;
}

/** The value of `--format` for commands that print text or JSON. */
export function textOrJson(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new UsageError(`--format must be text or json, got '${value}'`);
  return value;
}
