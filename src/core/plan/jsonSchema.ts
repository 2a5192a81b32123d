import { z } from 'zod';
import { planSchema } from './schema';

/** The plan's JSON Schema, generated from the zod schema (never written by hand). */
export function planJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(planSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
