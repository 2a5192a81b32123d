import { z } from 'zod';
import { API_VERSION, planSchema } from './schema';

/**
 * The plan's JSON Schema (draft 2020-12), generated from the zod schema, never written by hand.
 * Formats the zod schema checks with regexes (durations, digests, names) appear as `pattern`,
 * URLs as `format: uri`, and every field keeps its description for hover in other editors.
 */
export function planJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(planSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: generated.$schema,
    $id: 'https://rollgate.dev/schemas/rollout-plan.schema.json',
    title: `Rollgate rollout plan (${API_VERSION})`,
    ...generated,
  };
}
