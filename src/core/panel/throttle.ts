/** Timer functions, injected so tests can drive time. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * Calls `action` at most once per `intervalMs`: the first call runs at once, calls during the
 * interval collapse into one trailing run at its end, so the last change is always delivered
 * within `intervalMs` (the panel's "within a second of a change").
 */
export function throttle(action: () => void, intervalMs: number, timers: Timers = realTimers): { schedule(): void; flush(): void; dispose(): void } {
  let lastRun = -Infinity;
  let pending: unknown;
  let disposed = false;
  const run = () => {
    pending = undefined;
    if (disposed) return;
    lastRun = timers.now();
    action();
  };
  return {
    schedule() {
      if (disposed || pending !== undefined) return;
      const wait = lastRun + intervalMs - timers.now();
      if (wait <= 0) run();
      else pending = timers.setTimeout(run, wait);
    },
    flush() {
      if (pending !== undefined) timers.clearTimeout(pending);
      run();
    },
    dispose() {
      disposed = true;
      if (pending !== undefined) timers.clearTimeout(pending);
      pending = undefined;
    },
  };
}
