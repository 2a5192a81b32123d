// Pure: no `vscode` import, so vitest can test it with fake timers.

/**
 * Runs the latest scheduled task per key after a quiet period: each new schedule for a key
 * replaces the pending one, so only the last keystroke of a burst triggers a validation.
 */
export class KeyedDebouncer {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly lastRunAt = new Map<string, number>();

  schedule(key: string, delayMs: number, task: () => void): void {
    this.cancel(key);
    const timer = setTimeout(
      () => {
        this.pending.delete(key);
        task();
      },
      Math.max(0, delayMs),
    );
    this.pending.set(key, timer);
  }

  /**
   * Like `schedule`, but a key that has been quiet for `delayMs` (nothing pending, no run within
   * the delay) runs on the next tick: a single keystroke gets its diagnostics after one
   * validation, not after the delay plus one validation. Keystrokes that follow within the delay
   * still collapse into one trailing run after the last of them.
   */
  scheduleLeading(key: string, delayMs: number, task: () => void): void {
    const delay = Math.max(0, delayMs);
    const quiet = !this.pending.has(key) && Date.now() - (this.lastRunAt.get(key) ?? -Infinity) >= delay;
    this.cancel(key);
    const timer = setTimeout(
      () => {
        this.pending.delete(key);
        this.lastRunAt.set(key, Date.now());
        task();
      },
      quiet ? 0 : delay,
    );
    this.pending.set(key, timer);
  }

  /** Drops the pending task of a key, if any (the document closed, or ran already on save). */
  cancel(key: string): void {
    const timer = this.pending.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.pending.delete(key);
    }
  }

  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.lastRunAt.clear();
  }
}
