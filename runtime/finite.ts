/**
 * Refusing a step over a non-finite value, the same way on every backend: R201 for the
 * gradients (the caller's, or gradFn's), R206 for the params (before the step), R207 for a value
 * the step would store (a float32 overflow, or 0/0 that the checker could not rule out).
 */
import { GRADS, PARAMS } from "../format/arena_names.js";
import { OptcRuntimeError } from "./errors.js";
import type { TensorInfo } from "./tensors.js";

/** The first non-finite element, or -1: four accumulators of x * 0 (0 for finite x), then a scan. */
export function firstNonFinite(a: ArrayLike<number>): number {
  return finiteScanner(a)();
}

/**
 * The same check bound to one array (a closure over it, the fastest shape; eval_kernels.ts
 * compiles a fresh copy per arena so each closure is its function's only one).
 */
export function finiteScanner(a: ArrayLike<number>): () => number {
  return () => {
    const n = a.length;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += a[i] * 0;
      s1 += a[i + 1] * 0;
      s2 += a[i + 2] * 0;
      s3 += a[i + 3] * 0;
    }
    for (; i < n; i++) s0 += a[i] * 0;
    if (s0 + s1 + s2 + s3 === 0) return -1;
    for (let j = 0; j < n; j++) if (!Number.isFinite(a[j])) return j;
    return -1;
  };
}

function where(tensors: readonly TensorInfo[], index: number): string {
  const t = tensors.find((x) => index >= x.offset && index < x.offset + x.size);
  return t ? `${t.name}[${index - t.offset}]` : `element ${index}`;
}

/** `arena` held (or the step would store) `value` at `index`; `stored`: the value is the step's result. */
export function nonFiniteError(arena: string, value: number, index: number, tensors: readonly TensorInfo[], stored: boolean): OptcRuntimeError {
  const at = where(tensors, index);
  if (stored) {
    return new OptcRuntimeError("R207", `the step would store ${String(value)} in ${arena} at ${at} (float32 holds at most 3.4e38)`, "params and state are unchanged; lower the learning rate, clip the gradients (clip_by_global_norm), or wrap the optimizer in apply_if_finite");
  }
  if (arena === PARAMS) return new OptcRuntimeError("R206", `the params contain ${String(value)} at ${at}`, "params and state are unchanged; the params were already non-finite before this step (set them again, or loadState() a saved snapshot)");
  const what = arena === GRADS ? "the gradients" : "gradFn's gradients";
  return new OptcRuntimeError("R201", `${what} contain ${String(value)} at ${at}`, "params and state are unchanged; wrap the optimizer in apply_if_finite(..., max_consecutive_errors=N) to skip such steps");
}
