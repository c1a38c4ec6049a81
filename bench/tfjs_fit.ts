/**
 * optc inside TensorFlow.js (optc/tfjs) vs tfjs's own optimizer, on one tfjs backend per process
 * (cpu or wasm, in Node), paired rounds, medians:
 *   - a whole model.fit epoch (forward, backward and optimizer) of a tfjs-layers MLP on
 *     synthetic data, with tf.train.adam(1e-3, 0.9, 0.999, 1e-7) and tfjsOptimizer("adam(1e-3, eps=1e-7)");
 *   - the optimizer step alone inside tfjs: applyGradients of fixed gradients for one variable of N floats.
 * Usage: tsx bench/tfjs_fit.ts BACKEND [N=1000000] [ROUNDS=5]   (one JSON object on stdout)
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { tfjsOptimizer } from "../tfjs.js";

const backend = process.argv[2] ?? "cpu";
const n = Number(process.argv[3] ?? 1e6);
const rounds = Number(process.argv[4] ?? 5);
if (backend === "wasm") await import("@tensorflow/tfjs-backend-wasm");
else await import("@tensorflow/tfjs-backend-cpu");
await tf.setBackend(backend);
await tf.ready();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const makers: Record<string, () => tf.Optimizer> = {
  tfjs: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-7),
  optc: () => tfjsOptimizer("adam(1e-3, eps=1e-7)") as unknown as tf.Optimizer,
};

// model.fit: 784-128-10 MLP, 2048 samples, batch 64 (32 steps per epoch).
const x = tf.randomUniform([2048, 784], 0, 1, "float32", 1);
const y = tf.cast(tf.oneHot(tf.randomUniform([2048], 0, 10, "int32", 2), 10), "float32");
function model(opt: tf.Optimizer): tfl.Sequential {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [784], units: 128, activation: "relu", kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }), tfl.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) })] });
  m.compile({ optimizer: opt, loss: "categoricalCrossentropy" });
  return m;
}
const models = Object.fromEntries(Object.entries(makers).map(([k, make]) => [k, model(make())]));
const fitTimes: Record<string, number[]> = { tfjs: [], optc: [] };
for (const m of Object.values(models)) await m.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
for (let r = 0; r < rounds; r++) {
  for (const who of r % 2 ? ["optc", "tfjs"] : ["tfjs", "optc"]) {
    const t0 = performance.now();
    await models[who].fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    fitTimes[who].push(performance.now() - t0);
  }
}

// The step alone: applyGradients of one fixed gradient, N floats.
const stepTimes: Record<string, number[]> = { tfjs: [], optc: [] };
const g = tf.randomNormal([n], 0, 1e-3, "float32", 5);
const steppers = Object.fromEntries(
  Object.entries(makers).map(([k, make]) => {
    const v = tf.variable(tf.zeros([n]), true, `bench_${k}`);
    const opt = make();
    return [k, () => opt.applyGradients({ [v.name]: g })];
  }),
);
for (const s of Object.values(steppers)) for (let i = 0; i < 3; i++) s();
for (let r = 0; r < rounds; r++) {
  for (const who of r % 2 ? ["optc", "tfjs"] : ["tfjs", "optc"]) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) steppers[who]();
    stepTimes[who].push((performance.now() - t0) / 10);
  }
}
const fit = { tfjsMs: median(fitTimes.tfjs), optcMs: median(fitTimes.optc) };
const step = { tfjsMs: median(stepTimes.tfjs), optcMs: median(stepTimes.optc) };
process.stdout.write(JSON.stringify({ backend, n, fit: { ...fit, tfjsOverOptc: fit.tfjsMs / fit.optcMs }, step: { ...step, tfjsOverOptc: step.tfjsMs / step.optcMs } }));
process.exit(0);
