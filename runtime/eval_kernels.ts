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
import { finiteCheckPlain } from "./finite.js";
import type { KernelSource } from "./kernels.js";

export const evalKernels: KernelSource = {
  factory(name, code) {
    if (code === undefined) fail("R110", `kernel ${name} has no JS code`, "compile with { target: 'js' }");
    return new Function(code)() as KernelFactory;
  },
  finiteCheck(a) {
    const factory = new Function(`return (${finiteCheckPlain.toString()})`)() as typeof finiteCheckPlain;
    return factory(a);
  },
};
