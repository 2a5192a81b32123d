// What the plan schema says at a path: the field's schema, its description, default, type and
// allowed values; and how a path is written for people. Used by diagnostics, completion and hover.
import type { z } from 'zod';

import { planSchema } from './schema';
import { discriminatorKey, discriminatorValues, isDiscriminatedUnion, unionOption } from './unionSchema';

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
  if (isDiscriminatedUnion(schema)) return 'mapping';
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

/** True when the schema (wrappers looked through) is a mapping with known keys (or a union of such). */
export function isMappingSchema(schema: AnySchema | undefined): boolean {
  if (schema === undefined) return false;
  const inner = describeSchemaField(schema).schema;
  return definition(inner).type === 'object' || isDiscriminatedUnion(inner);
}

/**
 * The keys a mapping schema declares, in declaration order; empty for other schemas. For a
 * discriminated union (`endpoints.deployment`), the keys of the option `mapping` (the mapping's
 * plain value) belongs to; without one, the keys of every option.
 */
export function schemaObjectFields(schema: AnySchema | undefined, mapping?: unknown): Array<[string, AnySchema]> {
  if (!schema) return [];
  const inner = describeSchemaField(schema).schema;
  if (isDiscriminatedUnion(inner)) {
    const options = mapping === undefined ? (definition(inner).options as AnySchema[]) : [unionOption(inner, mapping)!];
    const fields = new Map<string, AnySchema>();
    for (const option of options) for (const [key, field] of schemaObjectFields(option)) if (!fields.has(key)) fields.set(key, field);
    return [...fields];
  }
  const def = definition(inner);
  if (def.type !== 'object') return [];
  return Object.entries(def.shape as Record<string, AnySchema>);
}

/** Reads the plan's value at a path (a plain object's, or a YAML document's `getIn`). */
export type PlanValueLookup = (path: readonly PlanPathSegment[]) => unknown;

/**
 * The schema of the field at `path` in a plan (indices step into lists, keys into mappings and
 * records), wrappers included so the field's own description and default are kept. Undefined
 * when the path leaves the schema, e.g. through an unknown key. A discriminated union on the way
 * resolves to the option the plan's value there names (through `valueAt`), else to the first
 * option declaring the next key.
 */
export function planSchemaAtPath(path: readonly PlanPathSegment[], root: AnySchema = planSchema, valueAt?: PlanValueLookup): AnySchema | undefined {
  let current: AnySchema | undefined = root;
  for (const [index, segment] of path.entries()) {
    if (!current) return undefined;
    let inner = describeSchemaField(current).schema;
    if (isDiscriminatedUnion(inner)) inner = chooseOption(inner, path.slice(0, index), segment, valueAt);
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

/** The option of a discriminated union at `at` that the plan names there, else one declaring `key`. */
function chooseOption(union: AnySchema, at: readonly PlanPathSegment[], key: PlanPathSegment, valueAt?: PlanValueLookup): AnySchema {
  const discriminator = discriminatorKey(union)!;
  const options = definition(union).options as AnySchema[];
  const named = valueAt?.([...at, discriminator]);
  const matching = named === undefined ? undefined : options.find((option) => optionNames(option, discriminator).includes(named));
  return matching ?? options.find((option) => schemaObjectFields(option).some(([field]) => field === key)) ?? unionOption(union, {})!;
}

function optionNames(option: AnySchema, discriminator: string): unknown[] {
  return [...((option as unknown as { _zod: { propValues?: Record<string, Set<unknown>> } })._zod.propValues?.[discriminator] ?? [])];
}

/**
 * All the values of a union's discriminator when `path` ends at one (`endpoints.deployment.type`:
 * `rollgate`, `haproxy`), whichever option the plan is now; otherwise undefined.
 */
export function discriminatorChoices(path: readonly PlanPathSegment[], valueAt?: PlanValueLookup): string[] | undefined {
  const parent = planSchemaAtPath(path.slice(0, -1), planSchema, valueAt);
  const inner = parent && describeSchemaField(parent).schema;
  return inner && discriminatorKey(inner) === path[path.length - 1] ? discriminatorValues(inner) : undefined;
}

/** The option of a discriminated union that `mapping` belongs to; any other schema as it is. */
export function resolveUnion(schema: AnySchema, mapping: unknown): AnySchema {
  return isDiscriminatedUnion(schema) ? unionOption(schema, mapping)! : schema;
}
