import { z } from 'zod';

/** `30s`, `10m`, `1h30m`, `250ms`: units from largest to smallest, each at most once, never empty. */
export const DURATION_PATTERN = /^(?=\d)(?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?(?:\d+ms)?$/;

/** Parses a duration such as `1h30m` into milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|h|m|s)/g)) total += Number(match[1]) * units[match[2]!]!;
  return total;
}

/** A duration field of the plan schema (kept apart so backend schemas can use it without a cycle). */
export const duration = (description: string) =>
  // A regex rather than a refine, so the exported JSON Schema carries the pattern too.
  z.string().regex(DURATION_PATTERN, "a duration such as '30s', '10m', '1h' or '1h30m'").describe(description);
