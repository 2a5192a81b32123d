// Reading the fields of ledger entries read back from a file other tools may append to: every
// field is checked before use, so an odd entry shows as a plain row instead of breaking the panel,
// a report or a notification. One reader for all of them.

/** A string, or a finite number as text; undefined for anything else or an empty string. */
export function stringOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A value that may be one object or a list of them, as a list of objects. */
export function objectsOf(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map(objectOf).filter((item): item is Record<string, unknown> => item !== undefined);
}

/** A traffic state as an entry recorded it (`from`, `to`). */
export interface RecordedTraffic {
  weights: Record<string, number>;
  mirror?: { version: string; percent: number };
  /** The version an entry names when it records no weights (`to: { version }`). */
  version?: string;
}

/** Weights, mirror and version of a recorded traffic state; undefined when it holds none. */
export function recordedTraffic(value: unknown): RecordedTraffic | undefined {
  const traffic = objectOf(value);
  if (!traffic) return undefined;
  const weights: Record<string, number> = {};
  for (const [version, weight] of Object.entries(objectOf(traffic.weights) ?? {})) {
    const percent = numberOf(weight);
    if (percent !== undefined) weights[version] = percent;
  }
  const mirror = objectOf(traffic.mirror);
  const mirrorVersion = stringOf(mirror?.version);
  const mirrorPercent = numberOf(mirror?.percent);
  const version = stringOf(traffic.version);
  const result: RecordedTraffic = { weights };
  if (mirrorVersion && mirrorPercent !== undefined) result.mirror = { version: mirrorVersion, percent: mirrorPercent };
  if (version) result.version = version;
  return Object.keys(weights).length > 0 || result.mirror || version ? result : undefined;
}
