import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedDebouncer } from '../../../src/vscode/debounce';

describe('KeyedDebouncer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs only the last task of a burst, after the quiet period', () => {
    const debouncer = new KeyedDebouncer();
    const runs: number[] = [];
    for (let keystroke = 1; keystroke <= 5; keystroke++) {
      debouncer.schedule('plan', 150, () => runs.push(keystroke));
      vi.advanceTimersByTime(100);
    }
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(49);
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual([5]);
    expect(debouncer.isPending('plan')).toBe(false);
  });

  it('keeps keys independent', () => {
    const debouncer = new KeyedDebouncer();
    const runs: string[] = [];
    debouncer.schedule('a', 10, () => runs.push('a'));
    debouncer.schedule('b', 20, () => runs.push('b'));
    debouncer.schedule('a', 10, () => runs.push('a2'));
    vi.advanceTimersByTime(20);
    expect(runs).toEqual(['a2', 'b']);
  });

  it('drops a cancelled task and every task on dispose', () => {
    const debouncer = new KeyedDebouncer();
    const runs: string[] = [];
    debouncer.schedule('a', 10, () => runs.push('a'));
    debouncer.schedule('b', 10, () => runs.push('b'));
    debouncer.cancel('a');
    expect(debouncer.isPending('a')).toBe(false);
    expect(debouncer.isPending('b')).toBe(true);
    debouncer.dispose();
    vi.advanceTimersByTime(100);
    expect(runs).toEqual([]);
  });

  it('treats a negative delay as zero', () => {
    const debouncer = new KeyedDebouncer();
    const runs: string[] = [];
    debouncer.schedule('a', -5, () => runs.push('a'));
    vi.advanceTimersByTime(0);
    expect(runs).toEqual(['a']);
  });

  it('runs the first keystroke after a quiet spell at once and a following burst once, after it', () => {
    const debouncer = new KeyedDebouncer();
    const runs: number[] = [];
    debouncer.scheduleLeading('plan', 150, () => runs.push(1));
    vi.advanceTimersByTime(0);
    expect(runs).toEqual([1]);
    // A burst right after that run waits for quiet and runs its last task only.
    for (let keystroke = 2; keystroke <= 4; keystroke++) {
      debouncer.scheduleLeading('plan', 150, () => runs.push(keystroke));
      vi.advanceTimersByTime(50);
    }
    expect(runs).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(runs).toEqual([1, 4]);
    // After a quiet spell longer than the delay, the next keystroke runs at once again.
    vi.advanceTimersByTime(500);
    debouncer.scheduleLeading('plan', 150, () => runs.push(5));
    vi.advanceTimersByTime(0);
    expect(runs).toEqual([1, 4, 5]);
  });
});
