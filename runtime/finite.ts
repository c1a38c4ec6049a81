/**
 * A finiteness check bound to one arena: returns the first non-finite index, or -1. Each check
 * is its own compiled function closing over its buffer (the fast "bound" shape), and reads with
 * four accumulators: x * 0 is 0 for finite x and NaN otherwise.
 */
const SOURCE = `
  const n = a.length;
  return function firstNonFinite() {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += a[i] * 0;
      s1 += a[i + 1] * 0;
      s2 += a[i + 2] * 0;
      s3 += a[i + 3] * 0;
    }
    for (; i < n; i++) s0 += a[i] * 0;
    if (s0 + s1 + s2 + s3 === 0) return -1;
    for (let j = 0; j < n; j++) if (!Number.isFinite(a[j])) return j;
    return -1;
  };`;

export function finiteCheck(a: Float32Array): () => number {
  return new Function("a", SOURCE)(a) as () => number;
}
