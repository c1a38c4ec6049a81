/**
 * How gradients reach optc's arenas and new params reach tfjs's variables, per tfjs backend
 * (the JS target runs on the CPU for all of them; webgpu has its own stepper in webgpu.ts).
 *
 * - cpu: a tensor's values are a Float32Array in the backend (`backend.data.get(dataId).values`);
 *   gradients are copied from it into optc's grads arena (no dataSync, no temporary array), and
 *   new params are written into the variable's own values array in place when nothing else
 *   shares it (backend refCount 1), else assigned as a fresh tensor.
 * - wasm: gradients through a Float32Array view of the wasm heap at the tensor's memoryOffset,
 *   made afresh for each copy (heap growth detaches old views) and never kept. New params are
 *   always assigned as a fresh tensor (one copy into the heap): the wasm backend's XNNPACK
 *   matmul caches packed weights by tensor id, so writing a variable's memory in place would
 *   leave the next forward pass on the old weights (measured: the loss diverged).
 * - anything else (webgl, ...): dataSync() (a download) and variable.assign(tf.tensor(...)) (an upload).
 *
 * Every fast path is guarded (dtype, length, bounds, ownership) and falls back to the public API.
 */
import * as tf from "@tensorflow/tfjs-core";

/** What one step moved, counted per call (bytes are float32 payload). */
export interface CopyStats {
  /** Gradient bytes copied into optc's grads arena. */
  gradBytes: number;
  /** Param bytes written back into tfjs. */
  paramBytes: number;
  /** Gradients read straight from backend memory / through dataSync(). */
  directReads: number;
  syncReads: number;
  /** Variables written in place / replaced by variable.assign(a new tensor). */
  inPlaceWrites: number;
  assigns: number;
}

export const emptyStats = (): CopyStats => ({ gradBytes: 0, paramBytes: 0, directReads: 0, syncReads: 0, inPlaceWrites: 0, assigns: 0 });

interface CpuData {
  values?: unknown;
  dtype?: string;
}
interface CpuBackendLike {
  data?: { has(id: object): boolean; get(id: object): CpuData | undefined };
  refCount?(id: object): number;
}
interface WasmBackendLike {
  dataIdMap?: { has(id: object): boolean; get(id: object): { memoryOffset?: number | null; dtype?: string } | undefined };
  wasm?: { HEAPU8?: Uint8Array };
  refCount?(id: object): number;
}

const dataIdOf = (t: tf.Tensor): object => (t as unknown as { dataId: object }).dataId;

/** The Float32Array tfjs-cpu keeps for a tensor, if it is exactly that. */
function cpuValues(t: tf.Tensor, size: number): Float32Array | undefined {
  const b = tf.backend() as unknown as CpuBackendLike;
  const id = dataIdOf(t);
  try {
    if (!b.data || typeof b.data.has !== "function" || !b.data.has(id)) return undefined;
    const d = b.data.get(id);
    return d && d.dtype === "float32" && d.values instanceof Float32Array && d.values.length === size ? d.values : undefined;
  } catch {
    return undefined;
  }
}

/** A view of the wasm heap over a tensor's data, used at once and dropped. */
function wasmView(t: tf.Tensor, size: number): Float32Array | undefined {
  const b = tf.backend() as unknown as WasmBackendLike;
  const id = dataIdOf(t);
  try {
    if (!b.dataIdMap || typeof b.dataIdMap.has !== "function" || !b.dataIdMap.has(id)) return undefined;
    const d = b.dataIdMap.get(id);
    const heap = b.wasm?.HEAPU8;
    const at = d?.memoryOffset;
    if (!d || d.dtype !== "float32" || !(heap instanceof Uint8Array) || typeof at !== "number" || at % 4 !== 0 || at + 4 * size > heap.byteLength) return undefined;
    return new Float32Array(heap.buffer, heap.byteOffset + at, size);
  } catch {
    return undefined;
  }
}

function soleOwner(t: tf.Tensor): boolean {
  const b = tf.backend() as unknown as CpuBackendLike;
  try {
    return typeof b.refCount === "function" && b.refCount(dataIdOf(t)) === 1;
  } catch {
    return false;
  }
}

export type BridgeKind = "cpu" | "wasm" | "copy";

export function bridgeKind(backendName: string): BridgeKind {
  return backendName === "cpu" ? "cpu" : backendName === "wasm" ? "wasm" : "copy";
}

/** Copies a float32 tensor's values into dst (dst.length elements). */
export function readInto(kind: BridgeKind, t: tf.Tensor, dst: Float32Array, stats: CopyStats): void {
  const direct = kind === "cpu" ? cpuValues(t, dst.length) : kind === "wasm" ? wasmView(t, dst.length) : undefined;
  if (direct) {
    dst.set(direct);
    stats.directReads++;
  } else {
    dst.set(t.dataSync() as Float32Array);
    stats.syncReads++;
  }
  stats.gradBytes += 4 * dst.length;
}

/** Writes src into a variable: in place where the variable alone owns its memory, else by assign(). */
export function writeVariable(kind: BridgeKind, v: tf.Variable, src: Float32Array, stats: CopyStats): void {
  stats.paramBytes += 4 * src.length;
  if (kind === "cpu" && soleOwner(v)) {
    const target = cpuValues(v, src.length);
    if (target) {
      target.set(src);
      stats.inPlaceWrites++;
      return;
    }
  }
  // tfjs-cpu keeps the array it is given: hand it a copy, never a view of optc's arena.
  const fresh = tf.tensor(kind === "wasm" ? src : src.slice(), v.shape, "float32");
  v.assign(fresh);
  fresh.dispose();
  stats.assigns++;
}
