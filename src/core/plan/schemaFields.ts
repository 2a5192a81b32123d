// What the plan schema says at a path: the field's schema, its description, default, type and
// allowed values; and how a path is written for people. Used by diagnostics, completion and hover.
import type { z } from 'zod';

import { planSchema } from './schema';

/** A step into the plan: a mapping key or a list index (zod's issue paths are of this kind too). */
export type PlanPathSegment = PropertyKey;

/** `stages[2].guardrails[0]`, the way the README and diagnostics name fields; `root` for the empty path. */
export function formatPlanPath(path: readonly PlanPathSegment[], root = '(plan)'): string {
  let formatted = '';
  for (const segment of path) {
    formatted += typeof segment === 'number' ? `[${segment}]` : formatted === '' ? String(segment) : `.${String(segment)}`;
  }
  return formatted === '' ? root : formatted;
}

type AnySchema = z.ZodType;

/** What the schema says about one field, wrappers (optional, default) looked through. */
export interface FieldSchemaInfo {
  /** The schema with optional/default/nullable wrappers removed. */
  schema: AnySchema;
  /** The field's `.describe()` text, from the outermost wrapper that has one. */
  description?: string;
  /** False when the field may be left out (optional or defaulted). */
  required: boolean;
  /** The default value, when the schema declares one. */
  defaultValue?: unknown;
  hasDefault: boolean;
  /** Human-readable type: `string`, `number`, `boolean`, `mapping`, `list of mapping`, ... */
  typeLabel: string;
  /** Enum options, literal values or `true`/`false`, when the field has a closed set. */
  allowedValues?: string[];
}

function definition(schema: AnySchema): { type: string } & Record<string, unknown> {
  return (schema as unknown as { _zod: { def: { type: string } & Record<string, unknown> } })._zod.def;
}

/** Looks through optional, default, nullable, readonly and pipe wrappers. */
export function describeSchemaField(schema: AnySchema): FieldSchemaInfo {
  let current: AnySchema = schema;
  let description: string | undefined;
  let required = true;
  let hasDefault = false;
  let defaultValue: unknown;
  for (let depth = 0; depth < 20; depth++) {
    description ??= current.description;
    const def = definition(current);
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'readonly' || def.type === 'nonoptional') {
      if (def.type === 'optional') required = false;
      current = def.innerType as AnySchema;
    } else if (def.type === 'default' || def.type === 'prefault' || def.type === 'catch') {
      required = false;
      if (def.type === 'default' && !hasDefault) {
        hasDefault = true;
        defaultValue = def.defaultValue;
      }
      current = def.innerType as AnySchema;
    } else if (def.type === 'pipe') {
      current = def.in as AnySchema;
    } else {
      break;
    }
  }
  const info: FieldSchemaInfo = { schema: current, required, hasDefault, typeLabel: typeLabel(current) };
  if (description !== undefined) info.description = description;
  if (hasDefault) info.defaultValue = defaultValue;
  const allowed = allowedValues(current);
  if (allowed) info.allowedValues = allowed;
  return info;
}

function typeLabel(schema: AnySchema): string {
  const def = definition(schema);
  switch (def.type) {
    case 'object':
      return 'mapping';
    case 'array':
      return `list of ${typeLabel(describeSchemaField(def.element as AnySchema).schema)}`;
    case 'record':
      return 'mapping of string';
    case 'enum':
    case 'literal':
      return (allowedValues(schema) ?? []).map((value) => `'${value}'`).join(' | ');
    default:
      return def.type;
  }
}

function allowedValues(schema: AnySchema): string[] | undefined {
  const def = definition(schema);
  if (def.type === 'enum') return Object.values(def.entries as Record<string, string | number>).map(String);
  if (def.type === 'literal') return (def.values as unknown[]).map(String);
  if (def.type === 'boolean') return ['true', 'false'];
  return undefined;
}

/** True when the schema (wrappers looked through) is a mapping with known keys. */
export function isMappingSchema(schema: AnySchema | undefined): boolean {
  return schema !== undefined && definition(describeSchemaField(schema).schema).type === 'object';
}

/** The keys a mapping schema declares, in declaration order; empty for other schemas. */
export function schemaObjectFields(schema: AnySchema | undefined): Array<[string, AnySchema]> {
  if (!schema) return [];
  const inner = describeSchemaField(schema).schema;
  const def = definition(inner);
  if (def.type !== 'object') return [];
  return Object.entries(def.shape as Record<string, AnySchema>);
}

/**
 * The schema of the field at `path` in a plan (indices step into lists, keys into mappings and
 * records), wrappers included so the field's own description and default are kept. Undefined
 * when the path leaves the schema, e.g. through an unknown key.
 */
export function planSchemaAtPath(path: readonly PlanPathSegment[], root: AnySchema = planSchema): AnySchema | undefined {
  let current: AnySchema | undefined = root;
  for (const segment of path) {
    if (!current) return undefined;
    const inner = describeSchemaField(current).schema;
    const def = definition(inner);
    if (def.type === 'object' && typeof segment === 'string') {
      current = (def.shape as Record<string, AnySchema>)[segment];
    } else if (def.type === 'array' && typeof segment === 'number') {
      current = def.element as AnySchema;
    } else if (def.type === 'record' && typeof segment === 'string') {
      current = def.valueType as AnySchema;
    } else {
      return undefined;
    }
  }
  return current;
}
