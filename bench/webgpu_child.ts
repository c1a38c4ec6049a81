/**
 * optc's WebGPU step vs TensorFlow.js's WebGPU backend on the same Dawn device (tfjs's own), in
 * one process, as a training loop issues them: `steps` step() calls queued back to back, then
 * one sync() (optc) or a flush and an idle queue (tfjs); time per step, paired rounds, medians.
 * Candidates: optc with its default NaN check, optc with validate: false, and tfjs's equivalent
 * optimizer (tfjs has no clip+adamw and no lamb: its adam stands in, labelled as such).
 * Also: dispatches per step (counted at GPUComputePassEncoder.dispatchWorkgroups), optc's logical
 * bytes per param (with and without the finiteness-check kernels), GB/s = bytesPerParam * n * steps / time.
 *
 * Usage: tsx bench/webgpu_child.ts SIZES [ROUNDS=5] [STEPS=100]   (JSON rows on stdout, progress on stderr)
 * SwiftShader (Debian's chromium package) by default; OPTC_BENCH_HARDWARE=1 asks for a real GPU
 * adapter (high-performance; OPTC_BENCH_ADAPTER=name picks one of Dawn's adapters by name).
 */
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { compile } from "../index.js";
import type { WebGpuRow } from "./report.js";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const hardware = process.env.OPTC_BENCH_HARDWARE === "1";
if (hardware) {
  // A real GPU: never restrict Vulkan to SwiftShader's driver (the test command line sets it).
  if (process.env.VK_ICD_FILENAMES?.includes("swiftshader")) delete process.env.VK_ICD_FILENAMES;
} else if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const { create, globals } = await import("webgpu");
Object.assign(globalThis, globals);
const gpu = create(process.env.OPTC_BENCH_ADAPTER ? [`adapter=${process.env.OPTC_BENCH_ADAPTER}`] : []);
// tfjs requests its adapter (high-performance) and device itself: keep the adapter to describe it.
let adapter: GPUAdapter | null = null;
const navigatorGpu = { requestAdapter: async (o?: GPURequestAdapterOptions) => (adapter = await gpu.requestAdapter(o)) };
Object.defineProperty(globalThis, "navigator", { value: { gpu: navigatorGpu }, configurable: true });
// The backend registers itself only when navigator.gpu exists at import time.
await import("@tensorflow/tfjs-backend-webgpu");
await tf.setBackend("webgpu");
await tf.ready();
const device = (tf.backend() as unknown as { device: GPUDevice }).device;
const info = (adapter as GPUAdapter | null)?.info;
const adapterName = info ? [info.vendor, info.architecture, info.device, info.description].filter((x) => x).join(" / ") || "unnamed adapter" : "unknown adapter";
process.stderr.write(`  WebGPU adapter: ${adapterName}${hardware ? " (OPTC_BENCH_HARDWARE=1)" : ""}\n`);
if (hardware && /swiftshader/i.test(adapterName)) process.stderr.write("  warning: OPTC_BENCH_HARDWARE=1 but the adapter is SwiftShader (no GPU driver found?)\n");

const sizes = process.argv[2].split(",").map(Number);
const rounds = Number(process.argv[3] ?? 5);
const steps = Number(process.argv[4] ?? 100);

const adam = () => tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
const CONFIGS: Record<string, { optc: string; tfjsName: string; tfjs: () => tf.Optimizer }> = {
  sgd: { optc: "sgd(1e-3)", tfjsName: "sgd", tfjs: () => tf.train.sgd(1e-3) },
  adam: { optc: "adam(1e-3)", tfjsName: "adam", tfjs: adam },
  "clip+adamw": { optc: "chain(clip_by_global_norm(1.0), adamw(1e-3))", tfjsName: "adam (tfjs has no clip+adamw)", tfjs: adam },
  lamb: { optc: "lamb(1e-3)", tfjsName: "adam (tfjs has no lamb)", tfjs: adam },
};

// Dispatches are counted where every encoder's compute passes end up.
let dispatches = 0;
const passProto = (globalThis as unknown as { GPUComputePassEncoder: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder.prototype;
const dispatchWorkgroups = passProto.dispatchWorkgroups;
passProto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder["dispatchWorkgroups"]>) {
  dispatches++;
  return dispatchWorkgroups.apply(this, a);
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// tfjs records commands and submits lazily: flush it, then wait until the queue is idle.
const backend = tf.backend() as unknown as { submitQueue(): void; ensureCommandEncoderReady(): void; endComputePassEncoder(): void };
async function tfjsSync(): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await device.queue.onSubmittedWorkDone();
}

const out: Record<string, WebGpuRow> = {};
for (const n of sizes) {
  const g0 = new Float32Array(n).map((_, i) => Math.sin(i));
  for (const [name, c] of Object.entries(CONFIGS)) {
    const v = tf.variable(tf.tensor1d(new Float32Array(n).fill(0.5)), true, `${name.replace(/\W/g, "_")}_${n}`);
    const g = tf.tensor1d(g0);
    const opt = c.tfjs();
    const compiled = compile(c.optc, { target: "webgpu" });
    const params = () => ({ w: { shape: [n], data: new Float32Array(n).fill(0.5) } });
    const checked = await compiled.init(params(), { device });
    const unchecked = await compiled.init(params(), { device, validate: false });
    checked.writeGrads({ w: g0 });
    unchecked.writeGrads({ w: g0 });

    // Warm-up (pipelines, tfjs's programs), then one steady-state profile of each.
    for (let i = 0; i < 3; i++) opt.applyGradients({ [v.name]: g });
    await tfjsSync();
    const profile = await tf.profile(() => opt.applyGradients({ [v.name]: g }));
    await tfjsSync();
    const size = (shape: number[] | undefined) => (shape ?? []).reduce((a, b) => a * b, 1);
    const tfjsBytes = profile.kernels.reduce((s, k) => s + 4 * (k.inputShapes.reduce((a, sh) => a + size(sh), 0) + k.outputShapes.reduce((a, sh) => a + size(sh), 0)), 0) / n;
    const perStep: Record<string, number> = {};
    for (const [who, run] of [["optc", checked], ["optcNoCheck", unchecked]] as const) {
      for (let i = 0; i < 3; i++) await run.step();
      await run.sync();
      dispatches = 0;
      for (let i = 0; i < 10; i++) await run.step();
      perStep[who] = dispatches / 10;
      await run.sync();
    }

    const candidates: Record<string, () => Promise<void>> = {
      tfjs: async () => {
        for (let i = 0; i < steps; i++) opt.applyGradients({ [v.name]: g });
        await tfjsSync();
      },
      optc: async () => {
        for (let i = 0; i < steps; i++) await checked.step();
        await checked.sync();
      },
      optcNoCheck: async () => {
        for (let i = 0; i < steps; i++) await unchecked.step();
        await unchecked.sync();
      },
    };
    const names = Object.keys(candidates);
    const times: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      // Paired rounds: every candidate once per round, the order rotated.
      for (let j = 0; j < names.length; j++) {
        const who = names[(j + r) % names.length];
        const t0 = performance.now();
        await candidates[who]();
        times[who].push((performance.now() - t0) / steps);
      }
    }
    // Logical bytes per param: 4 per arena each kernel reads and per arena it writes (the artifact's
    // bytesPerElement); validate: false skips the kernels that only check finiteness.
    const phase = compiled.artifact.phases.step ?? Object.values(compiled.artifact.phases)[0];
    const kernelBytes = (check: boolean) => phase.passes.flatMap((p) => p.kernels).filter((k) => check || !k.checkOnly).reduce((s, k) => s + 4 * k.kernel.bindings.reduce((a, b) => a + (b.read ? 1 : 0) + (b.write ? 1 : 0), 0), 0);
    const bytesPerParam = phase.bytesPerElement;
    const bytesPerParamNoCheck = kernelBytes(false);
    if (kernelBytes(true) !== bytesPerParam) process.stderr.write(`  note: ${name}: kernels' bindings move ${kernelBytes(true)} B/param, the artifact says ${bytesPerParam}\n`);
    const optcMs = median(times.optc);
    const optcNoCheckMs = median(times.optcNoCheck);
    out[`${name}/${n}`] = {
      adapter: adapterName,
      steps,
      tfjsOptimizer: c.tfjsName,
      tfjsMs: median(times.tfjs),
      optcMs,
      optcNoCheckMs,
      tfjsOverOptc: median(times.tfjs.map((t, i) => t / times.optc[i])),
      tfjsOverOptcNoCheck: median(times.tfjs.map((t, i) => t / times.optcNoCheck[i])),
      tfjsKernels: profile.kernels.length,
      tfjsBytesPerParam: tfjsBytes,
      dispatches: perStep.optc,
      dispatchesNoCheck: perStep.optcNoCheck,
      bytesPerParam,
      bytesPerParamNoCheck,
      gbps: (bytesPerParam * n) / (optcMs * 1e6),
      gbpsNoCheck: (bytesPerParamNoCheck * n) / (optcNoCheckMs * 1e6),
    };
    const row = out[`${name}/${n}`];
    process.stderr.write(`  ${name} @ ${n.toExponential(0)}: optc ${optcMs.toFixed(3)} ms (${row.gbps.toFixed(1)} GB/s, ${row.dispatches} dispatches), no check ${optcNoCheckMs.toFixed(3)} ms (${row.dispatchesNoCheck}), tfjs ${c.tfjsName} ${row.tfjsMs.toFixed(3)} ms; tfjs/optc ${row.tfjsOverOptc.toFixed(2)}, tfjs/no check ${row.tfjsOverOptcNoCheck.toFixed(2)}\n`);
    checked.destroy();
    unchecked.destroy();
    v.dispose();
    g.dispose();
    opt.dispose();
  }
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
