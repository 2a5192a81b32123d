/** Outcome counts of a load generator, for diagnostics and tests. */
export interface LoadStats {
  sent: number;
  /** Ticks skipped because too many requests were still waiting (e.g. under injected latency). */
  skipped: number;
}

export interface LoadGenerator {
  stats(): LoadStats;
  /** Stops sending; requests already sent finish (or are cut short by the simulator's stop). */
  stop(): void;
}

/**
 * Sends a steady stream of requests: `requestsPerSecond` ticks a second, each starting one
 * request unless `maxInFlight` are still pending, so injected latency cannot pile up work.
 */
export function startLoadGenerator(send: () => Promise<unknown>, requestsPerSecond: number, maxInFlight = 64): LoadGenerator {
  const stats: LoadStats = { sent: 0, skipped: 0 };
  let inFlight = 0;
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    if (inFlight >= maxInFlight) {
      stats.skipped += 1;
      return;
    }
    inFlight += 1;
    stats.sent += 1;
    send()
      .catch(() => undefined)
      .finally(() => {
        inFlight -= 1;
      });
  }, 1000 / requestsPerSecond);
  return {
    stats: () => ({ ...stats }),
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
