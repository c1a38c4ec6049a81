/**
 * Baselines for the benchmark, written by hand for each config, with optax's math:
 * - fused: one loop per pass, the shape optc generates (closures over their buffers);
 * - unfused: one loop per transform with preallocated temporaries, the style most JS
 *   optimizer libraries use (optax's functional structure, minus allocation).
 * Each factory returns a step function over its own copies of the buffers.
 */

export interface Buffers {
  p: Float32Array;
  g: Float32Array;
}

const B1 = 0.9, B2 = 0.999, EPS = 1e-8, LR = 1e-3, WD = 1e-4, RHO = 0.05, MAX_NORM = 1.0;

function sumsq(x: Float32Array): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const n = x.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a0 += x[i] * x[i];
    a1 += x[i + 1] * x[i + 1];
    a2 += x[i + 2] * x[i + 2];
    a3 += x[i + 3] * x[i + 3];
  }
  for (; i < n; i++) a0 += x[i] * x[i];
  return a0 + a1 + (a2 + a3);
}

// ---------------------------------------------------------------- fused (hand-written)
// Each factory is self-contained so it can be compiled afresh per instance (see `fresh`): a
// closure is fastest when its function has no other closure (V8 then treats the captured typed
// arrays as constants), which is what optc's kernels get, so the hand-written baseline gets it too.

function sgdFused(p: Float32Array, g: Float32Array, lr: number) {
  const n = p.length;
  return () => {
    for (let i = 0; i < n; i++) p[i] = p[i] + -lr * g[i];
  };
}

function adamFused(p: Float32Array, g: Float32Array, wd: number, clip: boolean, b1: number, b2: number, eps: number, lr: number, maxNorm: number) {
  const n = p.length;
  const m = new Float32Array(n), v = new Float32Array(n);
  let t = 0;
  return () => {
    t++;
    let scale = 1;
    if (clip) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, i = 0;
      for (; i + 3 < n; i += 4) {
        a0 += g[i] * g[i];
        a1 += g[i + 1] * g[i + 1];
        a2 += g[i + 2] * g[i + 2];
        a3 += g[i + 3] * g[i + 3];
      }
      for (; i < n; i++) a0 += g[i] * g[i];
      const norm = Math.sqrt(a0 + a1 + (a2 + a3));
      scale = norm < maxNorm ? 1 : maxNorm / norm;
    }
    const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
    for (let i = 0; i < n; i++) {
      const gi = g[i] * scale;
      const mi = (1 - b1) * gi + b1 * m[i];
      const vi = (1 - b2) * (gi * gi) + b2 * v[i];
      m[i] = mi;
      v[i] = vi;
      const pi = p[i];
      p[i] = pi + -lr * (mi / bc1 / (Math.sqrt(vi / bc2) + eps) + wd * pi);
    }
  };
}

function lambFused(p: Float32Array, g: Float32Array, b1: number, b2: number, lr: number) {
  const n = p.length;
  const m = new Float32Array(n), v = new Float32Array(n);
  let t = 0;
  return () => {
    t++;
    const bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
    let pp = 0, dd = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = Math.fround((1 - b1) * gi + b1 * m[i]);
      const vi = Math.fround((1 - b2) * gi * gi + b2 * v[i]);
      m[i] = mi;
      v[i] = vi;
      const d = mi / bc1 / (Math.sqrt(vi / bc2) + 1e-6);
      pp += p[i] * p[i];
      dd += d * d;
    }
    const pn = Math.sqrt(pp), dn = Math.sqrt(dd);
    const r = pn === 0 || dn === 0 ? 1 : pn / dn;
    for (let i = 0; i < n; i++) p[i] = p[i] + -lr * r * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + 1e-6));
  };
}

function samFused(p: Float32Array, g: Float32Array, rho: number, lr: number) {
  const n = p.length;
  const cache = new Float32Array(n);
  return () => {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, i = 0;
    for (; i + 3 < n; i += 4) {
      a0 += g[i] * g[i];
      a1 += g[i + 1] * g[i + 1];
      a2 += g[i + 2] * g[i + 2];
      a3 += g[i + 3] * g[i + 3];
    }
    for (; i < n; i++) a0 += g[i] * g[i];
    const s = rho / Math.sqrt(a0 + a1 + (a2 + a3));
    for (let j = 0; j < n; j++) {
      const pj = p[j];
      cache[j] = pj;
      p[j] = pj + s * g[j];
    }
    for (let j = 0; j < n; j++) p[j] = cache[j] + -lr * g[j];
  };
}

/** The streaming limit: read 2 arrays, write 1 (memory bandwidth of a plain JS loop). */
function limitAdd(x: Float32Array, y: Float32Array) {
  const n = x.length;
  return () => {
    for (let i = 0; i < n; i++) y[i] = x[i] + y[i];
  };
}

export function limit(x: Float32Array, y: Float32Array): () => void {
  return fresh(limitAdd)(x, y);
}

/** A fresh copy of a self-contained factory (its own function, so its closure is the only one). */
function fresh<F extends (...args: never[]) => unknown>(f: F): F {
  return new Function(`return (${f.toString()})`)() as F;
}

export const fused: Record<string, (b: Buffers) => () => void> = {
  sgd: ({ p, g }) => fresh(sgdFused)(p, g, LR),
  adam: ({ p, g }) => fresh(adamFused)(p, g, 0, false, B1, B2, EPS, LR, MAX_NORM),
  adamw: ({ p, g }) => fresh(adamFused)(p, g, WD, false, B1, B2, EPS, LR, MAX_NORM),
  "clip+adamw": ({ p, g }) => fresh(adamFused)(p, g, WD, true, B1, B2, EPS, LR, MAX_NORM),
  lamb: ({ p, g }) => fresh(lambFused)(p, g, B1, B2, LR),
  "sam (adv + outer)": ({ p, g }) => fresh(samFused)(p, g, RHO, LR),
};

// ---------------------------------------------------------------- unfused (one pass per transform)

function scaleInto(out: Float32Array, x: Float32Array, s: number): void {
  for (let i = 0; i < x.length; i++) out[i] = s * x[i];
}
function applyUpdates(p: Float32Array, u: Float32Array): void {
  for (let i = 0; i < p.length; i++) p[i] = p[i] + u[i];
}
function scaleByAdam(u: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number, eps: number): void {
  const bc1 = 1 - Math.pow(B1, t), bc2 = 1 - Math.pow(B2, t);
  for (let i = 0; i < g.length; i++) {
    const gi = g[i];
    m[i] = (1 - B1) * gi + B1 * m[i];
    v[i] = (1 - B2) * (gi * gi) + B2 * v[i];
    u[i] = m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps);
  }
}
function addDecay(u: Float32Array, p: Float32Array, wd: number): void {
  for (let i = 0; i < u.length; i++) u[i] = u[i] + wd * p[i];
}

export const unfused: Record<string, (b: Buffers) => () => void> = {
  sgd: ({ p, g }) => {
    const u = new Float32Array(p.length);
    return () => {
      scaleInto(u, g, -LR);
      applyUpdates(p, u);
    };
  },
  adam: ({ p, g }) => adamUnfused(p, g, 0, false),
  adamw: ({ p, g }) => adamUnfused(p, g, WD, false),
  "clip+adamw": ({ p, g }) => adamUnfused(p, g, WD, true),
  lamb: ({ p, g }) => {
    const n = p.length;
    const m = new Float32Array(n), v = new Float32Array(n), u = new Float32Array(n);
    let t = 0;
    return () => {
      scaleByAdam(u, g, m, v, ++t, 1e-6);
      const pn = Math.sqrt(sumsq(p)), un = Math.sqrt(sumsq(u));
      scaleInto(u, u, pn === 0 || un === 0 ? 1 : pn / un);
      scaleInto(u, u, -LR);
      applyUpdates(p, u);
    };
  },
  "sam (adv + outer)": ({ p, g }) => {
    const n = p.length;
    const cache = new Float32Array(n), u = new Float32Array(n);
    return () => {
      const norm = Math.sqrt(sumsq(g));
      scaleInto(u, g, 1 / norm); // normalize
      scaleInto(u, u, -RHO); // sgd(rho)
      scaleInto(u, u, -1); // SAM negates the adversarial update
      cache.set(p);
      applyUpdates(p, u);
      scaleInto(u, g, -LR); // outer sgd
      for (let i = 0; i < n; i++) u[i] = cache[i] - p[i] + u[i]; // re-base onto the cached params
      applyUpdates(p, u);
    };
  },
};

function adamUnfused(p: Float32Array, g: Float32Array, wd: number, clip: boolean): () => void {
  const n = p.length;
  const m = new Float32Array(n), v = new Float32Array(n), c = new Float32Array(n), u = new Float32Array(n);
  let t = 0;
  return () => {
    let src = g;
    if (clip) {
      const norm = Math.sqrt(sumsq(g));
      scaleInto(c, g, norm < MAX_NORM ? 1 : MAX_NORM / norm);
      src = c;
    }
    scaleByAdam(u, src, m, v, ++t, EPS);
    if (wd !== 0) addDecay(u, p, wd);
    scaleInto(u, u, -LR);
    applyUpdates(p, u);
  };
}

export const CONFIGS: Record<string, { optc: string; calls: number; bytes: number }> = {
  sgd: { optc: "sgd(1e-3)", calls: 1, bytes: 12 },
  adam: { optc: "adam(1e-3)", calls: 1, bytes: 28 },
  adamw: { optc: "adamw(1e-3)", calls: 1, bytes: 28 },
  "clip+adamw": { optc: "chain(clip_by_global_norm(1.0), adamw(1e-3))", calls: 1, bytes: 32 },
  lamb: { optc: "lamb(1e-3)", calls: 1, bytes: 40 },
  "sam (adv + outer)": { optc: "sam(sgd(1e-3), chain(normalize(), sgd(0.05)), sync=2)", calls: 2, bytes: 36 },
};
