/** optc: compile an optimizer config string into a runnable optimizer. */
import { OptcError } from "./compiler/diagnostics.js";
import { error } from "./dsl/diagnostic.js";
import { interpExecutor } from "./reference.js";
import { compileSource } from "./compiler/pipeline.js";
import { isTarget, TARGETS, type CompiledStep, type Target } from "./format/artifact.js";
import { GpuRun, type GpuInitOptions } from "./runtime/backends/webgpu/run.js";
import { GpuJsRun, type GpuJsInitOptions } from "./runtime/backends/gpujs/run.js";
import type { TensorInit } from "./runtime/tensors.js";
import { evalKernels } from "./runtime/eval_kernels.js";
import { load, type Optimizer } from "./runtime/optimizer.js";
import { loadWasm } from "./runtime/backends/wasm/index.js";
import { wasmSimdSupported } from "./runtime/backends/wasm/support.js";

export interface CompileOptions {
  /** "wasm" (the default where WebAssembly SIMD runs), "js" (the default elsewhere), "webgpu" or "gpujs". */
  target?: Target;
}

/** A config compiled for WebGPU: init(params, { device }) gives a run whose state lives on the GPU. */
export interface WebGpuOptimizer {
  artifact: CompiledStep;
  init(params: Record<string, TensorInit>, options: GpuInitOptions): Promise<GpuRun>;
}

/** A config compiled for gpu.js: init(params, { gpu }) gives a run whose state lives in gpu.js textures. */
export interface GpuJsOptimizer {
  artifact: CompiledStep;
  init(params: Record<string, TensorInit>, options?: GpuJsInitOptions): Promise<GpuJsRun>;
}

/** Compiles a config to its artifact; throws OptcError (with rendered diagnostics) on a bad config. */
/** E100 unless the config is text (a JS caller may pass anything). */
function requireText(source: unknown): asserts source is string {
  if (typeof source !== "string") {
    throw new OptcError([error("E100", `the config must be a string, got ${source === null ? "null" : typeof source}`, undefined, 'pass the optimizer as text, e.g. compile("adamw(1e-3)")')], "");
  }
}

/** What compile() runs without a target: "wasm" where WebAssembly SIMD validates, else "js". */
export function defaultTarget(): "wasm" | "js" {
  return wasmSimdSupported() ? "wasm" : "js";
}

export function compileArtifact(source: string, options: CompileOptions = {}): CompiledStep {
  requireText(source);
  if (options === null || typeof options !== "object") throw new OptcError([error("E401", "compile()'s options must be an object", undefined, 'e.g. compile(config, { target: "webgpu" })')], source);
  // The default: wasm where this engine runs WebAssembly SIMD (the interpreter's bits, 2-6x the
  // JS target's speed on the Adam family: README "WebAssembly"), else the JS target.
  const target = options.target ?? defaultTarget();
  if (!isTarget(target)) {
    throw new OptcError([error("E401", `unknown target '${String(options.target)}'`, undefined, `targets: ${TARGETS.map((t) => JSON.stringify(t)).join(", ")}`)], source);
  }
  const c = compileSource(source, target);
  if (!c.artifact) throw new OptcError(c.diagnostics, source);
  return c.artifact;
}

/**
 * The same optimizer, but every step runs the reference interpreter (compiler/ir/interp.ts)
 * instead of the generated kernels: slow, and the definition the kernels are tested against.
 */
export function compileReference(source: string): Optimizer {
  requireText(source);
  const c = compileSource(source);
  if (!c.artifact || !c.lowered) throw new OptcError(c.diagnostics, source);
  return load(c.artifact, evalKernels, { executor: interpExecutor(c.lowered.phases) });
}

/** compile("adamw(1e-3)") → an Optimizer; `await opt.init(params)` gives a stateful run. */
export function compile(source: string, options: { target: "webgpu" }): WebGpuOptimizer;
export function compile(source: string, options: { target: "gpujs" }): GpuJsOptimizer;
export function compile(source: string, options?: { target?: "js" | "wasm" }): Optimizer;
export function compile(source: string, options?: CompileOptions): Optimizer | WebGpuOptimizer | GpuJsOptimizer;
export function compile(source: string, options: CompileOptions = {}): Optimizer | WebGpuOptimizer | GpuJsOptimizer {
  const artifact = compileArtifact(source, options);
  if (artifact.target === "gpujs") {
    const gpuJsOptimizer: GpuJsOptimizer = { artifact, init: (params, init) => GpuJsRun.create(artifact, params, init) };
    return gpuJsOptimizer;
  }
  if (artifact.target === "webgpu") {
    const gpuOptimizer: WebGpuOptimizer = { artifact, init: (params, init) => GpuRun.create(artifact, params, init) };
    return gpuOptimizer;
  }
  if (artifact.target === "wasm") return loadWasm(artifact);
  return load(artifact, evalKernels);
}

export { OptcError, renderDiagnostics } from "./compiler/diagnostics.js";
export { checkSource, compileSource, type Compilation } from "./compiler/pipeline.js";
export * from "./runtime/index.js";
export { parse, formatProgram } from "./dsl/index.js";
export type { Diagnostic } from "./dsl/index.js";
