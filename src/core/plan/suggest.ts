/**
 * Edit distance (insert, delete, substitute, swap of neighbours), giving up early: returns
 * `limit + 1` as soon as the distance must exceed `limit`.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  // Three rolling rows (two back, for the swap) instead of a full table.
  let beforePrevious = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, column) => column);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let row = 1; row <= a.length; row++) {
    current[0] = row;
    let rowBest = row;
    for (let column = 1; column <= b.length; column++) {
      const cost = a[row - 1] === b[column - 1] ? 0 : 1;
      let best = Math.min(previous[column]! + 1, current[column - 1]! + 1, previous[column - 1]! + cost);
      if (row > 1 && column > 1 && a[row - 1] === b[column - 2] && a[row - 2] === b[column - 1]) best = Math.min(best, beforePrevious[column - 2]! + 1);
      current[column] = best;
      if (best < rowBest) rowBest = best;
    }
    if (rowBest > limit) return limit + 1;
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return previous[b.length]!;
}

/**
 * Prepares a "did you mean" over a fixed set of known words: the returned function gives the
 * word a user most likely meant, or undefined when none is close enough. Case-only differences
 * always count; otherwise about one edit per three characters is allowed.
 */
export function createMatcher(candidates: Iterable<string>): (word: string) => string | undefined {
  const known = [...candidates].map((candidate) => ({ candidate, lower: candidate.toLowerCase() }));
  return (word) => {
    const lower = word.toLowerCase();
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const { candidate, lower: candidateLower } of known) {
      if (candidateLower === lower) return candidate;
      const allowed = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3));
      if (Math.abs(lower.length - candidateLower.length) > allowed) continue;
      const distance = editDistance(lower, candidateLower, Math.min(allowed, bestDistance - 1));
      if (distance <= allowed && distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best;
  };
}

/** One-off form of {@link createMatcher}. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  return createMatcher(candidates)(word);
}
