/**
 * optc's WebGPU step vs TensorFlow.js's WebGPU backend on the same Dawn device (tfjs's own),
 * in one process: step time (until the queue is idle), dispatches per step, bytes per param.
 */
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { compile } from "../index.js";
import { bench } from "./harness.js";

if (!process.env.VK_ICD_FILENAMES && existsSync("/usr/lib/chromium/vk_swiftshader_icd.json")) process.env.VK_ICD_FILENAMES = "/usr/lib/chromium/vk_swiftshader_icd.json";
const { create, globals } = await import("webgpu");
Object.assign(globalThis, globals);
const gpu = create([]);
Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true });
// The backend registers itself only when navigator.gpu exists at import time.
await import("@tensorflow/tfjs-backend-webgpu");
await tf.setBackend("webgpu");
await tf.ready();
const device = (tf.backend() as unknown as { device: GPUDevice }).device;
const sizes = process.argv[2].split(",").map(Number);
const rounds = Number(process.argv[3] ?? 5);

const OPTIMIZERS: Record<string, { tfjs: () => tf.Optimizer; optc: string }> = {
  adam: { tfjs: () => tf.train.adam(1e-3, 0.9, 0.999, 1e-8), optc: "adam(1e-3)" },
  sgd: { tfjs: () => tf.train.sgd(1e-3), optc: "sgd(1e-3)" },
};
const out: Record<string, unknown> = {};
for (const n of sizes) {
  const g0 = new Float32Array(n).map((_, i) => Math.sin(i));
  for (const [name, o] of Object.entries(OPTIMIZERS)) {
    const v = tf.variable(tf.tensor1d(new Float32Array(n).fill(0.5)), true, `${name}_${n}`);
    const g = tf.tensor1d(g0);
    const opt = o.tfjs();
    const compiled = compile(o.optc, { target: "webgpu" });
    const run = await compiled.init({ w: { shape: [n], data: new Float32Array(n).fill(0.5) } }, { device, validate: false });
    run.writeGrads({ w: g0 });
    // Warm-up and the profile of one steady-state step.
    for (let i = 0; i < 3; i++) opt.applyGradients({ [v.name]: g });
    const profile = await tf.profile(() => opt.applyGradients({ [v.name]: g }));
    const size = (shape: number[] | undefined) => (shape ?? []).reduce((a, b) => a * b, 1);
    const tfjsBytes = profile.kernels.reduce((s, k) => s + 4 * (k.inputShapes.reduce((a, sh) => a + size(sh), 0) + k.outputShapes.reduce((a, sh) => a + size(sh), 0)), 0) / n;
    // tfjs records commands and submits lazily: flush it, then wait until the queue is idle.
    const backend = tf.backend() as unknown as { submitQueue(): void; ensureCommandEncoderReady(): void; endComputePassEncoder(): void };
    const steps = async (fn: () => void | Promise<void>, count: number) => {
      for (let i = 0; i < count; i++) await fn();
      backend.ensureCommandEncoderReady();
      backend.endComputePassEncoder();
      backend.submitQueue();
      await device.queue.onSubmittedWorkDone();
    };
    // bench() is synchronous; time async steps here with the same paired-round protocol.
    const times: Record<string, number[]> = { tfjs: [], optc: [] };
    for (let r = 0; r < rounds; r++) {
      for (const who of r % 2 ? ["optc", "tfjs"] : ["tfjs", "optc"]) {
        const count = n >= 1e6 ? 3 : 10;
        const t0 = performance.now();
        if (who === "tfjs") await steps(() => opt.applyGradients({ [v.name]: g }), count);
        else await steps(() => run.step(), count);
        times[who].push((performance.now() - t0) / count);
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ratios = times.tfjs.map((t, i) => t / times.optc[i]);
    out[`${name}/${n}`] = {
      tfjsMs: med(times.tfjs),
      optcMs: med(times.optc),
      tfjsOverOptc: med(ratios),
      tfjsKernels: profile.kernels.length,
      tfjsBytesPerParam: tfjsBytes,
      optcDispatches: compiled.artifact.phases.step.passes.length,
      optcBytesPerParam: compiled.artifact.phases.step.bytesPerElement,
    };
    run.destroy();
    v.dispose();
    g.dispose();
    opt.dispose();
  }
}
void bench;
process.stdout.write(JSON.stringify(out));
process.exit(0);
