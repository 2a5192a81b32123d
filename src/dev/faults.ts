/** A fault for drills, as `POST /v1/faults` takes it: any of the effects, for one version. */
export interface FaultSpec {
  version: string;
  /** Share of requests answered 500, from 0 to 1. */
  errorRate?: number;
  /** Milliseconds added to every answer. */
  latencyMs?: number;
  /** Added to every score the version predicts (from −1 to 1): the score distribution moves, the scores stay calibrated. */
  scoreShift?: number;
  /** Share of the version's labelled answers made wrong (from 0 to 1): accuracy drops. */
  accuracyDrop?: number;
  /** Subtracted from the true probability behind each label (from −1 to 1): scores stay put, outcomes stop matching them. */
  miscalibration?: number;
}

/** The fault active on one version: every effect, 0 when not set. */
export type ActiveFault = Required<FaultSpec>;

/** Each effect's allowed range; the messages and the OpenAPI document quote them. */
export const FAULT_RANGES = {
  errorRate: [0, 1],
  latencyMs: [0, 60_000],
  scoreShift: [-1, 1],
  accuracyDrop: [0, 1],
  miscalibration: [-1, 1],
} as const satisfies Record<Exclude<keyof FaultSpec, 'version'>, readonly [number, number]>;

type Effect = keyof typeof FAULT_RANGES;
const EFFECTS = Object.keys(FAULT_RANGES) as Effect[];

/** Why `spec` is not a valid fault for a service with `versions`, or undefined when it is. */
export function faultProblem(spec: unknown, service: string, versions: readonly string[]): string | undefined {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return 'expected a JSON object such as {"version":"42","errorRate":0.3} or {"version":"42","scoreShift":0.3}';
  }
  const fields = spec as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== 'version' && !EFFECTS.includes(key as Effect));
  if (unknown.length > 0) return `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `"${key}"`).join(', ')}; a fault has "version" and any of ${EFFECTS.map((key) => `"${key}"`).join(', ')}`;
  if (typeof fields.version !== 'string') return '"version" must be a string naming a registered version';
  if (!versions.includes(fields.version)) return `version "${fields.version}" is not registered for ${service} (registered: ${versions.join(', ')})`;
  const given = EFFECTS.filter((effect) => fields[effect] !== undefined);
  if (given.length === 0) return `give at least one of ${EFFECTS.map((effect) => `"${effect}" (${FAULT_RANGES[effect][0]} to ${FAULT_RANGES[effect][1]})`).join(', ')}`;
  for (const effect of given) {
    const value = fields[effect];
    const [low, high] = FAULT_RANGES[effect];
    if (typeof value !== 'number' || !(value >= low && value <= high)) return `"${effect}" must be a number from ${low} to ${high}`;
  }
  return undefined;
}

/** `spec` merged over the version's current fault: fields left out keep their value. */
export function mergeFault(current: ActiveFault | undefined, spec: FaultSpec): ActiveFault {
  const next: ActiveFault = current ? { ...current } : { version: spec.version, errorRate: 0, latencyMs: 0, scoreShift: 0, accuracyDrop: 0, miscalibration: 0 };
  for (const effect of EFFECTS) if (spec[effect] !== undefined) next[effect] = spec[effect]!;
  return next;
}
