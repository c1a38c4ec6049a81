/** How a Run executes one phase of a step: compiled kernels (JS) or, in tests, the reference interpreter. */
import type { CompiledStep } from "../format/artifact.js";
import type { KernelSource } from "./kernels.js";

export interface ExecutorContext {
  artifact: CompiledStep;
  arenas: Map<string, Float32Array>;
  counters: Map<string, number>;
  maskflags: Float64Array[];
  seg: Int32Array;
  kernels: KernelSource;
}

export interface PhaseExecutor {
  /** Runs a phase atomically: on a refused step (a guard), nothing is written. */
  run(phase: string): void | Promise<void>;
  /** Arenas the phase reads as gradients (validated before it runs). */
  gradientArenas(phase: string): string[];
}

export type ExecutorFactory = (ctx: ExecutorContext) => PhaseExecutor;
