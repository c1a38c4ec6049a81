// Bench page for bench/tfjs_browser.ts: a whole model.fit epoch on tfjs-webgl or tfjs-webgpu
// (from the URL) with tf.train.adam and with optc's tfjsOptimizer, paired rounds, medians.
// esbuild keeps tfjs-core's gradient and chained-op registrations only when imported by name.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { tfjsOptimizer } from "../tfjs.js";

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const backend = params.get("backend") ?? "webgl";
  const rounds = Number(params.get("rounds") ?? 3);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} is not available`);
  await tf.ready();
  // 784-128-10 MLP, 1,024 samples, batch 64: 16 steps per epoch.
  const x = tf.randomUniform([1024, 784], 0, 1, "float32", 1);
  const y = tf.cast(tf.oneHot(tf.cast(tf.randomUniform([1024], 0, 10, "float32", 2), "int32"), 10), "float32");
  const makers: Record<string, () => tf.Optimizer> = {
    tfjs: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-7),
    optc: () => tfjsOptimizer("adam(1e-3, eps=1e-7)") as unknown as tf.Optimizer,
  };
  // On webgl also optc's JS target (gpu.js left out): a download and an upload per step.
  if (backend === "webgl") makers.optcJs = () => tfjsOptimizer("adam(1e-3, eps=1e-7)", { gpujs: false }) as unknown as tf.Optimizer;
  const models: Record<string, tfl.Sequential> = {};
  for (const [k, make] of Object.entries(makers)) {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [784], units: 128, activation: "relu" }), tfl.layers.dense({ units: 10, activation: "softmax" })] });
    m.compile({ optimizer: make(), loss: "categoricalCrossentropy" });
    models[k] = m;
  }
  const epoch = async (who: string) => {
    await models[who].fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    const opt = models[who].optimizer as unknown as { sync?: () => Promise<unknown> };
    if (opt.sync) await opt.sync();
    // A read waits for the queued GPU work of both (one weight).
    await models[who].getWeights()[0].data();
  };
  for (const who of Object.keys(models)) await epoch(who);
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(models).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const order = Object.keys(models);
    for (const who of r % 2 ? order.reverse() : order) {
      const t0 = performance.now();
      await epoch(who);
      times[who].push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const describe = (models.optc.optimizer as unknown as { describe(): string }).describe();
  const out = {
    backend: tf.getBackend(),
    tfjsMs: median(times.tfjs),
    optcMs: median(times.optc),
    tfjsOverOptc: median(times.tfjs) / median(times.optc),
    ...(times.optcJs ? { optcJsMs: median(times.optcJs), tfjsOverOptcJs: median(times.tfjs) / median(times.optcJs) } : {}),
    describe,
  };
  document.getElementById("result")!.textContent = JSON.stringify(out);
}

main().catch((e) => {
  document.getElementById("result")!.textContent = `error: ${e instanceof Error ? `${e.message}\n${e.stack}` : String(e)}`;
});
