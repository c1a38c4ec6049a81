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

/**
 * Where a run's arenas live, and the executor that runs phases over them: plain Float32Arrays
 * (the JS target, the default), or views into one WebAssembly.Memory (the wasm target). Each
 * arena the factory returns has `layout.total` elements, and is filled by the run.
 */
export interface Backing {
  arena(name: string): Float32Array;
  executor: ExecutorFactory;
  /** Threads the run really uses (the wasm target with init's threads). */
  threads?: number;
  /** Starts what the run needs before its first step (the wasm target's worker threads). */
  start?(): Promise<void>;
  /** Stops what start() started (the worker threads); resolves once they have exited. Twice is harmless. */
  close?(): Promise<void>;
}

export interface BackingOptions {
  guarded: boolean;
  /** The wasm target's lanes: "f64" (default, bit-exact) or "f32" (faster, within an ulp bound). */
  precision?: "f64" | "f32";
  /** The wasm target's threads (1: none). */
  threads?: number;
}

export type BackingFactory = (artifact: CompiledStep, layout: TensorLayout, options: BackingOptions) => Backing;
