/**
 * A renderer: a target's name, what its kernels can do (the fuser plans around these, so no
 * renderer re-plans), and how it prints one kernel.
 */
import type { KernelCode, Target } from "../format/artifact.js";
import type { DeviceCode, DeviceProgram, DeviceTable } from "../format/device.js";
import type { Kernel } from "../format/kernel.js";

export interface RendererCaps {
  /** Values one kernel may write: its stores, or, in a kernel of their own, its reductions. */
  maxOutputs: number;
  /**
   * Whether one kernel may both store and reduce (CPU loops, GPU shared memory). Otherwise each
   * reduction goes into a kernel of its own that recomputes the reduced value from the pass's
   * inputs (WebGL has no shared memory or atomics).
   */
  reduceWithStores: boolean;
  /**
   * Whether every kernel of a pass reads the arenas as they were before the pass (immutable
   * textures). Only such a target may get a pass split into several kernels.
   */
  kernelsReadPassInputs: boolean;
}

/** Where a GPU kernel finds its host values: the phase's device table, and the host node of each uniform and segval. */
export interface KernelContext {
  table: DeviceTable;
  uniforms: number[];
  segvals: number[];
}

export interface Renderer {
  target: Target;
  caps: RendererCaps;
  /** GPU targets keep the step on the device: guards, folds and outcome-dependent counters (compiler/fuse/device.ts). */
  device?: boolean;
  render(kernel: Kernel, context?: KernelContext): KernelCode;
  /** A device program (GPU targets). */
  renderDevice?(program: DeviceProgram, table: DeviceTable): DeviceCode;
  /** The fold of reductions' partial sums, if the target's runtime needs one program for it. */
  renderFold?(): DeviceCode;
}
