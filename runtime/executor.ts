/** How a Run executes one phase of a step: compiled kernels (JS) or, in tests, the reference interpreter. */
import type { CompiledStep } from "../format/artifact.js";
import type { KernelSource } from "./kernels.js";
import type { TensorLayout } from "./tensors.js";

export interface ExecutorContext {
  artifact: CompiledStep;
  layout: TensorLayout;
  /** Refuse a step over a non-finite input or stored value (R201, R206, R207), state unchanged. */
  guarded: boolean;
  arenas: Map<string, Float32Array>;
  counters: Map<string, number>;
  /** Runtime inputs by input name: hyperparameters and the step's values (runtime/run_inputs.ts). */
  inputs: ReadonlyMap<string, number>;
  maskflags: Float64Array[];
  seg: Int32Array;
  kernels: KernelSource;
}

export interface PhaseExecutor {
  /** Runs a phase atomically: on a refused step (a guard, a non-finite value), nothing it wrote survives. */
  run(phase: string): void | Promise<void>;
}

export type ExecutorFactory = (ctx: ExecutorContext) => PhaseExecutor;
