/** Test helpers: run a config on a problem with the JS kernels or the reference interpreter. */
import { compile, compileReference } from "../../index.js";
import type { Run } from "../../runtime/optimizer.js";
import { plateauLoss } from "./catalog.js";

export type Backend = "js" | "interp" | "wasm";

export function makeRun(config: string, params: Record<string, number[]>, backend: Backend = "js"): Run {
  const opt = backend === "interp" ? compileReference(config) : compile(config, { target: backend });
  return opt.initSync(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }])));
}

/**
 * The GPU tests' model: sizes 100, 37, 130 and 1 (268 elements), none a multiple of 4 or of the
 * workgroup size, so tensors span WebGPU chunks and rows, and with 8×8 gpu.js pages five textures.
 */
export function bigModel(): Record<string, number[]> {
  const gen = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(1 + i * 1.7 + k) * 2);
  return { "a.weight": gen(100, 0), "a.bias": gen(37, 1), "b.weight": gen(130, 2), "b.bias": gen(1, 3) };
}

/** Gradient of Σ(w - t)² (quadratic) per tensor, or of Σx² when no target. */
export function quadGrad(params: Record<string, Float32Array>, out: Record<string, Float32Array>, target?: Record<string, number[]>): void {
  for (const [k, x] of Object.entries(params)) {
    const t = target?.[k];
    for (let i = 0; i < x.length; i++) out[k][i] = 2 * (x[i] - (t ? t[i] : 0));
  }
}

/** Runs `steps` steps with grads from `grad`, returning the params after each step. */
export async function trajectory(run: Run, steps: number, grad: (p: Record<string, Float32Array>, out: Record<string, Float32Array>) => void): Promise<Record<string, number[]>[]> {
  const out: Record<string, number[]>[] = [];
  const gradFn = (p: Record<string, Float32Array>, _i: number, o: Record<string, Float32Array>) => grad(p, o);
  for (let s = 0; s < steps; s++) {
    grad(run.params, run.grads);
    await run.step({ gradFn, loss: plateauLoss(s) });
    out.push(Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, Array.from(v)])));
  }
  return out;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`element ${i}: ${a} vs expected ${e} (rtol ${rtol}, atol ${atol})\nactual:   [${Array.from(actual).join(", ")}]\nexpected: [${Array.from(expected).join(", ")}]`);
    }
  }
}

/**
 * Counters of a GPU run against the CPU's: counts exactly; float32 state counters (`real`:
 * prodigy's d, DoWG's distances), which the device computes from its own reductions, within
 * 4 float32 ulps per step (`steps`).
 */
export function expectCountersMatch(artifact: { counters: { name: string; real?: boolean }[] }, got: Record<string, number>, want: Record<string, number>, steps: number): void {
  const real = new Set(artifact.counters.filter((c) => c.real).map((c) => c.name));
  const exact = (x: Record<string, number>) => Object.fromEntries(Object.entries(x).filter(([k]) => !real.has(k)));
  if (JSON.stringify(exact(got)) !== JSON.stringify(exact(want))) throw new Error(`counters differ:\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(want)}`);
  for (const k of real) {
    const tol = 4 * 2 ** -23 * steps * Math.abs(want[k]);
    if (!(Math.abs(got[k] - want[k]) <= tol)) throw new Error(`counter ${k}: ${got[k]} vs ${want[k]} (tolerance ${tol})`);
  }
}
