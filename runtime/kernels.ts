/**
 * Where a run's executable code comes from. The runtime entry ("optc/runtime") never evaluates
 * source text: build-time modules pass their kernels as real functions (prebuiltKernels), and
 * only the compiler entry ("optc") compiles source with `new Function` (eval_kernels.ts).
 */
import { guardedKernelKey, type KernelArtifact } from "../format/artifact.js";
import type { KernelFactory } from "./backends/js/index.js";
import { fail } from "./errors.js";
import { finiteScanner } from "./finite.js";

export interface KernelSource {
  /** The kernel's factory: its guarded form (with backups) or the plain one. */
  factory(kernel: KernelArtifact, guarded: boolean): KernelFactory;
  /** A finiteness scan bound to one arena: the first non-finite index, or -1. */
  finiteScan(a: Float32Array): () => number;
}

export function prebuiltKernels(factories: Record<string, KernelFactory>): KernelSource {
  return {
    factory({ kernel }, guarded) {
      const key = guarded ? guardedKernelKey(kernel.name) : kernel.name;
      const f = factories[key];
      if (!f) fail("R110", `no prebuilt kernel '${key}'`, "regenerate the optimizer module with optc compile");
      return f;
    },
    finiteScan: finiteScanner,
  };
}
