/**
 * The kernel format every renderer consumes: one pass of a step, as a small linear SSA
 * program evaluated once per element, plus its bindings. It knows nothing of optimizers.
 *
 * Semantics (the reference interpreter's, which each renderer must reproduce):
 * - ops are evaluated in order; op i defines value i; math is float64 (runtime/ops.ts);
 * - `load` reads element i of an arena (float32 widened to float64);
 * - `uniform` reads a per-step scalar; `segval` reads the value of the element's segment
 *   (tensor) from a per-segment vector;
 * - stores round to float32 and happen after every load of the same element;
 * - a reduction sums a value over the elements of each segment with four interleaved
 *   accumulators (element k of a segment goes to accumulator k mod 4, except a tail of
 *   len mod 4 elements, which goes to accumulator 0), combined as (a0 + a1) + (a2 + a3);
 *   a global reduction then folds the segment sums left to right from 0, skipping segments
 *   whose mask segval is false.
 * - a guarded run (the default) refuses a step that loads a non-finite value from a
 *   `checkFinite` binding or would store a non-finite float32 anywhere: nothing it stored
 *   survives (renderers write each overwritten value to a backup first).
 */
import type { AluOp } from "./ops.js";

/** A kernel value: a leaf (arena element, per-step scalar, per-segment value, literal) or ALU math. */
export type KernelOp = { op: "load"; arena: number } | { op: "uniform"; index: number } | { op: "segval"; index: number } | { op: "const"; value: number } | AluOp;

export interface KernelBinding {
  /** Arena name (`params`, `grads`, a state slot path). */
  name: string;
  read: boolean;
  write: boolean;
  /**
   * An input of the step (params, gradients): a guarded kernel refuses a non-finite value
   * loaded from it. (Its stored values are always checked: every state value stays finite.)
   */
  checkFinite?: boolean;
}

export interface KernelStore {
  arena: number;
  value: number;
}

export interface KernelReduction {
  value: number;
  scope: "global" | "segment";
  /** Index of a segval: segments where it is false do not contribute (global scope only). */
  mask?: number;
}

export interface Kernel {
  name: string;
  bindings: KernelBinding[];
  uniformCount: number;
  segvalCount: number;
  ops: KernelOp[];
  stores: KernelStore[];
  reductions: KernelReduction[];
}

/** A kernel needs a loop per segment when it reads per-segment values or reduces. */
export function isSegmented(k: Kernel): boolean {
  return k.segvalCount > 0 || k.reductions.length > 0;
}
