/**
 * How the flat arenas map onto dispatches, for one kernel shape (elements per workgroup):
 * chunks (bound at an offset, each within the device's maxStorageBufferBindingSize) with
 * workgroup tables (tensor, first, end, global row), so a workgroup never spans two tensors;
 * and the fold rows over the rows' partials (ranges within one tensor, at most
 * FOLD_ROW_PARTIALS each) with each tensor's range of fold rows.
 *
 * A tensor's first row ends where the vec4 grid (from the vector holding its first element)
 * reaches a full workgroup, so every later row starts on a multiple of 4 and runs the vec4 body.
 */
import { FOLD_ROW_PARTIALS, VECTOR_WIDTH, WORKGROUP_SIZE } from "../../../format/abi_webgpu.js";

/** Binding offsets must be multiples of 256 bytes: chunks start at multiples of 64 floats. */
const ALIGN_ELEMENTS = 64;

export interface Chunk {
  start: number;
  length: number;
  /** (tensor, first, end, global row) per workgroup, chunk-relative elements. */
  table: Uint32Array;
  rows: number;
}

export interface ShapePlan {
  elementsPerWorkgroup: number;
  chunks: Chunk[];
  /** Workgroup rows over all chunks: each has WORKGROUP_SIZE partials per reduction. */
  rows: number;
  /** (first, end) partial index per fold row. */
  foldRows: Uint32Array;
  foldRowCount: number;
  /** (first, end) fold row per tensor. */
  tensorRows: Uint32Array;
}

export function planShape(seg: Int32Array, total: number, maxChunkElements: number, perWorkgroup: number): ShapePlan {
  const size = Math.max(ALIGN_ELEMENTS, Math.floor(maxChunkElements / ALIGN_ELEMENTS) * ALIGN_ELEMENTS);
  const chunks: Chunk[] = [];
  const rowsOf: number[][] = Array.from({ length: Math.max(0, seg.length - 1) }, () => []);
  let global = 0;
  for (let start = 0; start < Math.max(total, 1); start += size) {
    const end = Math.min(total, start + size);
    const rows: number[] = [];
    for (let s = 0; s + 1 < seg.length; s++) {
      const lo = Math.max(seg[s], start);
      const hi = Math.min(seg[s + 1], end);
      let x = lo;
      let next = Math.floor(lo / VECTOR_WIDTH) * VECTOR_WIDTH + perWorkgroup;
      while (x < hi) {
        const to = Math.min(next, hi);
        rowsOf[s].push(global);
        rows.push(s, x - start, to - start, global++);
        x = to;
        next = to + perWorkgroup;
      }
    }
    chunks.push({ start, length: Math.max(0, end - start), table: Uint32Array.from(rows.length ? rows : [0, 0, 0, 0]), rows: rows.length / 4 });
  }
  // A tensor's rows are consecutive (chunks and tensors are both in order).
  const fold: number[] = [];
  const tensorRows: number[] = [];
  for (const rows of rowsOf) {
    const first = fold.length / 2;
    if (rows.length > 0) {
      const lo = rows[0] * WORKGROUP_SIZE;
      const hi = (rows[rows.length - 1] + 1) * WORKGROUP_SIZE;
      for (let p = lo; p < hi; p += FOLD_ROW_PARTIALS) fold.push(p, Math.min(hi, p + FOLD_ROW_PARTIALS));
    }
    tensorRows.push(first, fold.length / 2);
  }
  return {
    elementsPerWorkgroup: perWorkgroup,
    chunks,
    rows: global,
    foldRows: Uint32Array.from(fold.length ? fold : [0, 0]),
    foldRowCount: fold.length / 2,
    tensorRows: Uint32Array.from(tensorRows.length ? tensorRows : [0, 0]),
  };
}

/** Dispatch size for n workgroups within 65535 per dimension. */
export function dispatchSize(n: number): [number, number] {
  if (n <= 65535) return [Math.max(1, n), 1];
  const y = Math.ceil(n / 65535);
  return [Math.ceil(n / y), y];
}
