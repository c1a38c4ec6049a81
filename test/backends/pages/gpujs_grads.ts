/** Gradients for the queued-step tests, shared by the WebGL2 page and the Node side (test/backends/gpujs_queue.test.ts). */
export type Tensors = Record<string, Float32Array>;

/** The gradient of step s (1-based): independent of the params, so it can be queued without a read; sign-flipping, changing every step. */
export function gradAt(model: Record<string, number[]>, s: number): Tensors {
  return Object.fromEntries(Object.entries(model).map(([k, v], t) => [k, Float32Array.from(v, (_, i) => Math.cos(1.3 * i + 0.7 * s + t) * (1 + 0.5 * Math.sin(s + i)) + 0.1)]));
}

export type Poison = "NaN" | "Inf";

/** gradAt(s) with one non-finite element (in the last tensor, element 5 or its last). */
export function poisoned(model: Record<string, number[]>, s: number, kind: Poison): Tensors {
  const g = gradAt(model, s);
  const last = Object.keys(g).sort().at(-1)!;
  g[last][Math.min(5, g[last].length - 1)] = kind === "NaN" ? Number.NaN : Number.POSITIVE_INFINITY;
  return g;
}

/** opaque SAM's gradFn: grads = 2 params + 0.5. */
export function cpuGrad(p: Tensors, _i: number, out: Tensors): void {
  for (const [k, x] of Object.entries(p)) for (let j = 0; j < x.length; j++) out[k][j] = 2 * x[j] + 0.5;
}

/** A float32 array's bits, for bit-for-bit comparisons that survive serialisation (-0, NaN). */
export function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}
