/**
 * "Did you mean": the closest candidate by edit distance (transpositions count once). Bounded in
 * time whatever the input: words and candidates longer than MAX_SUGGEST_LENGTH get no suggestion,
 * candidates whose length differs by more than the accepted distance are skipped, and the
 * distance is computed in two rows of O(len) memory with an early exit once it exceeds the limit.
 */

/** Words longer than this get no "did you mean" (no name in the language is half as long). */
export const MAX_SUGGEST_LENGTH = 64;

/**
 * Optimal-string-alignment distance between a and b, or `limit + 1` as soon as it is certain to
 * exceed `limit` (default: no limit). O(|a|·|b|) time, O(|b|) memory.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  const lower = word.toLowerCase();
  const exactCase = candidates.find((c) => c.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    if (c.length > MAX_SUGGEST_LENGTH) continue;
    const dist = editDistance(lower, c.toLowerCase(), Math.min(limit, bestDist));
    if (dist < bestDist) {
      best = c;
      bestDist = dist;
    }
  }
  return bestDist <= limit ? best : undefined;
}

/** A user's name as messages show it: a long one is cut (the caret shows where it is). */
export function shown(name: string): string {
  return name.length <= MAX_SUGGEST_LENGTH ? name : `${name.slice(0, 32)}… (${name.length.toLocaleString("en-US")} characters)`;
}

export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const c = closest(word, candidates);
  return c === undefined ? undefined : `did you mean '${c}'?`;
}
