// The panel's live picture of the service: the traffic split as a bar (and the mirror below
// it), the stable version, the phase and each version's digest against the plan's. Drawn with
// the DOM (textContent, SVG attributes; no markup strings, no inline styles) and themed only by
// classes in media/panel.css.
import { liveBarSegments, shortDigest } from '../core/panel/live';
import type { PanelLive, PanelLiveVersion } from '../core/panel/protocol';

const SVG = 'http://www.w3.org/2000/svg';

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgNode<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, className?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (className) node.setAttribute('class', className);
  return node;
}

/** Colour slot by role, so the candidate looks the same in the bar and the legend. */
function slot(version: Pick<PanelLiveVersion, 'role'>): string {
  return `live-${version.role}`;
}

/** A bar of `segments` (percent widths) stretched to the panel's width; hover names each part. */
function bar(segments: { version: string; width: number; label: string; className: string }[], label: string, className: string): SVGSVGElement {
  const svg = svgNode('svg', { width: '100%', height: 14, viewBox: '0 0 100 14', preserveAspectRatio: 'none', role: 'img', 'aria-label': label }, `live-bar ${className}`);
  svg.append(svgNode('rect', { x: 0, y: 0, width: 100, height: 14 }, 'live-track'));
  let x = 0;
  for (const segment of segments) {
    const rect = svgNode('rect', { x, y: 0, width: segment.width, height: 14 }, `live-segment ${segment.className}`);
    rect.dataset.version = segment.version;
    const title = svgNode('title', {});
    title.textContent = segment.label;
    rect.append(title);
    svg.append(rect);
    x += segment.width;
  }
  return svg;
}

/** The live section: a heading line, the traffic bar, the mirror bar, a legend with digests, facts. */
export function renderLive(live: PanelLive | undefined, problem: string | undefined): HTMLElement[] {
  if (!live) return problem ? [element('p', 'muted live-problem', problem)] : [];
  const parts: HTMLElement[] = [];
  const traffic = element('p', 'live-traffic', live.trafficText);
  traffic.dataset.traffic = live.trafficText;
  parts.push(traffic);
  const byVersion = new Map(live.versions.map((version) => [version.version, version]));
  const weights = liveBarSegments(live.versions).map((segment) => {
    const version = byVersion.get(segment.version)!;
    return { ...segment, label: `${segment.version}: ${version.weight}% of traffic`, className: slot(version) };
  });
  const weightBar = bar(weights, `traffic: ${live.trafficText}`, 'live-weights');
  const barBox = element('div', 'live-bar-box');
  barBox.append(weightBar);
  const mirrored = live.versions.filter((version) => version.mirror > 0);
  if (mirrored.length > 0) {
    const mirrorSegments = mirrored.map((version) => ({
      version: version.version,
      width: Math.min(100, version.mirror),
      label: `${version.version}: mirror of ${version.mirror}% of traffic`,
      className: `${slot(version)} live-mirror`,
    }));
    barBox.append(bar(mirrorSegments, `mirror: ${mirrored.map((version) => `${version.version} ${version.mirror}%`).join(', ')}`, 'live-mirrors'));
  }
  parts.push(barBox);
  const legend = element('ul', 'live-legend');
  for (const version of live.versions) {
    const item = element('li', `live-version ${slot(version)}`);
    item.dataset.version = version.version;
    const swatch = element('span', `live-swatch ${slot(version)}`);
    swatch.setAttribute('aria-hidden', 'true');
    const words = [`${version.weight}%`, version.mirror > 0 ? `mirror ${version.mirror}%` : '', version.role !== 'other' ? version.role : '', version.stable ? 'stable' : ''].filter(Boolean).join(' · ');
    item.append(swatch, element('span', 'live-name', version.version), element('span', 'muted', words));
    if (version.digest) {
      const digest = element(
        'span',
        `mono live-digest${version.digestMatches === false ? ' problem' : ''}`,
        `${shortDigest(version.digest)}${version.digestMatches === true ? ' ✓' : version.digestMatches === false ? ' ≠ plan' : ''}`,
      );
      digest.title = version.digestMatches === false ? `serves ${version.digest}; the plan declares ${version.declaredDigest ?? '?'}` : version.digest;
      item.append(digest);
    }
    legend.append(item);
  }
  parts.push(legend);
  if (live.warning) parts.push(element('p', 'problem live-warning', `Digest mismatch: ${live.warning}`));
  const facts = element('dl', 'facts live-facts');
  const fact = (term: string, value: string | undefined) => {
    if (value) facts.append(element('dt', undefined, term), element('dd', undefined, value));
  };
  fact('Stable', live.stable);
  fact('Phase', live.phase);
  fact('Changed', live.updatedAt?.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
  const source = element('p', 'muted live-source', `from ${live.target}, read ${live.readAt.slice(11, 19)}Z`);
  parts.push(facts, source);
  return parts;
}
