/** A 784 → H → 10 MLP (ReLU, softmax cross-entropy) with hand-written batched forward/backward. */
import type { Dataset } from "./mnist.js";

/** mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const IN = 784;
export const OUT = 10;

export function initParams(hidden: number, rand: () => number): Record<string, { shape: number[]; data: Float32Array }> {
  const dense = (fanIn: number, fanOut: number) => {
    const d = new Float32Array(fanIn * fanOut);
    const bound = Math.sqrt(6 / fanIn); // He-uniform, for ReLU
    for (let i = 0; i < d.length; i++) d[i] = (rand() * 2 - 1) * bound;
    return { shape: [fanIn, fanOut], data: d };
  };
  return { "fc1.weight": dense(IN, hidden), "fc1.bias": { shape: [hidden], data: new Float32Array(hidden) }, "fc2.weight": dense(hidden, OUT), "fc2.bias": { shape: [OUT], data: new Float32Array(OUT) } };
}

type P = Record<string, Float32Array>;

export interface Scratch {
  h: Float32Array;
  z: Float32Array;
}

export function scratch(hidden: number, batch: number): Scratch {
  return { h: new Float32Array(batch * hidden), z: new Float32Array(batch * OUT) };
}

/** Mean loss and accuracy over the examples `idx`; when `g` is given, writes the mean gradient into it. */
export function lossAndGrad(p: P, hidden: number, data: Dataset, idx: ArrayLike<number>, s: Scratch, g?: P): { loss: number; acc: number } {
  const H = hidden;
  const B = idx.length;
  const W1 = p["fc1.weight"], b1 = p["fc1.bias"], W2 = p["fc2.weight"], b2 = p["fc2.bias"];
  const { h, z } = s;
  let loss = 0;
  let correct = 0;
  for (let e = 0; e < B; e++) {
    const x = data.x.subarray(idx[e] * IN, idx[e] * IN + IN);
    const he = h.subarray(e * H, e * H + H);
    he.set(b1);
    // MNIST is mostly zeros: skip them.
    for (let k = 0; k < IN; k++) {
      const xk = x[k];
      if (xk === 0) continue;
      const row = k * H;
      for (let j = 0; j < H; j++) he[j] += xk * W1[row + j];
    }
    for (let j = 0; j < H; j++) if (he[j] < 0) he[j] = 0;
    const ze = z.subarray(e * OUT, e * OUT + OUT);
    let max = -Infinity;
    for (let c = 0; c < OUT; c++) {
      let a = b2[c];
      for (let j = 0; j < H; j++) a += he[j] * W2[j * OUT + c];
      ze[c] = a;
      if (a > max) max = a;
    }
    let sum = 0;
    for (let c = 0; c < OUT; c++) sum += Math.exp(ze[c] - max);
    const y = data.y[idx[e]];
    loss += Math.log(sum) - (ze[y] - max);
    let best = 0;
    for (let c = 1; c < OUT; c++) if (ze[c] > ze[best]) best = c;
    if (best === y) correct++;
    if (g) for (let c = 0; c < OUT; c++) ze[c] = (Math.exp(ze[c] - max) / sum - (c === y ? 1 : 0)) / B;
  }
  if (g) {
    const gW1 = g["fc1.weight"], gb1 = g["fc1.bias"], gW2 = g["fc2.weight"], gb2 = g["fc2.bias"];
    gW1.fill(0);
    gb1.fill(0);
    gW2.fill(0);
    gb2.fill(0);
    const dh = new Float32Array(H);
    for (let e = 0; e < B; e++) {
      const he = h.subarray(e * H, e * H + H);
      const ze = z.subarray(e * OUT, e * OUT + OUT);
      for (let j = 0; j < H; j++) {
        let d = 0;
        const hj = he[j];
        for (let c = 0; c < OUT; c++) {
          gW2[j * OUT + c] += hj * ze[c];
          d += W2[j * OUT + c] * ze[c];
        }
        dh[j] = hj > 0 ? d : 0;
      }
      for (let c = 0; c < OUT; c++) gb2[c] += ze[c];
      for (let j = 0; j < H; j++) gb1[j] += dh[j];
      const x = data.x.subarray(idx[e] * IN, idx[e] * IN + IN);
      for (let k = 0; k < IN; k++) {
        const xk = x[k];
        if (xk === 0) continue;
        const row = k * H;
        for (let j = 0; j < H; j++) gW1[row + j] += xk * dh[j];
      }
    }
  }
  return { loss: loss / B, acc: correct / B };
}

/** Loss and accuracy over a whole dataset, in chunks. */
export function evaluate(p: P, hidden: number, data: Dataset): { loss: number; acc: number } {
  const chunk = 500;
  const s = scratch(hidden, chunk);
  let loss = 0;
  let acc = 0;
  for (let at = 0; at < data.n; at += chunk) {
    const idx = Int32Array.from({ length: Math.min(chunk, data.n - at) }, (_, i) => at + i);
    const r = lossAndGrad(p, hidden, data, idx, s);
    loss += r.loss * idx.length;
    acc += r.acc * idx.length;
  }
  return { loss: loss / data.n, acc: acc / data.n };
}
