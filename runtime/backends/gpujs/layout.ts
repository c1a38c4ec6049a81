/**
 * How the flat arenas map onto gpu.js textures: pages of at most side × side elements (a
 * model larger than one texture spans several), each a width × height texture filled row by
 * row; and per page, the partial-sum table: chunks of at most CHUNK elements that never span
 * two tensors.
 */
import { CHUNK } from "../../../format/abi_gpujs.js";

/**
 * The largest texture side a page uses. Element indices inside a page stay below 2^24, where
 * float32 (the GPU's index arithmetic in gpu.js kernels) still counts exactly.
 */
export const MAX_PAGE_SIDE = 4096;

export interface Page {
  /** First element of the page in the flat arena. */
  start: number;
  length: number;
  width: number;
  height: number;
  /** Partial-sum rows (start, end, tensor), page-relative. */
  table: Float32Array;
  /** Tensor index of each chunk (row). */
  chunkTensor: Int32Array;
  /** Each element's tensor index, width × height (padding: the last tensor). */
  tensorOf: Float32Array;
}

export function planPages(seg: Int32Array, total: number, maxSide: number): Page[] {
  const side = Math.max(1, Math.min(MAX_PAGE_SIDE, Math.floor(maxSide)));
  const capacity = side * side;
  const width = total >= capacity ? side : Math.max(1, Math.min(side, Math.ceil(Math.sqrt(Math.max(total, 1)))));
  const pages: Page[] = [];
  const nseg = seg.length - 1;
  for (let start = 0; start < Math.max(total, 1); start += capacity) {
    const end = Math.min(total, start + capacity);
    const length = Math.max(0, end - start);
    const height = Math.max(1, Math.ceil(length / width));
    const rows: number[] = [];
    const chunkTensor: number[] = [];
    const tensorOf = new Float32Array(width * height).fill(Math.max(0, nseg - 1));
    for (let s = 0; s < nseg; s++) {
      const lo = Math.max(seg[s], start);
      const hi = Math.min(seg[s + 1], end);
      if (hi > lo) tensorOf.fill(s, lo - start, hi - start);
      for (let x = lo; x < hi; x += CHUNK) {
        rows.push(x - start, Math.min(x + CHUNK, hi) - start, s);
        chunkTensor.push(s);
      }
    }
    pages.push({ start, length, width, height, table: Float32Array.from(rows.length ? rows : [0, 0, 0]), chunkTensor: Int32Array.from(chunkTensor), tensorOf });
  }
  return pages;
}

/**
 * How one page's partial sums become per-tensor sums (targets/gpujs/device.ts's fold): levels
 * of at most FOLD entries of one tensor per output, until each tensor has at most FOLD, then
 * the final level, one output per tensor (an empty range for a tensor not on the page).
 * `ranges` holds (first, end) per output, in the entries of the level before.
 */
export interface FoldLevel {
  ranges: Float32Array;
  outputs: number;
}

export function planFold(chunkTensor: Int32Array, nseg: number, fold: number): FoldLevel[] {
  const levels: FoldLevel[] = [];
  let tensorOf = Array.from(chunkTensor);
  const longest = (t: number[]) => {
    let best = 0;
    for (let i = 0, run = 0; i < t.length; i++) best = Math.max(best, (run = i > 0 && t[i] === t[i - 1] ? run + 1 : 1));
    return best;
  };
  while (longest(tensorOf) > fold) {
    const ranges: number[] = [];
    const next: number[] = [];
    for (let i = 0; i < tensorOf.length; ) {
      let end = i + 1;
      while (end < tensorOf.length && end - i < fold && tensorOf[end] === tensorOf[i]) end++;
      ranges.push(i, end);
      next.push(tensorOf[i]);
      i = end;
    }
    levels.push({ ranges: Float32Array.from(ranges), outputs: next.length });
    tensorOf = next;
  }
  const final = new Float32Array(2 * Math.max(1, nseg));
  // A tensor's entries are consecutive (chunks are in tensor order).
  tensorOf.forEach((s, i) => {
    if (i === 0 || tensorOf[i - 1] !== s) final[2 * s] = i;
    final[2 * s + 1] = i + 1;
  });
  levels.push({ ranges: final, outputs: Math.max(1, nseg) });
  return levels;
}
