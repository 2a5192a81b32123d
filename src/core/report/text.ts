// Small helpers the report's builder and renderers share: the plain-text forms of times, durations
// and traffic. Fields of ledger entries are read with ../ledger/fields.
import { formatValue, trafficText } from '../panel/model';
import type { ReportTraffic } from './types';

export { formatValue };

/** "41 50%, 42 50%, mirror 42 100%"; a version alone when no weights were recorded. */
export function describeReportTraffic(traffic: ReportTraffic | undefined): string {
  if (!traffic) return '';
  return trafficText(traffic) || traffic.version || '';
}

/** True when two recorded traffic states send the same shares. */
export function sameReportTraffic(a: ReportTraffic | undefined, b: ReportTraffic | undefined): boolean {
  return describeReportTraffic(a) === describeReportTraffic(b);
}

/** The version holding all live traffic, if one does. */
export function soleVersion(traffic: ReportTraffic | undefined): string | undefined {
  if (!traffic) return undefined;
  const live = Object.entries(traffic.weights).filter(([, weight]) => weight > 0);
  return live.length === 1 && live[0]![1] === 100 ? live[0]![0] : undefined;
}

// Characters that would make a hostile string read differently from what it is: C0/C1 controls
// (but tab), and the Unicode bidirectional overrides and isolates ("Trojan Source").
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A recorded string made safe to show on one line: control and bidi characters become visible
 * `\u{…}` escapes, line breaks `↵`, and anything over `max` characters is cut with a note.
 */
export function oneLine(text: string, max = 2000): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
  return cut
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, ' ↵ ')
    .replace(INVISIBLE, (character) => `\\u{${character.codePointAt(0)!.toString(16)}}`)
    .replace(/\t/g, ' ');
}

/** `2025-07-01 10:22:03.120Z`: the ledger's UTC time, easier to scan than the raw ISO form. */
export function formatTime(iso: string): string {
  return /^\d{4}-\d\d-\d\dT/.test(iso) ? iso.replace('T', ' ') : iso;
}

/** `10:22:03`: the time of day, for chart axes. */
export function formatClock(iso: string): string {
  const match = /T(\d\d:\d\d:\d\d)/.exec(iso);
  return match ? match[1]! : iso;
}

/** `850 ms`, `12.4 s`, `3 min 05 s`, `2 h 07 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** `+12.4 s` from the start of the report. */
export function formatOffset(ms: number): string {
  return `+${formatDuration(ms)}`;
}

/** "≤ 0.1", "0.1 … 0.9", "ratio ≤ 5"; "no bound" when there is none. */
export function describeBound(bound: { min?: number; max?: number; minRatio?: number; maxRatio?: number }): string {
  const parts: string[] = [];
  if (bound.min !== undefined && bound.max !== undefined) parts.push(`${formatValue(bound.min)} … ${formatValue(bound.max)}`);
  else if (bound.max !== undefined) parts.push(`≤ ${formatValue(bound.max)}`);
  else if (bound.min !== undefined) parts.push(`≥ ${formatValue(bound.min)}`);
  if (bound.minRatio !== undefined && bound.maxRatio !== undefined) parts.push(`ratio ${formatValue(bound.minRatio)} … ${formatValue(bound.maxRatio)}`);
  else if (bound.maxRatio !== undefined) parts.push(`ratio ≤ ${formatValue(bound.maxRatio)}`);
  else if (bound.minRatio !== undefined) parts.push(`ratio ≥ ${formatValue(bound.minRatio)}`);
  return parts.join(', ') || 'no bound';
}

/** `12ab34cd…` for hashes and run ids in running text; the full value stays in tables and JSON. */
export function shortId(id: string, length = 12): string {
  return id.length > length ? `${id.slice(0, length)}…` : id;
}
