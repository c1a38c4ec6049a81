/** A 1e6-parameter adam step through tfjsOptimizer vs tf.train.adam on tfjs-cpu and tfjs-wasm (medians of 15). */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers";
import { tfjsOptimizer } from "../../tfjs.js";
// The step cost behind README's "TensorFlow.js" table: node --import tsx test/tfjs/step_cost.ts
{
  const out: string[] = [];
  for (const backend of ["cpu", "wasm"]) {
    if (backend === "wasm") await import("@tensorflow/tfjs-backend-wasm");
    await tf.setBackend(backend);
    const N = 1_000_000;
    const mk = (tag: string) => [tf.variable(tf.randomNormal([1000, 990]), true, `${backend}${tag}/k`), tf.variable(tf.randomNormal([10000]), true, `${backend}${tag}/b`)];
    const grads = (vs: tf.Variable[]) => Object.fromEntries(vs.map((v) => [v.name, tf.randomNormal(v.shape)]));
    for (const [label, make] of [["tf.train.adam", () => tf.train.adam(1e-3)], ["optc adam", () => tfjsOptimizer("adam(1e-3)")], ["optc adam validate:false", () => tfjsOptimizer("adam(1e-3)", { validate: false })]] as const) {
      const vs = mk(label.replace(/\W/g, ""));
      const g = grads(vs);
      const opt: tf.Optimizer = make();
      for (let i = 0; i < 3; i++) opt.applyGradients(g);
      const times: number[] = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        opt.applyGradients(g);
        vs[0].dataSync();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const s = (opt as unknown as { lastStep?: object }).lastStep;
      out.push(`${backend} ${label}: median ${times[7].toFixed(2)} ms ${s ? JSON.stringify(s) : ""}`);
      tf.dispose(Object.values(g));
      vs.forEach((v) => v.dispose());
      opt.dispose();
    }
  }
  console.log(out.join("\n"));
}
