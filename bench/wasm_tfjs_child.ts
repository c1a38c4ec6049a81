/**
 * tfjs-wasm's adam against optc's wasm adam, paired in a process of their own (tfjs-wasm grows
 * its WebAssembly memory: see bench/tfjs_child.ts). Prints JSON: per size, both medians and the
 * median of tfjs / optc over rounds.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { compile } from "../index.js";
import { bench } from "./harness.js";

const sizes = process.argv[2].split(",").map(Number);
const rounds = Number(process.argv[3] ?? 5);
await tf.setBackend("wasm");
await tf.ready();

const out: Record<string, { tfjsMs: number; optcMs: number; ratio: number; ratioF32: number }> = {};
for (const n of sizes) {
  const g0 = new Float32Array(n).map((_, i) => Math.sin(i));
  const v = tf.variable(tf.tensor1d(new Float32Array(n).fill(0.5)), true, `w_${n}`);
  const g = tf.tensor1d(g0);
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const run = compile("adam(1e-3)", { target: "wasm" }).initSync({ w: { shape: [n], data: new Float32Array(n).fill(0.5) } }, { validate: false });
  run.grads.w.set(g0);
  const fast = compile("adam(1e-3)", { target: "wasm" }).initSync({ w: { shape: [n], data: new Float32Array(n).fill(0.5) } }, { validate: false, precision: "f32" });
  fast.grads.w.set(g0);
  const rows = bench(
    [
      // dataSync: the step is only done when its result can be read (as a training loop would).
      { name: "tfjs-wasm", bytes: 28 * n, fn: () => (opt.applyGradients([{ name: v.name, tensor: g }]), v.dataSync()) },
      { name: "optc wasm", bytes: 28 * n, fn: () => run.stepSync() },
      { name: "optc wasm f32", bytes: 28 * n, fn: () => fast.stepSync() },
    ],
    { rounds, minMs: 30, baseline: "optc wasm" },
  );
  out[String(n)] = { tfjsMs: rows[0].medianMs, optcMs: rows[1].medianMs, ratio: rows[0].ratio, ratioF32: rows[0].ratio / rows[2].ratio };
  v.dispose();
  g.dispose();
  opt.dispose();
}
process.stdout.write(JSON.stringify(out));
