/** A small MLP (2 → H → H → classes, tanh) with hand-written forward/backward, for the demo. */

export interface Dataset {
  x: Float32Array; // n × 2
  y: Int32Array; // n labels
  n: number;
}

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

/** Three interleaved noisy spirals: a small problem that plain SGD finds hard. */
export function spirals(n: number, classes: number, noise: number, rand: () => number): Dataset {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const r = rand();
    const theta = (c * 2 * Math.PI) / classes + 3.5 * r + noise * (rand() * 2 - 1);
    x[2 * i] = r * Math.cos(theta) + noise * 0.2 * (rand() * 2 - 1);
    x[2 * i + 1] = r * Math.sin(theta) + noise * 0.2 * (rand() * 2 - 1);
    y[i] = c;
  }
  return { x, y, n };
}

export interface Shapes {
  hidden: number;
  classes: number;
}

export function initParams(s: Shapes, rand: () => number): Record<string, { shape: number[]; data: Float32Array }> {
  const dense = (fanIn: number, fanOut: number) => {
    const d = new Float32Array(fanIn * fanOut);
    const scale = Math.sqrt(1 / fanIn);
    for (let i = 0; i < d.length; i++) d[i] = (rand() * 2 - 1) * scale * Math.sqrt(3);
    return { shape: [fanIn, fanOut], data: d };
  };
  const bias = (k: number) => ({ shape: [k], data: new Float32Array(k) });
  return { "l1.weight": dense(2, s.hidden), "l1.bias": bias(s.hidden), "l2.weight": dense(s.hidden, s.hidden), "l2.bias": bias(s.hidden), "out.weight": dense(s.hidden, s.classes), "out.bias": bias(s.classes) };
}

type P = Record<string, Float32Array>;

/** Mean cross-entropy and accuracy over `idx`; writes d(loss)/d(params) into `g` when given. */
export function lossAndGrad(p: P, s: Shapes, data: Dataset, idx: ArrayLike<number>, g?: P): { loss: number; acc: number } {
  const H = s.hidden;
  const C = s.classes;
  if (g) for (const k of Object.keys(g)) g[k].fill(0);
  const h1 = new Float64Array(H);
  const h2 = new Float64Array(H);
  const z = new Float64Array(C);
  const d2 = new Float64Array(H);
  const d1 = new Float64Array(H);
  let loss = 0;
  let correct = 0;
  const m = idx.length;
  for (let e = 0; e < m; e++) {
    const i = idx[e];
    const x0 = data.x[2 * i];
    const x1 = data.x[2 * i + 1];
    for (let j = 0; j < H; j++) h1[j] = Math.tanh(p["l1.bias"][j] + x0 * p["l1.weight"][j] + x1 * p["l1.weight"][H + j]);
    for (let j = 0; j < H; j++) {
      let a = p["l2.bias"][j];
      for (let k = 0; k < H; k++) a += h1[k] * p["l2.weight"][k * H + j];
      h2[j] = Math.tanh(a);
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let a = p["out.bias"][c];
      for (let k = 0; k < H; k++) a += h2[k] * p["out.weight"][k * C + c];
      z[c] = a;
      if (a > max) max = a;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(z[c] - max);
    const y = data.y[i];
    loss += -(z[y] - max - Math.log(sum));
    let best = 0;
    for (let c = 1; c < C; c++) if (z[c] > z[best]) best = c;
    if (best === y) correct++;
    if (!g) continue;
    // Backward: softmax - onehot, averaged over the batch.
    for (let c = 0; c < C; c++) z[c] = (Math.exp(z[c] - max) / sum - (c === y ? 1 : 0)) / m;
    d2.fill(0);
    for (let k = 0; k < H; k++) {
      for (let c = 0; c < C; c++) {
        g["out.weight"][k * C + c] += h2[k] * z[c];
        d2[k] += p["out.weight"][k * C + c] * z[c];
      }
    }
    for (let c = 0; c < C; c++) g["out.bias"][c] += z[c];
    for (let k = 0; k < H; k++) d2[k] *= 1 - h2[k] * h2[k];
    d1.fill(0);
    for (let k = 0; k < H; k++) {
      for (let j = 0; j < H; j++) {
        g["l2.weight"][k * H + j] += h1[k] * d2[j];
        d1[k] += p["l2.weight"][k * H + j] * d2[j];
      }
    }
    for (let j = 0; j < H; j++) g["l2.bias"][j] += d2[j];
    for (let k = 0; k < H; k++) {
      const dk = d1[k] * (1 - h1[k] * h1[k]);
      g["l1.weight"][k] += x0 * dk;
      g["l1.weight"][H + k] += x1 * dk;
      g["l1.bias"][k] += dk;
    }
  }
  return { loss: loss / m, acc: correct / m };
}
