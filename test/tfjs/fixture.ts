/**
 * A small tfjs-layers model and data set, the same every time (fixed initial weights, no
 * randomness), for the tfjs tests: dense(16, tanh) → dense(1) on 32 samples of 8 features.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

export const STEPS = 25;

export function makeModel(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ units: 16, inputShape: [8], activation: "tanh" }));
  model.add(tfl.layers.dense({ units: 1 }));
  model.setWeights(
    model.weights.map((w, k) => {
      const shape = w.shape as number[];
      return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.5 * Math.sin(1 + i * 0.7 + k * 1.3)), shape);
    }),
  );
  return model;
}

export function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const n = 32;
  const x = Float32Array.from({ length: n * 8 }, (_, i) => Math.sin(i * 0.37));
  const y = Float32Array.from({ length: n }, (_, r) => Math.cos(r * 0.5) + 0.3 * x[r * 8]);
  return { x: tf.tensor2d(x, [n, 8]), y: tf.tensor2d(y, [n, 1]) };
}

/** Full-batch fit: every epoch is one optimizer step. */
export async function fit(model: tfl.LayersModel, optimizer: tf.Optimizer, epochs = STEPS): Promise<number[]> {
  model.compile({ optimizer, loss: "meanSquaredError" });
  const { x, y } = data();
  const h = await model.fit(x, y, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
  x.dispose();
  y.dispose();
  return h.history.loss as number[];
}

export function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
}

/** The largest |a - b| / max(1, |b|) over all weights, in float32 ulps of 1 (2^-23). */
export function maxUlps(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((t, k) => t.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i]) / Math.max(1, Math.abs(b[k][i]))))));
  return worst / 2 ** -23;
}

export const CASES: { name: string; tfjs: () => tf.Optimizer; optc: string }[] = [
  { name: "adam", tfjs: () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), optc: "adam(0.01, 0.9, 0.999, eps=1e-7)" },
  { name: "sgd", tfjs: () => tf.train.sgd(0.05), optc: "sgd(0.05)" },
  { name: "momentum", tfjs: () => tf.train.momentum(0.05, 0.9), optc: "sgd(0.05, momentum=0.9)" },
];

/** The code of what f throws (a runtime R-code, or the first compile diagnostic's), or "no error". */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const x = e as { code?: string; diagnostics?: { code: string }[]; name?: string };
    return x.code ?? x.diagnostics?.[0]?.code ?? `${x.name}: ${String(e)}`;
  }
  return "no error";
}
