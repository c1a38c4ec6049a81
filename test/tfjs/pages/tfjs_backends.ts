// Page for test/tfjs/browser.test.ts: the same small problem trained with tfjs's own optimizer
// and with optc's tfjsOptimizer on one tfjs backend (webgl or webgpu, from the URL), each with its
// own variables; the page reports both final weights and what optc says runs.
import * as tf from "@tensorflow/tfjs-core";
// esbuild keeps tfjs-core's gradient and chained-op registrations only when they are imported
// by name (the package's sideEffects list does not reach them through its "module" entry here).
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import { tfjsOptimizer } from "../../../tfjs.js";

const CASES: [string, () => tf.Optimizer, string][] = [
  ["adam", () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), "adam(0.01, 0.9, 0.999, eps=1e-7)"],
  ["sgd", () => tf.train.sgd(0.05), "sgd(0.05)"],
  ["momentum", () => tf.train.momentum(0.05, 0.9), "sgd(0.05, momentum=0.9)"],
];
const STEPS = 10;
const SAM_SYNC = 3;
const SAM_OUTER = 4;
const SAM = `sam(adam(0.01), sgd(0.01), sync_period=${SAM_SYNC}`;

function initial(n: number, k: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(1 + i * 1.7 + k));
}

/** Trains `opt` for `steps` minimize() calls on f(w, b) = Σ(w - t)² + Σ b² / 2 + Σ w·b₀; returns the final weights. */
async function train(tag: string, opt: tf.Optimizer, steps = STEPS): Promise<{ w: number[]; b: number[] }> {
  const w = tf.variable(tf.tensor1d(initial(100, 0)), true, `${tag}/w`);
  const b = tf.variable(tf.tensor1d(initial(7, 1)), true, `${tag}/b`);
  const t = tf.tensor1d(initial(100, 2));
  for (let s = 0; s < steps; s++) {
    opt.minimize(() => tf.tidy(() => tf.add(tf.add(tf.sum(tf.square(tf.sub(w, t))), tf.mul(tf.sum(tf.square(b)), 0.5)), tf.sum(tf.mul(w, tf.slice(b, 0, 1))))) as tf.Scalar);
  }
  const sync = (opt as unknown as { sync?: () => Promise<unknown> }).sync;
  if (sync) await sync.call(opt);
  return { w: Array.from(await w.data()), b: Array.from(await b.data()) };
}

async function main(): Promise<void> {
  const backend = new URLSearchParams(location.search).get("backend") ?? "webgl";
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} is not available`);
  await tf.ready();
  const out: Record<string, unknown> = { backend: tf.getBackend() };
  for (const [name, tfjs, config] of CASES) {
    const optc = tfjsOptimizer(config);
    const ref = await train(`${name}_tfjs`, tfjs());
    const got = await train(`${name}_optc`, optc as unknown as tf.Optimizer);
    out[name] = { ref, got, describe: (optc as unknown as { describe(): string }).describe() };
  }
  // SAM: opaque mode (minimize evaluates the adversarial gradients itself) against transparent
  // mode (every minimize is one optax call): optax's two modes make the same outer updates.
  const opaque = tfjsOptimizer(`${SAM}, opaque_mode=true)`);
  const got = await train("sam_opaque", opaque as unknown as tf.Optimizer, SAM_OUTER);
  const ref = await train("sam_transparent", tfjsOptimizer(`${SAM})`) as unknown as tf.Optimizer, SAM_OUTER * SAM_SYNC);
  out.sam = { ref, got, describe: (opaque as unknown as { describe(): string }).describe() };
  document.getElementById("result")!.textContent = JSON.stringify(out);
}

main().catch((e) => {
  document.getElementById("result")!.textContent = `error: ${e instanceof Error ? `${e.message}\n${e.stack}` : String(e)}`;
});
