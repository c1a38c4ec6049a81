/** Paired benchmarking: every round runs every candidate once (rotated), ratios are taken inside a round. */

export interface Candidate {
  name: string;
  /** Bytes read + written per call (for GB/s). */
  bytes: number;
  fn: () => void;
}

export interface Row {
  name: string;
  medianMs: number;
  gbps: number;
  /** Median over rounds of (this candidate's time / the baseline's time in the same round). */
  ratio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Time per call over a sample of at least `minMs`. */
function sample(fn: () => void, minMs: number): number {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    fn();
    calls++;
    t = performance.now();
  } while (t - t0 < minMs);
  return (t - t0) / calls;
}

export function bench(cands: Candidate[], opts: { rounds: number; minMs: number; baseline: string }): Row[] {
  // Warm up for 150 ms each so every candidate is fully optimised (tiered up) before round 1.
  for (const c of cands) sample(c.fn, 150);
  const times = new Map<string, number[]>(cands.map((c) => [c.name, []]));
  const ratios = new Map<string, number[]>(cands.map((c) => [c.name, []]));
  for (let r = 0; r < opts.rounds; r++) {
    const round = new Map<string, number>();
    for (let j = 0; j < cands.length; j++) {
      const c = cands[(j + r) % cands.length];
      round.set(c.name, sample(c.fn, opts.minMs));
    }
    const base = round.get(opts.baseline)!;
    for (const c of cands) {
      times.get(c.name)!.push(round.get(c.name)!);
      ratios.get(c.name)!.push(round.get(c.name)! / base);
    }
  }
  return cands.map((c) => {
    const ms = median(times.get(c.name)!);
    return { name: c.name, medianMs: ms, gbps: c.bytes / (ms * 1e6), ratio: median(ratios.get(c.name)!) };
  });
}
