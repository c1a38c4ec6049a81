/** optc/runtime: everything a compiled optimizer needs at run time, and nothing of the compiler. */
export { load, Optimizer, Run, type AllReduce, type GradFn, type GradResult, type InitOptions, type StepOptions, type Tensors } from "./optimizer.js";
export { OptcRuntimeError } from "./errors.js";
export { GpuRun, type GpuInitOptions, type GpuStepOptions, type GpuDeviceGradIo } from "./backends/webgpu/run.js";
export { MAX_UNSYNCED_STEPS, type SyncReport } from "./device_run.js";
export type { DeviceGradFn, DeviceGradIo } from "./opaque_cycle.js";
export { GpuJsRun, type GpuJsInitOptions, type GpuJsStepOptions, type GpuJsInstance, type GpuJsKernelFunction } from "./backends/gpujs/run.js";
export type { CompiledStep, PhaseArtifact, PassArtifact, ArenaDecl, CounterDecl, Protocol } from "../format/artifact.js";
export { ARTIFACT_VERSION } from "../format/artifact.js";
export type { StateSnapshot } from "./state.js";
export { encodeState, decodeState } from "./state.js";
export type { TensorInit, TensorInfo } from "./tensors.js";
export type { KernelFactory } from "./backends/js/index.js";
export { loadWasm } from "./backends/wasm/index.js";
export { prebuiltKernels, type KernelSource } from "./kernels.js";
