/** Evaluates a phase's host program: float64 scalars and per-segment vectors. */
import type { HostNode } from "../format/artifact.js";
import { evalAlu } from "../format/ops.js";

export type HostValue = number | Float64Array;

export interface HostInputs {
  counter(name: string): number;
  /** A runtime input (hyperparameter or step value) by input name. */
  input?(name: string): number;
  reduction(index: number): HostValue;
  maskflags(mask: number): Float64Array;
  segments: number;
}

function lift(v: HostValue, i: number): number {
  return typeof v === "number" ? v : v[i];
}

/**
 * Evaluates host nodes whose level is in [fromLevel, toLevel] into `vals` (in id order), except
 * those `skip` marks (GPU runs: the values the device computes).
 */
export function evalHost(nodes: readonly HostNode[], vals: HostValue[], inp: HostInputs, fromLevel: number, toLevel: number, skip?: readonly boolean[]): void {
  nodes.forEach((n, id) => {
    if (n.level < fromLevel || n.level > toLevel || skip?.[id]) return;
    switch (n.op) {
      case "const":
        vals[id] = n.value;
        return;
      case "counter":
        vals[id] = inp.counter(n.counter);
        return;
      case "input":
        if (!inp.input) throw new Error(`internal: input ${n.input} read without runtime inputs`);
        vals[id] = inp.input(n.input);
        return;
      case "reduce":
        vals[id] = inp.reduction(n.reduction);
        return;
      case "maskflag":
        vals[id] = inp.maskflags(n.mask);
        return;
    }
    const out = n.rank === "segment" ? new Float64Array(inp.segments) : undefined;
    const count = out ? out.length : 1;
    let scalar = 0;
    for (let i = 0; i < count; i++) {
      const r = evalAlu(n, (x) => lift(vals[x], i));
      if (out) out[i] = r;
      else scalar = r;
    }
    vals[id] = out ?? scalar;
  });
}
