/**
 * The Prometheus that `rollgate dev` starts: its default port and how often it scrapes. The dev
 * stack reads these to write its config, and plan validation reads them to judge rate windows of
 * plans that target it, so the two cannot drift apart.
 */
export const DEV_PROMETHEUS = { port: 9090, scrapeIntervalMs: 1000 } as const;

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])$/i;

/**
 * The scrape interval of the Prometheus at `url` when it is known without asking it: the dev
 * stack's, for a loopback URL on its default port. Undefined for anything else.
 */
export function knownScrapeInterval(url: unknown): { scrapeIntervalMs: number; scraper: string } | undefined {
  if (typeof url !== 'string') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!LOOPBACK.test(parsed.hostname) || parsed.port !== String(DEV_PROMETHEUS.port)) return undefined;
  return { scrapeIntervalMs: DEV_PROMETHEUS.scrapeIntervalMs, scraper: 'the Prometheus of `rollgate dev`' };
}
