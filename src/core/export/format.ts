// Small conversions between Rollgate's values and the spellings Argo Rollouts and Prometheus read.

/** Milliseconds as a Go duration Argo and Prometheus accept (`1h`, `90s`, `1500ms`), largest exact unit. */
export function goDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Parses the Go durations Argo writes (`5m`, `1h30m`, `90s`, `250ms`, or a bare number of seconds). */
export function parseGoDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text * 1000 : undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(match[1]) * units[match[2]!]!;
  return total;
}

/**
 * A number as a plain decimal literal (no exponent), exactly as JavaScript prints it, so the
 * expression languages reading it (Argo's expr, PromQL) see the same value.
 */
export function plainNumber(value: number): string {
  const printed = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(printed);
  if (!match) return printed;
  const [, sign, lead, fraction = '', exponentText] = match;
  const digits = lead! + fraction;
  const exponent = Number(exponentText);
  const point = 1 + exponent;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** `error-rate` → `ErrorRate`: alert names are conventionally CamelCase. */
export function camelName(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
