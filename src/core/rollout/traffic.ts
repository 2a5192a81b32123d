import type { Stage } from '../plan/schema';
import type { MirrorTarget, TrafficState } from './ports';

/**
 * The traffic a stage asks for: the candidate gets the stage's share and the baseline the rest;
 * shadow stages keep all live traffic on the baseline and mirror a share to the candidate.
 * Offline stages send nothing (undefined).
 */
export function stageTraffic(stage: Pick<Stage, 'kind' | 'traffic' | 'mirror'>, candidate: string, baseline: string): TrafficState | undefined {
  let candidateShare: number;
  switch (stage.kind) {
    case 'offline':
      return undefined;
    case 'shadow':
      candidateShare = stage.traffic ?? 0;
      break;
    case 'canary':
      candidateShare = stage.traffic ?? 0;
      break;
    case 'blue-green':
    case 'full':
      candidateShare = stage.traffic ?? 100;
      break;
  }
  const weights = { [baseline]: 100 - candidateShare, [candidate]: candidateShare };
  const mirrorPercent = stage.kind === 'shadow' ? (stage.mirror ?? 100) : stage.mirror;
  const mirror: MirrorTarget | undefined = mirrorPercent ? { version: candidate, percent: mirrorPercent } : undefined;
  return mirror ? { weights, mirror } : { weights };
}

/** Traffic after a rollback: everything on `to`. */
export function rollbackTraffic(to: string): TrafficState {
  return { weights: { [to]: 100 } };
}

/**
 * The one way traffic is written for people, versions in order, versions at 0 % left out:
 * `inline` for messages and the terminal (`41=90% 42=10%, mirror 100% to 42`; `unknown` when
 * not known), `list` for the side panel and its changelog (`41 90%, 42 10%, mirror 42 100%`;
 * empty when not known).
 */
export function describeTraffic(traffic: { weights?: Record<string, number>; mirror?: MirrorTarget } | undefined, style: 'inline' | 'list' = 'inline'): string {
  if (!traffic) return style === 'inline' ? 'unknown' : '';
  const shares = Object.entries(traffic.weights ?? {})
    .filter(([, weight]) => weight > 0)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  const mirror = traffic.mirror && traffic.mirror.percent > 0 ? traffic.mirror : undefined;
  if (style === 'list') {
    const parts = shares.map(([version, weight]) => `${version} ${weight}%`);
    if (mirror) parts.push(`mirror ${mirror.version} ${mirror.percent}%`);
    return parts.join(', ');
  }
  const weights = shares.map(([version, weight]) => `${version}=${weight}%`).join(' ');
  return mirror ? `${weights}, mirror ${mirror.percent}% to ${mirror.version}` : weights;
}

/** True when two traffic states send the same shares (zero weights and a zero mirror count as absent). */
export function sameTraffic(a: TrafficState, b: TrafficState): boolean {
  const shares = (traffic: TrafficState) =>
    Object.entries(traffic.weights)
      .filter(([, weight]) => weight > 0)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([version, weight]) => `${version}=${weight}`)
      .join(' ');
  const mirror = (traffic: TrafficState) => (traffic.mirror && traffic.mirror.percent > 0 ? `${traffic.mirror.version}:${traffic.mirror.percent}` : '');
  return shares(a) === shares(b) && mirror(a) === mirror(b);
}
