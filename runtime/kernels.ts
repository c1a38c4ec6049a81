/**
 * Where a run's executable code comes from. The runtime entry ("optc/runtime") never evaluates
 * source text: build-time modules pass their kernels as real functions (prebuiltKernels), and
 * only the compiler entry ("optc") compiles source with `new Function` (eval_kernels.ts).
 */
import type { KernelFactory } from "./backends/js/index.js";
import { fail } from "./errors.js";
import { finiteCheckPlain } from "./finite.js";

export interface KernelSource {
  factory(kernelName: string, code: string | undefined): KernelFactory;
  /** A check bound to one arena: the first non-finite index, or -1. */
  finiteCheck(a: Float32Array): () => number;
}

export function prebuiltKernels(factories: Record<string, KernelFactory>): KernelSource {
  return {
    factory(name) {
      const f = factories[name];
      if (!f) fail("R110", `no prebuilt kernel '${name}'`, "regenerate the optimizer module with optc compile");
      return f;
    },
    finiteCheck: finiteCheckPlain,
  };
}
