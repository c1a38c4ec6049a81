/** The kernels GPU runs use to refuse non-finite gradients before a phase (R201): one per gradient arena. */
import { gradientArenas, type Protocol } from "../../format/artifact.js";
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

/** One validation kernel per gradient arena the config has. */
export function validationPlans(protocol: Protocol): Record<string, KernelPlan> {
  return Object.fromEntries(gradientArenas(protocol).map((g) => [g, validationKernel(g)]));
}
