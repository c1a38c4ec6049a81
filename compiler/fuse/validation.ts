/**
 * The kernels GPU runs use to count non-finite values: before a phase in its inputs (params,
 * gradients: R201, R206), after it in what it wrote (R207). One per arena.
 */
import type { KernelPlan } from "./plan.js";

/** A kernel counting the non-finite elements of one arena: Σ (isfinite(x) - 1) is minus their count. */
function validationKernel(arena: string): KernelPlan {
  return {
    kernel: {
      name: `validate.${arena}`,
      bindings: [{ name: arena, read: true, write: false }],
      uniformCount: 0,
      segvalCount: 0,
      ops: [{ op: "load", arena: 0 }, { op: "isfinite", a: 0 }, { op: "const", value: 1 }, { op: "sub", a: 2, b: 1 }],
      stores: [],
      reductions: [{ value: 3, scope: "global" }],
    },
    uniforms: [],
    segvals: [],
    reductions: [0],
    reads: [arena],
    readsBack: [],
    writes: [],
  };
}

/** One validation kernel per arena. */
export function validationPlans(arenas: readonly string[]): Record<string, KernelPlan> {
  return Object.fromEntries(arenas.map((a) => [a, validationKernel(a)]));
}
