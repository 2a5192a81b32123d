import { RUNTIME_API_URL_PATTERN } from './syntax';

/**
 * Where HAProxy's runtime API listens, as the plan writes it: `tcp://HOST:PORT` (a `stats socket
 * ipv4@HOST:PORT` line) or `unix:///PATH` (a `stats socket /PATH` line).
 */
export type RuntimeApiAddress = { kind: 'tcp'; host: string; port: number; url: string } | { kind: 'unix'; path: string; url: string };

/** Parses a runtime API URL; undefined when it is not one. */
export function parseRuntimeApiUrl(url: string): RuntimeApiAddress | undefined {
  if (!RUNTIME_API_URL_PATTERN.test(url)) return undefined;
  if (url.startsWith('unix://')) return { kind: 'unix', path: url.slice('unix://'.length), url };
  const rest = url.slice('tcp://'.length);
  const colon = rest.lastIndexOf(':');
  const port = Number(rest.slice(colon + 1));
  const host = rest.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', host, port, url };
}

/** True for a TCP address on this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackAddress(address: RuntimeApiAddress): boolean {
  if (address.kind === 'unix') return true;
  const host = address.host.toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
