/**
 * A finiteness check bound to one arena: the first non-finite index, or -1. The fast path reads
 * with four accumulators: x * 0 is 0 for finite x and NaN otherwise. eval_kernels.ts compiles a
 * fresh copy of this function per arena (its own closure is then the fastest shape).
 */
export function finiteCheckPlain(a: Float32Array): () => number {
  const n = a.length;
  return () => {
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
  };
}
