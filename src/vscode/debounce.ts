// Pure: no `vscode` import, so vitest can test it with fake timers.

/**
 * Runs the latest scheduled task per key after a quiet period: each new schedule for a key
 * replaces the pending one, so only the last keystroke of a burst triggers a validation.
 */
export class KeyedDebouncer {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  schedule(key: string, delayMs: number, task: () => void): void {
    this.cancel(key);
    const timer = setTimeout(() => {
      this.pending.delete(key);
      task();
    }, Math.max(0, delayMs));
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
  }
}
