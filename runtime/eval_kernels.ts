/**
 * Kernels compiled from source with `new Function`, for configs compiled at run time. Not part
 * of the "optc/runtime" entry, so build-time modules stay free of eval (Content-Security-Policy).
 *
 * Each run gets freshly compiled functions: V8 treats a closure's captured typed arrays as
 * constants only while its function has a single closure; sharing one compiled function
 * between runs made streaming steps 2-3x slower.
 */
import type { KernelFactory } from "./backends/js/index.js";
import { fail } from "./errors.js";
import { finiteScanner } from "./finite.js";
import type { KernelSource } from "./kernels.js";

export const evalKernels: KernelSource = {
  factory({ kernel, code }, guarded) {
    const source = guarded ? code.jsGuarded : code.js;
    if (source === undefined) fail("R110", `kernel ${kernel.name} has no JS code`, "compile with { target: 'js' }");
    return new Function(source)() as KernelFactory;
  },
  finiteScan(a) {
    const fresh = new Function(`return (${finiteScanner.toString()})`)() as typeof finiteScanner;
    return fresh(a);
  },
};
