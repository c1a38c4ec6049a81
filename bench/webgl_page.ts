// Benchmark page (headless Chromium, WebGL2): optc's gpu.js step vs TensorFlow.js's WebGL
// backend, same parameters, gradients uploaded from the CPU every step, in paired rounds.
// Two protocols: the step alone (state stays on the GPU), and the step plus reading the params
// back to JS (a model that runs on the CPU needs them every step).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgl";
import type { CompiledStep } from "../format/artifact.js";
import { GpuJsRun, type GpuJsInstance, type GpuJsKernelFunction } from "../runtime/backends/gpujs/run.js";

export interface WebGlCase {
  name: string;
  n: number;
  artifact: CompiledStep;
  tfjs: { kind: "adam" | "sgd"; lr: number };
  rounds: number;
}

export interface WebGlRow {
  /** Step alone: tfjs, optc with optimizeFloatMemory (the default), optc without. */
  tfjsMs: number;
  optcMs: number;
  optcPlainMs: number;
  tfjsOverOptc: number;
  tfjsOverOptcPlain: number;
  /** Step plus reading the params back. */
  tfjsReadMs: number;
  optcReadMs: number;
  tfjsOverOptcRead: number;
  tfjsKernels: number;
  optcKernels: number;
  kernelType: string;
  renderer: string;
}

const gpu = new (globalThis as unknown as { GPU: new (s: { mode: string }) => GpuJsInstance }).GPU({ mode: "webgl2" });
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Candidate {
  step(): void | Promise<void>;
  /** Makes the queued GPU work finish (a read waits for it). */
  finish(): unknown;
}

async function optcCandidate(c: WebGlCase, g0: Float32Array, optimizeFloatMemory: boolean, read: boolean) {
  const run = await GpuJsRun.create(c.artifact, { w: { shape: [c.n], data: new Float32Array(c.n).fill(0.5) } }, { gpu, validate: false, optimizeFloatMemory });
  if (run.kernelType !== "WebGL2Kernel") throw new Error(`optc ran on ${run.kernelType}`);
  // A one-texel read waits for the queued work (gl.finish() does not wait in Chromium).
  const probe: GpuJsKernelFunction = gpu.createKernel("function (a) { return a[0][0]; }", { output: [1], precision: "single", tactic: "precision" });
  const candidate: Candidate = {
    step: async () => {
      await run.step({ grads: { w: g0 } });
      if (read) await run.readParams();
    },
    finish: () => probe(run.textures.params[0]),
  };
  return { run, candidate, dispose: () => (run.destroy(), probe.destroy?.()) };
}

async function timePaired(cands: Record<string, Candidate>, rounds: number, count: number): Promise<Record<string, number[]>> {
  const names = Object.keys(cands);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const c of Object.values(cands)) {
    for (let i = 0; i < 3; i++) await c.step();
    c.finish();
  }
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(j + r) % names.length];
      const t0 = performance.now();
      for (let i = 0; i < count; i++) await cands[name].step();
      cands[name].finish();
      times[name].push((performance.now() - t0) / count);
    }
  }
  return times;
}

async function measure(c: WebGlCase): Promise<WebGlRow> {
  await tf.setBackend("webgl");
  await tf.ready();
  const g0 = new Float32Array(c.n).map((_, i) => Math.sin(i) * 1e-2);
  const v = tf.variable(tf.tensor1d(new Float32Array(c.n).fill(0.5)), true, `${c.name}_${c.n}`);
  const opt = c.tfjs.kind === "adam" ? tf.train.adam(c.tfjs.lr, 0.9, 0.999, 1e-8) : tf.train.sgd(c.tfjs.lr);
  const tfjsStep = () => {
    const g = tf.tensor1d(g0);
    opt.applyGradients([{ name: v.name, tensor: g }]);
    g.dispose();
  };
  const tfjsFinish = () => tf.tidy(() => tf.slice(v, 0, 1).dataSync());
  const packed = await optcCandidate(c, g0, true, false);
  const plain = await optcCandidate(c, g0, false, false);
  const count = c.n >= 1e6 ? 5 : 20;
  const step = await timePaired({ tfjs: { step: tfjsStep, finish: tfjsFinish }, optc: packed.candidate, optcPlain: plain.candidate }, c.rounds, count);
  const profile = await tf.profile(() => tfjsStep());
  const before = packed.run.kernelCalls;
  await packed.candidate.step();
  const optcKernels = packed.run.kernelCalls - before;
  const renderer = rendererName();
  packed.dispose();
  plain.dispose();
  const reading = await optcCandidate(c, g0, true, true);
  const tfjsRead: Candidate = {
    step: async () => {
      tfjsStep();
      await v.data();
    },
    finish: () => undefined,
  };
  const read = await timePaired({ tfjs: tfjsRead, optc: reading.candidate }, c.rounds, count);
  reading.dispose();
  v.dispose();
  opt.dispose();
  const ratio = (a: number[], b: number[]) => med(a.map((t, i) => t / b[i]));
  return {
    tfjsMs: med(step.tfjs),
    optcMs: med(step.optc),
    optcPlainMs: med(step.optcPlain),
    tfjsOverOptc: ratio(step.tfjs, step.optc),
    tfjsOverOptcPlain: ratio(step.tfjs, step.optcPlain),
    tfjsReadMs: med(read.tfjs),
    optcReadMs: med(read.optc),
    tfjsOverOptcRead: ratio(read.tfjs, read.optc),
    tfjsKernels: profile.kernels.length,
    optcKernels,
    kernelType: "WebGL2Kernel",
    renderer,
  };
}

function rendererName(): string {
  const gl = (gpu as unknown as { context?: WebGL2RenderingContext }).context;
  const info = gl?.getExtension("WEBGL_debug_renderer_info");
  return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "unknown";
}

(globalThis as unknown as { optcBench: unknown }).optcBench = { measure };
document.getElementById("result")!.textContent = "ready";
