/**
 * How the flat arenas map onto dispatches: chunks (bound at an offset, each within the
 * device's maxStorageBufferBindingSize) and per-chunk workgroup tables (segment, first, end,
 * global index), so a workgroup never spans two tensors.
 */
import { ELEMENTS_PER_WORKGROUP as WORKGROUP } from "../../../format/abi_webgpu.js";

/** Binding offsets must be multiples of 256 bytes: chunks start at multiples of 64 floats. */
const ALIGN_ELEMENTS = 64;

export interface Chunk {
  start: number;
  length: number;
  /** (segment, first, end, global workgroup index) per workgroup, chunk-relative elements. */
  table: Uint32Array;
  workgroups: number;
}

export function planChunks(seg: Int32Array, total: number, maxChunkElements: number): { chunks: Chunk[]; workgroups: number; segmentOfWorkgroup: Int32Array } {
  const size = Math.max(ALIGN_ELEMENTS, Math.floor(maxChunkElements / ALIGN_ELEMENTS) * ALIGN_ELEMENTS);
  const chunks: Chunk[] = [];
  const segOf: number[] = [];
  let global = 0;
  for (let start = 0; start < Math.max(total, 1); start += size) {
    const end = Math.min(total, start + size);
    const rows: number[] = [];
    for (let s = 0; s + 1 < seg.length; s++) {
      const lo = Math.max(seg[s], start);
      const hi = Math.min(seg[s + 1], end);
      for (let x = lo; x < hi; x += WORKGROUP) {
        rows.push(s, x - start, Math.min(x + WORKGROUP, hi) - start, global++);
        segOf.push(s);
      }
    }
    chunks.push({ start, length: Math.max(0, end - start), table: Uint32Array.from(rows.length ? rows : [0, 0, 0, 0]), workgroups: rows.length / 4 });
  }
  return { chunks, workgroups: global, segmentOfWorkgroup: Int32Array.from(segOf) };
}

/** Dispatch size for n workgroups within 65535 per dimension. */
export function dispatchSize(n: number): [number, number] {
  if (n <= 65535) return [Math.max(1, n), 1];
  const y = Math.ceil(n / 65535);
  return [Math.ceil(n / y), y];
}
