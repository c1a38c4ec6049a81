/**
 * One process per TensorFlow.js backend (tfjs-wasm grows its WebAssembly memory, which detaches
 * ArrayBuffers and slows every typed-array loop in the process for good; see perf anchors).
 * Measures tfjs's optimizer step and optc's step paired, in the same process, and prints JSON.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { compile } from "../index.js";
import { bench } from "./harness.js";

const backend = process.argv[2] as "cpu" | "wasm";
const sizes = process.argv[3].split(",").map(Number);
const rounds = Number(process.argv[4] ?? 9);
await tf.setBackend(backend);
await tf.ready();

const OPTIMIZERS: Record<string, { tfjs: () => tf.Optimizer; optc: string; bytes: number }> = {
  adam: { tfjs: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-8), optc: "adam(1e-3)", bytes: 28 },
  sgd: { tfjs: () => tf.train.sgd(1e-3), optc: "sgd(1e-3)", bytes: 12 },
  momentum: { tfjs: () => tf.train.momentum(1e-3, 0.9), optc: "sgd(1e-3, momentum=0.9)", bytes: 20 },
};

const out: Record<string, unknown> = {};
for (const n of sizes) {
  const g0 = new Float32Array(n).map((_, i) => Math.sin(i));
  for (const [name, o] of Object.entries(OPTIMIZERS)) {
    const v = tf.variable(tf.tensor1d(new Float32Array(n).fill(0.5)), true, `${name}_${n}`);
    const g = tf.tensor1d(g0);
    const opt = o.tfjs();
    const run = compile(o.optc).initSync({ w: { shape: [n], data: new Float32Array(n).fill(0.5) } }, { validate: false });
    run.grads.w.set(g0);
    const rows = bench(
      [
        // dataSync: the step is only done when its result can be read (as a training loop would).
        { name: `tfjs-${backend}`, bytes: o.bytes * n, fn: () => {
          opt.applyGradients({ [v.name]: g });
          v.dataSync();
        } },
        { name: "optc js", bytes: o.bytes * n, fn: () => run.stepSync() },
      ],
      { rounds, minMs: 20, baseline: "optc js" },
    );
    out[`${name}/${n}`] = rows;
    v.dispose();
    g.dispose();
    opt.dispose();
  }
}
process.stdout.write(JSON.stringify(out));
