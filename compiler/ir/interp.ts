/**
 * The reference interpreter: the definition of what a StepProgram means. It evaluates the
 * unfused program node by node over whole arrays (float64), sums reductions in the order the
 * kernel format defines (targets/kernel.ts), checks guards, then stores (rounding to float32).
 * The JS target must match it bit for bit; GPU targets within a stated tolerance.
 */
import { evalAlu, truthy } from "../../format/ops.js";
import type { StepProgram } from "./node.js";

export interface InterpState {
  arenas: Map<string, Float32Array>;
  counters: Map<string, number>;
  /** Segment boundaries (tensor i spans seg[i]..seg[i+1]). */
  seg: Int32Array;
  /** One flag per segment for each mask of the layout. */
  maskflags: Float64Array[];
  /** Runtime inputs by input name (hyperparameters, step({ loss })). */
  inputs?: Map<string, number>;
}

export class GuardFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Val = number | Float64Array;

/** Sum over one segment with 4 interleaved accumulators, tail into the first. */
export function segmentSum(v: Float64Array, lo: number, hi: number): number {
  const acc = [0, 0, 0, 0];
  const main = lo + 4 * Math.floor((hi - lo) / 4);
  for (let i = lo; i < hi; i++) {
    if (i < main) acc[(i - lo) % 4] += v[i];
    else acc[0] += v[i];
  }
  return acc[0] + acc[1] + (acc[2] + acc[3]);
}

/** Called with every value the program would store (as float64) before any is stored; may throw to refuse the step. */
export type BeforeStore = (stored: readonly (readonly [string, Float64Array])[]) => void;

export function interpret(prog: StepProgram, st: InterpState, beforeStore?: BeforeStore): void {
  const nseg = st.seg.length - 1;
  const n = st.seg[nseg];
  const segOf = new Int32Array(n);
  for (let s = 0; s < nseg; s++) segOf.fill(s, st.seg[s], st.seg[s + 1]);
  const vals: Val[] = [];
  const reduced: Val[] = [];
  const at = (v: Val, rank: string, i: number): number => (typeof v === "number" ? v : rank === "segment" ? v[segOf[i]] : v[i]);
  const atSeg = (v: Val, s: number): number => (typeof v === "number" ? v : v[s]);

  prog.nodes.forEach((node, id) => {
    switch (node.op) {
      case "const":
        vals[id] = node.value;
        return;
      case "counter":
        vals[id] = st.counters.get(node.counter) ?? 0;
        return;
      case "maskflag":
        vals[id] = st.maskflags[node.mask];
        return;
      case "input": {
        const v = st.inputs?.get(node.input);
        if (v === undefined) throw new Error(`internal: no value for input ${node.input}`);
        vals[id] = v;
        return;
      }
      case "load": {
        const a = st.arenas.get(node.arena);
        if (!a) throw new Error(`internal: no arena ${node.arena}`);
        vals[id] = Float64Array.from(a);
        return;
      }
      case "reduce": {
        const r = prog.reductions[node.reduction];
        if (reduced[node.reduction] === undefined) {
          const v = vals[r.value];
          const full = typeof v === "number" ? new Float64Array(n).fill(v) : v;
          const sums = new Float64Array(nseg);
          for (let s = 0; s < nseg; s++) sums[s] = segmentSum(full, st.seg[s], st.seg[s + 1]);
          if (r.scope === "segment") reduced[node.reduction] = sums;
          else {
            let g = 0;
            for (let s = 0; s < nseg; s++) if (r.mask === undefined || truthy(atSeg(vals[r.mask], s))) g = g + sums[s];
            reduced[node.reduction] = g;
          }
        }
        vals[id] = reduced[node.reduction];
        return;
      }
    }
    const len = node.rank === "element" ? n : node.rank === "segment" ? nseg : 0;
    const get = (x: number, i: number) => (node.rank === "segment" ? atSeg(vals[x], i) : at(vals[x], prog.nodes[x].rank, i));
    const one = (i: number): number => evalAlu(node, (x) => get(x, i));
    if (len === 0) vals[id] = one(0);
    else {
      const out = new Float64Array(len);
      for (let i = 0; i < len; i++) out[i] = one(i);
      vals[id] = out;
    }
  });

  for (const g of prog.guards) {
    if (!truthy(vals[g.cond] as number)) throw new GuardFailure(g.code, g.message);
  }
  const stored = prog.stores.map((s) => {
    const v = vals[s.value];
    return [s.arena, typeof v === "number" ? new Float64Array(n).fill(v) : v] as const;
  });
  const counters = prog.counterStores.map((c) => [c.counter, vals[c.value] as number] as const);
  beforeStore?.(stored);
  for (const [arena, v] of stored) st.arenas.get(arena)!.set(v);
  for (const [c, v] of counters) st.counters.set(c, v);
}
