import { planJsonSchema } from '../../core/plan/jsonSchema';
import type { CliIo } from '../io';
import { ExitCode, UsageError } from '../io';

const HELP = `Usage: rollgate schema

Prints the JSON Schema of rollout plans (rollgate/v1), generated from the plan's zod schema.
Point yaml-language-server or other tools at it, e.g.
  rollgate schema > rollout-plan.schema.json
`;

/** `rollgate schema`: prints the plan's JSON Schema. */
export async function schemaCommand(args: string[], io: CliIo): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout(HELP);
    return ExitCode.ok;
  }
  if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'. Run 'rollgate schema --help'.`);
  io.stdout(`${JSON.stringify(planJsonSchema(), null, 2)}\n`);
  return ExitCode.ok;
}
