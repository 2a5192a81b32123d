// The side panel's live picture of a service: what its deployment endpoint serves now, whether
// or not a rollout of the selected plan runs. Pure: the host reads the endpoint, this shapes it.
import type { PanelLive, PanelLiveVersion } from './protocol';

/**
 * What the deployment endpoint reports (structurally `LiveServiceState` of
 * `rollout/backends/types`; restated so the webview bundle does not pull the rollout code in).
 */
export interface LiveStateInput {
  versions: { version: string; weight: number; mirror: number; digest?: string }[];
  stable?: string;
  phase?: string;
  updatedAt?: string;
}

/** The parts of a plan the live picture reads. */
export interface LivePlanInput {
  metadata: { service: string };
  model: { candidate: { version: string; digest?: string }; baseline: { version: string; digest?: string } };
}

/** `sha256:4f2a9c1e…` → `4f2a9c1e` (enough to tell two artifacts apart at a glance). */
export function shortDigest(digest: string | undefined): string | undefined {
  if (!digest) return undefined;
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
  return hex.slice(0, 12);
}

function roleOf(plan: LivePlanInput, version: string): PanelLiveVersion['role'] {
  if (version === plan.model.candidate.version) return 'candidate';
  if (version === plan.model.baseline.version) return 'baseline';
  return 'other';
}

/**
 * The live picture for the panel: versions with traffic first (largest weight first), then
 * mirrored-only versions, then idle ones; each with its role in the plan and whether the digest
 * the endpoint serves equals the plan's declared digest (`digestMatches`, undefined when either
 * side is unknown).
 */
export function toPanelLive(state: LiveStateInput, plan: LivePlanInput, context: { readAt: Date; target: string }): PanelLive {
  const versions: PanelLiveVersion[] = state.versions.map((served) => {
    const role = roleOf(plan, served.version);
    const declared = role === 'candidate' ? plan.model.candidate.digest : role === 'baseline' ? plan.model.baseline.digest : undefined;
    const entry: PanelLiveVersion = { version: served.version, weight: served.weight, mirror: served.mirror, role, stable: served.version === state.stable };
    if (served.digest) entry.digest = served.digest;
    if (declared) entry.declaredDigest = declared;
    if (served.digest && declared) entry.digestMatches = served.digest === declared;
    return entry;
  });
  const rank = (version: PanelLiveVersion) => (version.weight > 0 ? 0 : version.mirror > 0 ? 1 : 2);
  versions.sort((a, b) => rank(a) - rank(b) || b.weight - a.weight || b.mirror - a.mirror || a.version.localeCompare(b.version));
  const live: PanelLive = {
    service: plan.metadata.service,
    target: context.target,
    versions,
    trafficText: liveTrafficText(versions),
    readAt: context.readAt.toISOString(),
  };
  if (state.stable) live.stable = state.stable;
  if (state.phase) live.phase = state.phase;
  if (state.updatedAt) live.updatedAt = state.updatedAt;
  const mismatched = versions.filter((version) => version.digestMatches === false);
  if (mismatched.length > 0) {
    live.warning = mismatched.map((version) => `${version.version} serves ${shortDigest(version.digest)}, the plan declares ${shortDigest(version.declaredDigest)}`).join('; ');
  }
  return live;
}

/** "41 90%, 42 10% · mirror 43 100%" (versions with no traffic and no mirror are left out). */
export function liveTrafficText(versions: readonly Pick<PanelLiveVersion, 'version' | 'weight' | 'mirror'>[]): string {
  const weights = versions.filter((version) => version.weight > 0).map((version) => `${version.version} ${version.weight}%`);
  const mirrors = versions.filter((version) => version.mirror > 0).map((version) => `mirror ${version.version} ${version.mirror}%`);
  return [weights.join(', ') || 'no traffic', ...mirrors].join(' · ');
}

/** Bar segments (percent of the bar's width) for the weights; a total below 100 leaves a gap, above 100 is scaled down. */
export function liveBarSegments(versions: readonly Pick<PanelLiveVersion, 'version' | 'weight'>[]): { version: string; width: number }[] {
  const total = versions.reduce((sum, version) => sum + Math.max(0, version.weight), 0);
  const scale = total > 100 ? 100 / total : 1;
  return versions.filter((version) => version.weight > 0).map((version) => ({ version: version.version, width: Math.round(version.weight * scale * 100) / 100 }));
}
