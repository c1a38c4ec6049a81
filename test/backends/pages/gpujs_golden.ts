// Browser page: runs gpu.js-compiled optimizers in the page's WebGL2 (gpu.js's browser bundle is
// loaded by a script tag as the global GPU) and returns the params after every step.
import type { CompiledStep } from "../../../format/artifact.js";
import { GpuJsRun, type GpuJsInstance } from "../../../runtime/backends/gpujs/run.js";
import { wavyGrad } from "../../helpers/catalog.js";

type Tensors = Record<string, Float32Array>;
type Grad = (p: Tensors, out: Tensors) => void;

export interface PageCase {
  artifact: CompiledStep;
  model: Record<string, number[]>;
  steps: number;
  /** "wavy": the catalog's gradient; otherwise the quadratic Σ(w - target)² with this target. */
  grad: "wavy" | Record<string, number[]>;
  maxTextureSize?: number;
  optimizeFloatMemory?: boolean;
  /** gpu.js mode of the page's GPU instance (default "webgl2"). */
  mode?: "webgl2" | "webgl";
  /** Let optc create the GPU instance (from the page's global GPU, mode "gpu"). */
  ownGpu?: boolean;
  /** At this step, the first element of the first tensor's gradient becomes `value` (NaN, Inf). */
  poison?: { step: number; value: number };
}

export interface PageResult {
  kernelType: string;
  phases: string[];
  params: Record<string, number[]>[];
  trueParams: Record<string, number[]>;
  kernelCalls: number;
  /** Per step: the error code step() threw, or "". */
  errors: string[];
}

const GPU = (globalThis as unknown as { GPU: new (s: { mode: string }) => GpuJsInstance }).GPU;
const gpu = new GPU({ mode: "webgl2" });
let webgl1: GpuJsInstance | undefined;

function gradOf(spec: PageCase["grad"]): Grad {
  if (spec === "wavy") return wavyGrad;
  return (p, out) => {
    for (const [k, x] of Object.entries(p)) for (let i = 0; i < x.length; i++) out[k][i] = 2 * (x[i] - spec[k][i]);
  };
}

async function trajectory(c: PageCase): Promise<PageResult> {
  const grad = gradOf(c.grad);
  const params = Object.fromEntries(Object.entries(c.model).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));
  const instance = c.mode === "webgl" ? (webgl1 ??= new GPU({ mode: "webgl" })) : gpu;
  const run = await GpuJsRun.create(c.artifact, params, { gpu: c.ownGpu ? undefined : instance, maxTextureSize: c.maxTextureSize, optimizeFloatMemory: c.optimizeFloatMemory });
  try {
    const out: PageResult = { kernelType: run.kernelType, phases: [], params: [], trueParams: {}, kernelCalls: 0, errors: [] };
    const gradFn = (p: Tensors, _i: number, o: Tensors) => grad(p, o);
    for (let s = 0; s < c.steps; s++) {
      out.phases.push(run.phase);
      const p = await run.readParams();
      const g = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float32Array(v.length)]));
      grad(p, g);
      if (c.poison?.step === s) Object.values(g)[0][0] = c.poison.value;
      try {
        await run.step({ grads: g, gradFn });
        out.errors.push("");
      } catch (e) {
        out.errors.push((e as { code?: string }).code ?? String(e));
      }
      out.params.push(Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, Array.from(v)])));
    }
    out.trueParams = Object.fromEntries(Object.entries(await run.readTrueParams()).map(([k, v]) => [k, Array.from(v)]));
    out.kernelCalls = run.kernelCalls;
    return out;
  } finally {
    run.destroy();
  }
}

/**
 * A model just larger than one 4096 × 4096 page, with the default page size: two sgd steps,
 * checked in the page against the same float32 arithmetic in plain JS (no data leaves the page).
 */
async function beyondOneTexture(artifact: CompiledStep, lr: number): Promise<{ kernelType: string; pages: number; n: number; maxDiff: number }> {
  const n = 4096 * 4096 + 1000;
  const p0 = new Float32Array(n).map((_, i) => Math.sin(i * 0.001));
  const g = new Float32Array(n).map((_, i) => Math.cos(i * 0.003));
  const run = await GpuJsRun.create(artifact, { w: { shape: [n], data: p0 } }, { gpu });
  try {
    for (let s = 0; s < 2; s++) await run.step({ grads: { w: g } });
    const got = (await run.readParams()).w;
    let maxDiff = 0;
    for (let i = 0; i < n; i++) {
      const expected = Math.fround(Math.fround(p0[i] - lr * g[i]) - lr * g[i]);
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected));
    }
    return { kernelType: run.kernelType, pages: run.textures.params.length, n, maxDiff };
  } finally {
    run.destroy();
  }
}

(globalThis as unknown as { optcGpuJs: unknown }).optcGpuJs = { trajectory, beyondOneTexture };
document.getElementById("result")!.textContent = "ready";
