/**
 * Where HAProxy's runtime API listens, as the plan writes it: `tcp://HOST:PORT` (a `stats socket
 * ipv4@HOST:PORT` line) or `unix:///PATH` (a `stats socket /PATH` line).
 */
export type RuntimeApiAddress = { kind: 'tcp'; host: string; port: number; url: string } | { kind: 'unix'; path: string; url: string };

/** `tcp://` and a host (name, IPv4, or IPv6 in brackets) and a port; or `unix://` and an absolute path. */
export const RUNTIME_API_URL_PATTERN = /^(?:tcp:\/\/(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}|unix:\/\/\/\S*)$/;

/** Parses a runtime API URL; undefined when it is not one. */
export function parseRuntimeApiUrl(url: string): RuntimeApiAddress | undefined {
  if (!RUNTIME_API_URL_PATTERN.test(url)) return undefined;
  if (url.startsWith('unix://')) {
    const path = url.slice('unix://'.length);
    return path.length > 1 ? { kind: 'unix', path, url } : undefined;
  }
  const rest = url.slice('tcp://'.length);
  const colon = rest.lastIndexOf(':');
  const port = Number(rest.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const host = rest.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', host, port, url };
}

/** True for a TCP address on this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackAddress(address: RuntimeApiAddress): boolean {
  if (address.kind === 'unix') return true;
  const host = address.host.toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
