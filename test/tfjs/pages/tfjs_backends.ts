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

/** GPU-to-CPU reads (readPixels, getBufferSubData, WebGPU mapAsync) counted while an optimizer trains, final reads excluded. */
let reads = 0;
for (const proto of [globalThis.WebGL2RenderingContext?.prototype, globalThis.WebGLRenderingContext?.prototype, (globalThis as { GPUBuffer?: { prototype: object } }).GPUBuffer?.prototype]) {
  for (const name of ["readPixels", "getBufferSubData", "mapAsync"]) {
    const f = proto && (proto as Record<string, unknown>)[name];
    if (typeof f !== "function") continue;
    (proto as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
      reads++;
      return (f as (...a: unknown[]) => unknown).apply(this, a);
    };
  }
}

/** Trains `opt` for `steps` minimize() calls on f(w, b) = Σ(w - t)² + Σ b² / 2 + Σ w·b₀; returns the final weights and the reads made while stepping. */
async function train(tag: string, opt: tf.Optimizer, steps = STEPS): Promise<{ w: number[]; b: number[]; reads: number }> {
  const w = tf.variable(tf.tensor1d(initial(100, 0)), true, `${tag}/w`);
  const b = tf.variable(tf.tensor1d(initial(7, 1)), true, `${tag}/b`);
  const t = tf.tensor1d(initial(100, 2));
  // The first step lays optc's variables out (one download of the initial values): reads are counted after it.
  let before = reads;
  for (let s = 0; s < steps; s++) {
    if (s === 1) before = reads;
    opt.minimize(() => tf.tidy(() => tf.add(tf.add(tf.sum(tf.square(tf.sub(w, t))), tf.mul(tf.sum(tf.square(b)), 0.5)), tf.sum(tf.mul(w, tf.slice(b, 0, 1))))) as tf.Scalar);
  }
  const during = reads - before;
  const sync = (opt as unknown as { sync?: () => Promise<unknown> }).sync;
  if (sync) await sync.call(opt);
  return { w: Array.from(await w.data()), b: Array.from(await b.data()), reads: during };
}

type Optc = tf.Optimizer & { sync(): Promise<unknown>; getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]>; setWeights(w: { name: string; tensor: tf.Tensor }[]): Promise<void> };

/**
 * On the backend's own device: a NaN gradient is refused at sync() (R201) with the variable as
 * before that step; a value assign()ed between steps is where the next step starts; getWeights
 * then setWeights replays the same steps bit for bit.
 */
async function deviceChecks(): Promise<Record<string, unknown>> {
  const w = tf.variable(tf.tensor1d([1, 2, 3, 4]), true, "checks/w");
  const opt = tfjsOptimizer("adam(0.1)") as unknown as Optc;
  const step = (g: number[]) => {
    const t = tf.tensor1d(g);
    opt.applyGradients({ [w.name]: t });
    t.dispose();
  };
  step([1, 1, 1, 1]);
  step([1, -1, 1, -1]);
  await opt.sync();
  const beforeNaN = Array.from(await w.data());
  step([1, NaN, 1, 1]);
  step([1, 1, 1, 1]);
  let code = "no error";
  try {
    await opt.sync();
  } catch (e) {
    code = (e as { code?: string }).code ?? String(e);
  }
  const afterNaN = Array.from(await w.data());
  const saved = await opt.getWeights();
  step([0.5, 0.25, -1, 2]);
  step([1, 1, 1, 1]);
  await opt.sync();
  const replayedFrom = Array.from(await w.data());
  await opt.setWeights(saved);
  const restored = Array.from(await w.data());
  step([0.5, 0.25, -1, 2]);
  step([1, 1, 1, 1]);
  await opt.sync();
  const replayed = Array.from(await w.data());
  const v = tf.variable(tf.tensor1d([1, 2, 3, 4]), true, "checks/v");
  const sgd = tfjsOptimizer("sgd(0.5)") as unknown as Optc;
  sgd.applyGradients({ [v.name]: tf.ones([4]) });
  v.assign(tf.tensor1d([10, 10, 10, 10]));
  sgd.applyGradients({ [v.name]: tf.ones([4]) });
  await sgd.sync();
  // Opaque SAM: f throws at the second adversarial evaluation (R205 at once), then a NaN there (R201 at sync): the variable as it was.
  const u = tf.variable(tf.tensor1d([0.5, -1, 2]), true, "checks/u");
  const sam = tfjsOptimizer("sam(adam(0.05), sgd(0.05), sync_period=3, opaque_mode=true)") as unknown as Optc;
  let calls = 0;
  let fail: "throw" | "nan" | undefined;
  const f = () => {
    calls++;
    if (fail === "throw" && calls === 3) throw new Error("boom");
    return tf.tidy(() => tf.sum(tf.mul(tf.square(u), fail === "nan" && calls === 3 ? NaN : 1))) as tf.Scalar;
  };
  sam.minimize(f);
  await sam.sync();
  const samBefore = Array.from(await u.data());
  let samCodes = "";
  for (const mode of ["throw", "nan"] as const) {
    fail = mode;
    calls = 0;
    try {
      sam.minimize(f);
      await sam.sync();
    } catch (e) {
      samCodes += (e as { code?: string }).code ?? String(e);
    }
  }
  fail = undefined;
  const samAfter = Array.from(await u.data());
  return { samBefore, samAfter, samCodes, beforeNaN, afterNaN, code, atSave: afterNaN, restored, replayedFrom, replayed, assigned: Array.from(await v.data()), describe: (opt as unknown as { describe(): string }).describe() };
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
  out.checks = await deviceChecks();
  document.getElementById("result")!.textContent = JSON.stringify(out);
}

main().catch((e) => {
  document.getElementById("result")!.textContent = `error: ${e instanceof Error ? `${e.message}\n${e.stack}` : String(e)}`;
});
