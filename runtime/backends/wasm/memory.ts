/**
 * The wasm run's memory: every arena, backup and kernel scratch area of a run in one
 * WebAssembly.Memory, sized once here and never grown (growing detaches the old ArrayBuffer,
 * and V8 then runs every typed-array loop of the process slower for good: perf anchors, trap 1).
 * Each region starts on a 16-byte boundary.
 */
import type { CompiledStep, KernelArtifact } from "../../../format/artifact.js";
import { fail } from "../../errors.js";
import type { TensorLayout } from "../../tensors.js";

const PAGE = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_PAGES = 65536;

/** Byte addresses of one kernel's host-side buffers (all float64): uniforms, per-segment values, reduction outputs. */
export interface KernelScratch {
  U: number;
  SV: number;
  R: number;
  RS: number;
}

export interface WasmMemoryPlan {
  memory: WebAssembly.Memory;
  /** The segment table (int32, segments + 1 entries). */
  seg: number;
  arenas: Map<string, number>;
  /** The guarded run's backup of each arena a kernel writes. */
  backups: Map<string, number>;
  scratch: Map<KernelArtifact, KernelScratch>;
  /** The thread pool's control words (int32; runtime/backends/wasm/threads.ts). */
  ctrl: number;
}

/** Control words a thread pool needs: a header, then four per thread (its ranges). */
export const CTRL_WORDS = 8 + 4 * 64;

/** The kernels of every phase. */
export function allKernels(artifact: CompiledStep): KernelArtifact[] {
  return Object.values(artifact.phases).flatMap((p) => p.passes.flatMap((pass) => pass.kernels));
}

/** Arenas some kernel stores into: the ones a guarded run backs up. */
export function writtenArenas(artifact: CompiledStep): string[] {
  return [...new Set(allKernels(artifact).flatMap(({ kernel }) => kernel.stores.map((s) => kernel.bindings[s.arena].name)))];
}

export function planMemory(artifact: CompiledStep, layout: TensorLayout, guarded: boolean, shared = false): WasmMemoryPlan {
  const nseg = layout.seg.length - 1;
  let top = 0;
  const take = (bytes: number) => {
    const at = top;
    top += Math.ceil(Math.max(bytes, 16) / 16) * 16;
    return at;
  };
  const seg = take((nseg + 1) * 4);
  const ctrl = take(CTRL_WORDS * 4);
  const arenaBytes = layout.total * 4;
  const arenas = new Map(artifact.arenas.map((a) => [a.name, take(arenaBytes)] as const));
  const backups = new Map(guarded ? writtenArenas(artifact).map((name) => [name, take(arenaBytes)] as const) : []);
  const scratch = new Map<KernelArtifact, KernelScratch>();
  for (const k of allKernels(artifact)) {
    const { kernel } = k;
    scratch.set(k, { U: take(kernel.uniformCount * 8), SV: take(kernel.segvalCount * nseg * 8), R: take(kernel.reductions.length * 8), RS: take(kernel.reductions.length * nseg * 8) });
  }
  const pages = Math.ceil(top / PAGE);
  if (pages > MAX_PAGES) {
    fail("R111", `the wasm run would need ${(top / 2 ** 30).toFixed(1)} GiB of WebAssembly memory, more than the 4 GiB wasm32 addresses`, "use the JS target (compile(config) or { target: 'js' }), or split the model across optimizers");
  }
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, ...(shared ? { shared: true } : {}) } as WebAssembly.MemoryDescriptor);
  } catch (e) {
    return fail("R111", `could not allocate ${(top / 2 ** 20).toFixed(0)} MiB of WebAssembly memory (${(e as Error).message})`, "free memory, use a smaller model, or use the JS target");
  }
  new Int32Array(memory.buffer, seg, nseg + 1).set(layout.seg);
  return { memory, seg, arenas, backups, scratch, ctrl };
}
