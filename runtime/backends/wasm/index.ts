/** The wasm target's entry in the runtime: an artifact compiled with { target: "wasm" } → an Optimizer whose runs live in one WebAssembly.Memory. */
import type { CompiledStep } from "../../../format/artifact.js";
import { fail } from "../../errors.js";
import { finiteScanner } from "../../finite.js";
import type { KernelSource } from "../../kernels.js";
import { load, type Optimizer } from "../../optimizer.js";
import { wasmBacking } from "./executor.js";

const WASM_MAX_BYTES = 4 * 2 ** 30;

/** A wasm artifact carries no JS kernels: the executor runs its wasm modules. */
const noJsKernels: KernelSource = {
  factory: ({ kernel }) => fail("R110", `kernel ${kernel.name} has no JS code (this optimizer was compiled for wasm)`, "compile with { target: 'js' } for JS kernels"),
  finiteScan: finiteScanner,
};

/** Loads an artifact compiled with { target: "wasm" } (build-time modules call this; compile() does too). */
export function loadWasm(artifact: CompiledStep): Optimizer {
  if (artifact?.target !== "wasm") fail("R110", `loadWasm() got an artifact compiled for '${String(artifact?.target)}'`, "compile with { target: 'wasm' }");
  // wasm32 addresses 4 GiB: a larger model is R111 before its params are even packed (planMemory checks the exact size).
  return load(artifact, noJsKernels, { backing: wasmBacking, maxBytes: WASM_MAX_BYTES });
}

export { wasmBacking } from "./executor.js";
