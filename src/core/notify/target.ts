// A notify target made ready to send: its URL and headers with secret references resolved at send
// time, and a scrubber that takes those values out of any text that will be shown or recorded.
import type { SecretResolver } from '../secrets';
import { redactionMarker } from '../ledger/redact';
import type { NotifyTarget } from '../plan/schema';

/** A secret the target needs is not set; the message names it (never a value). */
export class TargetResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetResolutionError';
  }
}

export interface ResolvedTarget {
  url: string;
  headers: Record<string, string>;
  /** Replaces every resolved secret value in `text` with its redaction marker. */
  scrub(text: string): string;
}

/** Where a target sends, for people and the ledger: the URL without credentials or query, or `secret:<name>`. */
export function notifyTargetLabel(target: NotifyTarget): string {
  if (target.urlSecret) return `secret:${target.urlSecret.secret}`;
  try {
    const url = new URL(target.url ?? '');
    return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return target.url ?? '?';
  }
}

/** Resolves the target's secret references; rejects with {@link TargetResolutionError} when one is missing. */
export async function resolveTarget(target: NotifyTarget, secrets: SecretResolver): Promise<ResolvedTarget> {
  const values = new Map<string, string>();
  const need = async (name: string, what: string): Promise<string> => {
    const value = await secrets.get(name);
    if (value === undefined || value === '') throw new TargetResolutionError(`the secret '${name}' (${what}) is not set`);
    values.set(name, value);
    return value;
  };
  const url = target.urlSecret ? await need(target.urlSecret.secret, 'the target URL') : (target.url ?? '');
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'rollgate-notify' };
  for (const [name, reference] of Object.entries(target.headers ?? {})) headers[name] = await need(reference.secret, `header ${name}`);
  const pairs = [...values.entries()].filter(([, value]) => value.length > 0).sort((a, b) => b[1].length - a[1].length);
  return {
    url,
    headers,
    scrub(text) {
      let result = text;
      for (const [name, value] of pairs) {
        for (const form of new Set([value, encodeURIComponent(value)])) result = result.split(form).join(redactionMarker(name));
      }
      return result;
    },
  };
}
