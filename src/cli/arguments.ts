import { UsageError } from './io';

/**
 * Walks command-line arguments, calling `onFlag` for each `--flag`, `--flag value` or
 * `--flag=value` (the flag reads its value with `value()`), and returns the positionals. The
 * handler returns false for a flag it does not know, which becomes a usage error showing `help`.
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
