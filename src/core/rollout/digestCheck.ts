// The plan was reviewed for one artifact per version; before traffic moves to a version, the
// artifact the deployment endpoint serves for it must be that one. A mismatch stops the change
// with both digests named. Rollbacks are never held up by it: during an incident the way back
// comes first (the rollback's ledger entry still carries the plan's lineage).
import type { Plan } from '../plan/schema';
import type { DeploymentBackend, LiveServiceState } from './backends/types';
import type { MirrorTarget, MutationOptions, TrafficControl } from './ports';

/** A version the plan declares is served with another artifact. Permanent: retrying cannot help. */
export class DigestMismatchError extends Error {
  readonly transient = false;
  constructor(readonly mismatches: DigestMismatch[]) {
    super(
      mismatches.map((mismatch) => `version ${mismatch.version}: the plan declares ${mismatch.declared}, the deployment endpoint serves ${mismatch.served}`).join('; ') +
        '. The plan was reviewed for another artifact than the one deployed: fix the plan or the deployment before moving traffic.',
    );
    this.name = 'DigestMismatchError';
  }
}

export interface DigestMismatch {
  version: string;
  declared: string;
  served: string;
}

/**
 * Compares the digests the endpoint reports with the plan's, for the versions about to get live
 * or mirrored traffic. A version the endpoint does not know yet, or reports no digest for, is not
 * a mismatch (registration gives it the plan's digest).
 */
export function digestMismatches(plan: Plan, live: LiveServiceState, versions: Iterable<string>): DigestMismatch[] {
  const declared = new Map([plan.model.candidate, plan.model.baseline].map((model) => [model.version, model.digest]));
  const mismatches: DigestMismatch[] = [];
  for (const version of new Set(versions)) {
    const expected = declared.get(version);
    const served = live.versions.find((one) => one.version === version)?.digest;
    if (expected && served && served !== expected) mismatches.push({ version, declared: expected, served });
  }
  return mismatches;
}

/** The versions a traffic change gives a share (live or mirrored). */
export function versionsGivenTraffic(weights: Record<string, number>, mirror: Record<string, number> | MirrorTarget | undefined): string[] {
  const versions = Object.entries(weights)
    .filter(([, weight]) => weight > 0)
    .map(([version]) => version);
  if (mirror && 'version' in mirror && typeof mirror.version === 'string') {
    if ((mirror as MirrorTarget).percent > 0) versions.push(mirror.version);
  } else if (mirror) {
    versions.push(
      ...Object.entries(mirror as Record<string, number>)
        .filter(([, percent]) => percent > 0)
        .map(([version]) => version),
    );
  }
  return versions;
}

/** Says when a backend's digests are not checked (it cannot report them); undefined when they are. */
export function digestCheckNote(backend: Pick<DeploymentBackend, 'reportsDigests' | 'readService'>, type: string): string | undefined {
  if (backend.reportsDigests && backend.readService) return undefined;
  return `digests not checked: the ${type} deployment backend does not report which artifact each version serves`;
}

/**
 * The backend's traffic control with the digest check in front of every traffic change. A
 * backend without digests passes through unchanged (see {@link digestCheckNote}).
 */
export function digestCheckedTraffic(backend: DeploymentBackend, plan: Plan): TrafficControl {
  const inner = backend.traffic;
  const readService = backend.readService?.bind(backend);
  if (!backend.reportsDigests || !readService) return inner;
  return {
    getState: (signal) => inner.getState(signal),
    rollback: (to, reason, options) => inner.rollback(to, reason, options),
    async setTraffic(weights: Record<string, number>, mirror: MirrorTarget | undefined, options: MutationOptions): Promise<void> {
      const live = await readService(options.signal);
      const mismatches = digestMismatches(plan, live, versionsGivenTraffic(weights, mirror));
      if (mismatches.length > 0) throw new DigestMismatchError(mismatches);
      await inner.setTraffic(weights, mirror, options);
    },
  };
}
