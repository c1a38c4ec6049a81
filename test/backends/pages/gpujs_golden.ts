// Browser page: runs gpu.js-compiled optimizers in the page's WebGL2 (gpu.js's browser bundle is
// loaded by a script tag as the global GPU) and returns the params after every step.
import type { CompiledStep } from "../../../format/artifact.js";
import { GpuJsRun, type GpuJsInstance } from "../../../runtime/backends/gpujs/run.js";
import { plateauLoss, wavyGrad } from "../../helpers/catalog.js";
import { bitsOf, cpuGrad, gradAt, poisoned, type Poison } from "./gpujs_grads.js";

type Tensors = Record<string, Float32Array>;
export type { Poison };
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
  /** Before this step (0-based), run.setHyperparam(path, value) (inject_hyperparams). */
  setHyperparam?: { step: number; path: string; value: number };
}

export interface PageResult {
  kernelType: string;
  phases: string[];
  params: Record<string, number[]>[];
  trueParams: Record<string, number[]>;
  kernelCalls: number;
  /** Per step: the error code step() threw, or "". */
  errors: string[];
  /** run.hyperparams after the last step, and (with setHyperparam) the JSON form of saveState() then. */
  hyperparams: Record<string, number>;
  snapshot: string;
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
    const out: PageResult = { kernelType: run.kernelType, phases: [], params: [], trueParams: {}, kernelCalls: 0, errors: [], hyperparams: {}, snapshot: "" };
    const gradFn = (p: Tensors, _i: number, o: Tensors) => grad(p, o);
    for (let s = 0; s < c.steps; s++) {
      out.phases.push(run.phase);
      if (c.setHyperparam?.step === s) run.setHyperparam(c.setHyperparam.path, c.setHyperparam.value);
      const p = await run.readParams();
      const g = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float32Array(v.length)]));
      grad(p, g);
      if (c.poison?.step === s) Object.values(g)[0][0] = c.poison.value;
      // A refusal the device decides is thrown by the read after the step (it syncs first).
      try {
        await run.step({ grads: g, gradFn, loss: plateauLoss(s) });
        await run.sync();
        out.errors.push("");
      } catch (e) {
        out.errors.push((e as { code?: string }).code ?? String(e));
      }
      out.params.push(Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, Array.from(v)])));
    }
    out.trueParams = Object.fromEntries(Object.entries(await run.readTrueParams()).map(([k, v]) => [k, Array.from(v)]));
    out.kernelCalls = run.kernelCalls;
    out.hyperparams = run.hyperparams;
    // Only where the case changes a hyperparameter: saving reads every arena back.
    if (c.setHyperparam) out.snapshot = JSON.stringify(await run.saveState());
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

// ------------------------------------------------------------------ queued steps (test/backends/gpujs_queue.test.ts)

/** Read backs from the GPU: every readPixels and getBufferSubData of a WebGL context in this page. */
const reads = { count: 0 };
for (const ctor of [globalThis.WebGL2RenderingContext, globalThis.WebGLRenderingContext]) {
  const proto = ctor?.prototype as unknown as Record<string, (...a: unknown[]) => unknown> | undefined;
  if (!proto) continue;
  for (const name of ["readPixels", "getBufferSubData"]) {
    const original = proto[name];
    if (typeof original !== "function" || (original as { counted?: boolean }).counted) continue;
    const counted = function (this: unknown, ...a: unknown[]) {
      reads.count++;
      return original.apply(this, a);
    };
    (counted as { counted?: boolean }).counted = true;
    proto[name] = counted;
  }
}

/** WebGL textures alive in this page: created minus deleted. */
const textures = { live: 0 };
for (const ctor of [globalThis.WebGL2RenderingContext, globalThis.WebGLRenderingContext]) {
  const proto = ctor?.prototype as unknown as Record<string, (...a: unknown[]) => unknown> | undefined;
  if (!proto) continue;
  for (const [name, delta] of [["createTexture", 1], ["deleteTexture", -1]] as const) {
    const original = proto[name];
    if (typeof original !== "function" || (original as { counted?: boolean }).counted) continue;
    const counted = function (this: unknown, ...a: unknown[]) {
      if (delta > 0 || a[0]) textures.live += delta;
      return original.apply(this, a);
    };
    (counted as { counted?: boolean }).counted = true;
    proto[name] = counted;
  }
}

export interface QueueCase {
  artifact: CompiledStep;
  model: Record<string, number[]>;
  steps: number;
  maxTextureSize?: number;
  mode?: "webgl2" | "webgl";
  validate?: boolean;
  /** Steps (1-based) whose gradient holds a NaN or Inf. */
  poison?: { steps: number[]; kind: Poison };
  /** Opaque SAM: step({ gradFn }) with grads = 2 params + 0.5 (the step's own gradient is gradAt). */
  opaque?: boolean;
  /** After the sync (refused or not), this many more steps (gradients gradAt(100 + j)) and another sync. */
  after?: number;
}

export interface QueueResult {
  kernelType: string;
  pages: number;
  evaluations: number;
  /** Per step: read backs while step() ran, kernel calls. */
  reads: number[];
  kernelCalls: number[];
  /** WebGL textures alive after each step (a run frees what it no longer needs). */
  liveTextures: number[];
  /** Read backs inside gradFn's reads of the perturbed params (opaque SAM), in all. */
  gradFnReads: number;
  /** Read backs of the sync() after the steps. */
  syncReads: number;
  error?: { code: string; message: string; summary: string };
  steps?: number;
  /** What the sync after the `after` steps confirmed. */
  afterSteps?: number;
  count: number;
  outerCount: number;
  counters: Record<string, number>;
  phase: string;
  /** Every saved arena's bits after the sync (params, grads, state), and the params as numbers. */
  bits: Record<string, number[]>;
  params: Record<string, number[]>;
}

async function queued(c: QueueCase): Promise<QueueResult> {
  const params = Object.fromEntries(Object.entries(c.model).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));
  const instance = c.mode === "webgl" ? (webgl1 ??= new GPU({ mode: "webgl" })) : gpu;
  const run = await GpuJsRun.create(c.artifact, params, { gpu: instance, maxTextureSize: c.maxTextureSize, validate: c.validate });
  try {
    const cycle = c.artifact.protocol.step;
    const out: QueueResult = { kernelType: run.kernelType, pages: run.textures.params.length, evaluations: cycle.kind === "cycle" ? cycle.evaluations : 0, reads: [], kernelCalls: [], liveTextures: [], gradFnReads: 0, syncReads: 0, count: 0, outerCount: 0, counters: {}, phase: "", bits: {}, params: {} };
    const gradFn = (p: Tensors, i: number, o: Tensors) => cpuGrad(p, i, o);
    for (let s = 1; s <= c.steps; s++) {
      const g = c.poison?.steps.includes(s) ? poisoned(c.model, s, c.poison.kind) : gradAt(c.model, s);
      const before = reads.count;
      const calls = run.kernelCalls;
      if (c.opaque) {
        // The params a gradFn sees are read back once per evaluation: count those apart.
        const wrapped = run as unknown as { readArena(name: string): Promise<Float32Array> };
        const readArena = wrapped.readArena;
        wrapped.readArena = async (name: string) => {
          const r0 = reads.count;
          const got = await readArena.call(run, name);
          out.gradFnReads += reads.count - r0;
          return got;
        };
        try {
          await run.step({ grads: g, gradFn, loss: plateauLoss(s) });
        } finally {
          wrapped.readArena = readArena;
        }
      } else if (s % 2) await run.step({ grads: g, loss: plateauLoss(s) });
      else {
        run.writeGrads(g);
        await run.step({ loss: plateauLoss(s) });
      }
      out.reads.push(reads.count - before);
      out.kernelCalls.push(run.kernelCalls - calls);
      out.liveTextures.push(textures.live);
    }
    const beforeSync = reads.count;
    try {
      out.steps = (await run.sync()).steps;
    } catch (e) {
      const err = e as { code?: string; message?: string; summary?: string };
      out.error = { code: err.code ?? "", message: err.message ?? String(e), summary: err.summary ?? "" };
    }
    out.syncReads = reads.count - beforeSync;
    if (c.after) {
      for (let j = 1; j <= c.after; j++) await run.step(c.opaque ? { grads: gradAt(c.model, 100 + j), gradFn } : { grads: gradAt(c.model, 100 + j) });
      out.afterSteps = (await run.sync()).steps;
    }
    out.count = run.count;
    out.outerCount = run.outerCount;
    out.counters = run.counterValues;
    out.phase = run.phase;
    const snap = await run.saveState();
    for (const [name, a] of Object.entries(snap.arenas)) out.bits[name] = bitsOf(a instanceof Float32Array ? a : Float32Array.from(a));
    out.params = Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, Array.from(v)]));
    return out;
  } finally {
    run.destroy();
  }
}

(globalThis as unknown as { optcGpuJsQueue: unknown }).optcGpuJsQueue = { queued };

document.getElementById("result")!.textContent = "ready";
