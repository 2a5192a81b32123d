/**
 * Discriminated unions in the plan schema (`endpoints.deployment`, told apart by `type`): which
 * option a mapping is, so that unknown keys, completion, hover and the docs use the keys of
 * that option. Reads zod's internal definitions, like the rest of the schema walkers.
 */

interface UnionLike {
  _zod: { def: { type: string; options?: UnionLike[]; discriminator?: string }; propValues?: Record<string, Set<unknown>> };
}

/** True for a discriminated union (a union with a `discriminator`). */
export function isDiscriminatedUnion(schema: unknown): boolean {
  const def = (schema as UnionLike | undefined)?._zod?.def;
  return def?.type === 'union' && typeof def.discriminator === 'string';
}

/** The discriminator key of a discriminated union (`type`), or undefined. */
export function discriminatorKey(schema: unknown): string | undefined {
  return isDiscriminatedUnion(schema) ? (schema as UnionLike)._zod.def.discriminator : undefined;
}

/** The values the discriminator may take, in option order (`rollgate`, `haproxy`). */
export function discriminatorValues(schema: unknown): string[] {
  if (!isDiscriminatedUnion(schema)) return [];
  const { options = [], discriminator = '' } = (schema as UnionLike)._zod.def;
  return options.flatMap((option) => [...(option._zod.propValues?.[discriminator] ?? [])].filter((value): value is string => typeof value === 'string'));
}

/**
 * The option of a discriminated union that `value` (a mapping, maybe half written) belongs to:
 * the one its discriminator names, else the option that needs no discriminator (the default),
 * else the first. Undefined for anything that is not a discriminated union.
 */
export function unionOption<T>(schema: T, value: unknown): T | undefined {
  if (!isDiscriminatedUnion(schema)) return undefined;
  const { options = [], discriminator = '' } = (schema as unknown as UnionLike)._zod.def;
  const given = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[discriminator] : undefined;
  const named = options.find((option) => given !== undefined && option._zod.propValues?.[discriminator]?.has(given));
  const fallback = options.find((option) => option._zod.propValues?.[discriminator]?.has(undefined)) ?? options[0];
  return (named ?? fallback) as T | undefined;
}
