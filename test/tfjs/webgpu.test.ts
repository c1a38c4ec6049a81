/**
 * optc's WebGPU step inside TensorFlow.js's WebGPU backend (tfjs/webgpu.ts), in Node: Dawn (the
 * `webgpu` package) on SwiftShader's Vulkan driver, with @tensorflow/tfjs-backend-webgpu on top.
 * Gradients are computed by tfjs on the GPU (elementwise ops of the variables), one of them
 * uploaded from the CPU each step (a fresh tf.tensor: its data is not on the GPU yet).
 *
 * Tolerance against tfjs's own optimizers: both compute in float32 on the GPU in a different
 * order (tfjs: one kernel per op; optc: one fused kernel; tfjs forms 1 - β^t in float32, optc's
 * device programs some scalars in float32), so we allow 8 float32 ulps per step relative to
 * max(1, |x|), over the 10 steps.
 *
 * mapAsync is counted by patching GPUBuffer.prototype.mapAsync (every buffer Dawn makes).
 */
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../index.js";
import { tfjsOptimizer } from "../../tfjs.js";
import { createWebGpuStepper } from "../../tfjs/webgpu.js";
// minimize() and opaque SAM need tfjs's gradients (tfjs-core alone registers none).
import "@tensorflow/tfjs-core/dist/register_all_gradients";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const ULP = 2 ** -23;
const TOLERANCE = 8 * ULP * 10;
const SIZES: Record<string, number> = { "a.weight": 100, "a.bias": 37, c: 1 };

const keepAlive: unknown[] = [];
let gpu: GPU | undefined;
let reason: string | undefined;
let WebGPUBackend: new (device: GPUDevice) => tf.KernelBackend;
let mapAsyncCalls = 0;

beforeAll(async () => {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  try {
    const { create, globals } = await import("webgpu");
    Object.assign(globalThis, globals);
    gpu = create([]);
    keepAlive.push(gpu);
    Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true });
    // The backend registers "webgpu" only when navigator.gpu exists at import time.
    ({ WebGPUBackend } = (await import("@tensorflow/tfjs-backend-webgpu")) as unknown as { WebGPUBackend: typeof WebGPUBackend });
    if (!(await tf.setBackend("webgpu"))) reason = "tfjs's webgpu backend did not initialize (no adapter? is libvulkan1 installed?)";
  } catch (e) {
    reason = `the webgpu package or tfjs-backend-webgpu does not load: ${(e as Error).message}`;
  }
  if (reason) {
    console.warn(`tfjs WebGPU stepper tests skipped: ${reason}`);
    if (process.env.CI === "true") throw new Error(`CI=true but the tfjs WebGPU stepper tests cannot run: ${reason}`);
    return;
  }
  const proto = (globalThis as unknown as { GPUBuffer: { prototype: { mapAsync: (...a: unknown[]) => unknown } } }).GPUBuffer.prototype;
  const mapAsync = proto.mapAsync;
  proto.mapAsync = function (this: unknown, ...a: unknown[]) {
    mapAsyncCalls++;
    return mapAsync.apply(this, a);
  };
});
afterAll(() => tf.disposeVariables());

const skip = () => reason !== undefined;

function initial(name: string, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(1 + i * 1.7 + name.length) * 2);
}

let serial = 0;
function makeVars(): { name: string; variable: tf.Variable }[] {
  serial++;
  return Object.entries(SIZES).map(([name, n]) => ({ name, variable: tf.variable(tf.tensor1d(initial(name, n)), true, `${name}_${serial}`) }));
}

/** Gradients at the variables' values, computed on the GPU; `c`'s is a fresh CPU tensor (uploaded on demand). */
function gradients(vars: { name: string; variable: tf.Variable }[], k: number): Map<string, tf.Tensor> {
  return new Map(
    vars.map(({ name, variable }) => [name, name === "c" ? tf.tensor1d([0.3 * (k + 1) - 1]) : tf.tidy(() => tf.add(tf.mul(variable, 2), tf.sin(tf.mul(variable, 3))))]),
  );
}

const values = async (vars: { name: string; variable: tf.Variable }[]) => Object.fromEntries(await Promise.all(vars.map(async ({ name, variable }) => [name, Float32Array.from(await variable.data())] as const)));

function expectClose(got: Record<string, Float32Array>, want: Record<string, Float32Array>, tol: number) {
  for (const name of Object.keys(want)) {
    let worst = 0;
    want[name].forEach((w, i) => (worst = Math.max(worst, Math.abs(got[name][i] - w) / Math.max(1, Math.abs(w)))));
    expect(worst, name).toBeLessThanOrEqual(tol);
  }
}

/** 10 steps of tfjs's optimizer and of the stepper from the same values; returns both end values. */
async function compare(config: string, reference: () => tf.Optimizer) {
  const a = makeVars();
  const b = makeVars();
  const opt = reference();
  const stepper = createWebGpuStepper(config, b, tf.backend(), {});
  const before = mapAsyncCalls;
  for (let k = 0; k < 10; k++) {
    const ga = gradients(a, k);
    opt.applyGradients(Object.fromEntries(a.map(({ name, variable }) => [variable.name, ga.get(name)!])));
    tf.dispose([...ga.values()]);
    const gb = gradients(b, k);
    stepper.step(gb);
    tf.dispose([...gb.values()]);
  }
  const maps = mapAsyncCalls - before;
  await stepper.sync();
  const result = { tfjs: await values(a), optc: await values(b), maps, stepper };
  opt.dispose();
  return result;
}

/** 10 steps of the stepper and of the JS target with the same constant gradients (CPU tensors, uploaded on demand). */
async function expectLikeJs(config: string) {
  const vars = makeVars();
  const stepper = createWebGpuStepper(config, vars, tf.backend(), {});
  const reference = await compile(config).init(Object.fromEntries(Object.entries(SIZES).map(([name, n]) => [name, initial(name, n)])));
  const grad = (name: string, k: number) => Float32Array.from({ length: SIZES[name] }, (_, i) => Math.cos(i + k) * 3);
  for (let k = 0; k < 10; k++) {
    stepper.step(new Map(Object.keys(SIZES).map((name) => [name, tf.tensor1d(grad(name, k))])));
    await reference.step({ grads: Object.fromEntries(Object.keys(SIZES).map((name) => [name, grad(name, k)])) });
  }
  await stepper.sync();
  const want = Object.fromEntries(Object.entries(await reference.readParams()).map(([k, v]) => [k, Float32Array.from(v as ArrayLike<number>)]));
  expectClose(await values(vars), want, TOLERANCE);
  stepper.dispose();
}

describe.skipIf(skip())("tfjs/webgpu.ts: optc's step on tfjs's GPUDevice", () => {
  it("adam matches tf.train.adam (10 steps, sizes 100, 37, 1), 0 mapAsync", async () => {
    const { tfjs, optc, maps, stepper } = await compare("adam(0.01, b1=0.9, b2=0.999, eps=1e-7)", () => tf.train.adam(0.01, 0.9, 0.999, 1e-7));
    expectClose(optc, tfjs, TOLERANCE);
    expect(maps).toBe(0);
    expect(stepper.count).toBe(10);
    expect(stepper.describe).toMatch(/1104 bytes/);
    stepper.dispose();
  });

  it("sgd and momentum match tf.train.sgd and tf.train.momentum", async () => {
    for (const [config, ref] of [
      ["sgd(0.05)", () => tf.train.sgd(0.05)],
      ["sgd(0.05, momentum=0.9)", () => tf.train.momentum(0.05, 0.9)],
    ] as const) {
      const { tfjs, optc, maps, stepper } = await compare(config, ref);
      expectClose(optc, tfjs, TOLERANCE);
      expect(maps, config).toBe(0);
      stepper.dispose();
    }
  });

  it("a NaN gradient: sync() throws R201 and the variables are as before that step", async () => {
    const vars = makeVars();
    const stepper = createWebGpuStepper("adam(0.01)", vars, tf.backend(), {});
    for (let k = 0; k < 3; k++) stepper.step(gradients(vars, k));
    await stepper.sync();
    const before = await values(vars);
    const grads = gradients(vars, 3);
    grads.set("a.bias", tf.tensor1d(Float32Array.from({ length: 37 }, (_, i) => (i === 5 ? NaN : 1))));
    stepper.step(grads);
    stepper.step(gradients(vars, 4));
    await expect(stepper.sync()).rejects.toMatchObject({ code: "R201" });
    expect(stepper.count).toBe(3);
    expect(await values(vars)).toEqual(before);
    // The run goes on from there.
    stepper.step(gradients(vars, 3));
    await stepper.sync();
    expect(stepper.count).toBe(4);
    stepper.dispose();
  });

  it("saveState/loadState round trip (params written back into the variables)", async () => {
    const vars = makeVars();
    const stepper = createWebGpuStepper("adam(0.01)", vars, tf.backend(), {});
    for (let k = 0; k < 3; k++) stepper.step(gradients(vars, k));
    const saved = await stepper.saveState();
    const atSave = await values(vars);
    for (let k = 3; k < 6; k++) stepper.step(gradients(vars, k));
    await stepper.sync();
    const after = await values(vars);
    stepper.loadState(saved);
    expect(await values(vars)).toEqual(atSave);
    for (let k = 3; k < 6; k++) stepper.step(gradients(vars, k));
    await stepper.sync();
    expect(await values(vars)).toEqual(after);
    expect(stepper.count).toBe(6);
    stepper.dispose();
  });

  it("tensors that share a variable's data are never written; assign() between steps wins", async () => {
    const x0 = tf.tensor1d([1, 2, 3, 4]);
    const v = tf.variable(x0, true, `shared_${++serial}`);
    const stepper = createWebGpuStepper("sgd(0.5)", [{ name: "v", variable: v }], tf.backend(), {});
    stepper.step(new Map([["v", tf.ones([4])]]));
    await stepper.sync();
    expect(Array.from(await v.data())).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(Array.from(await x0.data())).toEqual([1, 2, 3, 4]);
    const y = tf.tensor1d([10, 10, 10, 10]);
    v.assign(y);
    stepper.step(new Map([["v", tf.ones([4])]]));
    await stepper.sync();
    expect(Array.from(await v.data())).toEqual([9.5, 9.5, 9.5, 9.5]);
    expect(Array.from(await y.data())).toEqual([10, 10, 10, 10]);
    // The values tfjs cached on the CPU at that read do not hide the next step.
    stepper.step(new Map([["v", tf.ones([4])]]));
    expect(Array.from(await v.data())).toEqual([9, 9, 9, 9]);
    stepper.dispose();
  });

  it("opaque SAM through minimize(f) on tfjs-webgpu: the adversarial gradients computed by tfjs on the GPU, 0 mapAsync, the JS target's numbers; a throwing f and a NaN change nothing", async () => {
    const config = "sam(adam(0.05), sgd(0.05), sync_period=3, opaque_mode=true)";
    const t = { "a.weight": initial("t", 100), "a.bias": initial("tt", 37), c: Float32Array.of(0.25) };
    const vars = makeVars();
    const target = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, tf.tensor1d(v)]));
    // f = Σ (w - t)² (w + 3): its gradient 2(w - t)(w + 3) + (w - t)² is written out below for the JS target.
    let poison = 0;
    let boom = 0;
    const f = () => {
      if (boom > 0 && --boom === 0) throw new Error("boom");
      const poisoned = poison > 0 && --poison === 0;
      return tf.tidy(() => {
        const terms = vars.map(({ name, variable }) => tf.sum(tf.mul(tf.square(tf.sub(variable, target[name])), tf.add(variable, poisoned ? NaN : 3))));
        return tf.addN(terms) as tf.Scalar;
      });
    };
    const opt = tfjsOptimizer(config);
    const before = mapAsyncCalls;
    for (let s = 0; s < 4; s++) opt.minimize(f);
    expect(mapAsyncCalls - before, "mapAsync while 4 opaque cycles ran").toBe(0);
    expect(opt.describe()).toMatch(/tfjs-webgpu/);
    await opt.sync();
    const grad = (p: Float32Array, name: string) => Float32Array.from(p, (x, i) => 2 * (x - t[name as keyof typeof t][i]) * (x + 3) + (x - t[name as keyof typeof t][i]) ** 2);
    const gradAll = (p: Record<string, Float32Array>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, grad(v, k)]));
    const reference = compile(config).initSync(Object.fromEntries(Object.entries(SIZES).map(([name, n]) => [name, initial(name, n)])));
    for (let s = 0; s < 4; s++) reference.stepSync({ grads: gradAll(reference.params), gradFn: (p) => gradAll(p) });
    const want = Object.fromEntries(Object.entries(reference.params).map(([k, v]) => [k, Float32Array.from(v)]));
    // tfjs's float32 gradient kernels against the float64 formula: within 8 ulps per step of max(1, |w|).
    expectClose(await values(vars), want, 8 * ULP * 4 * 10);
    const atFour = await values(vars);
    // f throws at the second adversarial evaluation: R205 at once; the variables and the state as they were.
    boom = 3;
    expect(() => opt.minimize(f)).toThrow(/R205/);
    await opt.sync();
    expect(await values(vars)).toEqual(atFour);
    expect(opt.count).toBe(4);
    // A NaN in f's gradient at the last adversarial evaluation (the third call): refused on the device, reported by sync() (R201), the variables unchanged.
    poison = 3;
    opt.minimize(f);
    await expect(opt.sync()).rejects.toMatchObject({ code: "R201" });
    expect(await values(vars)).toEqual(atFour);
    expect(opt.count).toBe(4);
    opt.minimize(f);
    await opt.sync();
    reference.stepSync({ grads: gradAll(reference.params), gradFn: (p) => gradAll(p) });
    expectClose(await values(vars), Object.fromEntries(Object.entries(reference.params).map(([k, v]) => [k, Float32Array.from(v)])), 8 * ULP * 5 * 10);
    opt.dispose();
    tf.dispose(Object.values(target));
  });

  it("clip+adamw runs on tfjs's stock device; a longer chain gets R402 naming the higher-limit backend, and runs there; both as the JS target", async () => {
    const stock = tf.backend() as unknown as { device: GPUDevice };
    await expectLikeJs("chain(clip_by_global_norm(1.0), adamw(1e-3))");
    // 9 storage buffers in one kernel: more than the default 8 that tfjs's stock device has.
    const long = "chain(clip_by_global_norm(1.0), adamw(1e-3), ema(0.99), ema(0.9))";
    if (stock.device.limits.maxStorageBuffersPerShaderStage < 9) {
      let error: unknown;
      try {
        createWebGpuStepper(long, makeVars(), tf.backend(), {});
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: "R402" });
      expect(String((error as { hint?: string }).hint)).toContain('tf.registerBackend("webgpu-optc", () => new WebGPUBackend(device))');
    }
    const adapter = (await gpu!.requestAdapter())!;
    const device = await adapter.requestDevice({ requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage } });
    keepAlive.push(adapter, device);
    tf.registerBackend("webgpu-optc", () => new WebGPUBackend(device));
    expect(await tf.setBackend("webgpu-optc")).toBe(true);
    try {
      await expectLikeJs(long);
    } finally {
      await tf.setBackend("webgpu");
      tf.removeBackend("webgpu-optc");
    }
  });

  it("measures: time per step for a 1e6-element variable (OPTC_TFJS_MEASURE=1; else 1e5), tf.train.adam vs the stepper's adam (50 queued steps, then a flush)", async () => {
    // OPTC_TFJS_MEASURE=1: the 1e6 measurement (about 40 s on SwiftShader); otherwise 1e5, one quick round.
    const full = process.env.OPTC_TFJS_MEASURE === "1";
    const n = full ? 1e6 : 1e5;
    const steps = full ? 50 : 10;
    const rounds = full ? 3 : 1;
    const be = tf.backend() as unknown as { device: GPUDevice; ensureCommandEncoderReady(): void; endComputePassEncoder(): void; submitQueue(): void };
    const flush = async () => {
      be.ensureCommandEncoderReady();
      be.endComputePassEncoder();
      be.submitQueue();
      await be.device.queue.onSubmittedWorkDone();
    };
    const g = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
    const va = tf.variable(tf.fill([n], 0.5), true, `big_a_${++serial}`);
    const vb = tf.variable(tf.fill([n], 0.5), true, `big_b_${serial}`);
    const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
    const stepper = createWebGpuStepper("adam(1e-3, eps=1e-7)", [{ name: "w", variable: vb }], tf.backend(), {});
    const grads = new Map([["w", g]]);
    const tfjsLoop = async () => {
      for (let i = 0; i < steps; i++) opt.applyGradients([{ name: va.name, tensor: g }]);
      await flush();
    };
    const optcLoop = async () => {
      for (let i = 0; i < steps; i++) stepper.step(grads);
      await stepper.sync();
    };
    await tfjsLoop();
    await optcLoop();
    const times = { tfjs: [] as number[], optc: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const [who, loop] of (r % 2 ? [["optc", optcLoop], ["tfjs", tfjsLoop]] : [["tfjs", tfjsLoop], ["optc", optcLoop]]) as [keyof typeof times, () => Promise<void>][]) {
        const t0 = performance.now();
        await loop();
        times[who].push((performance.now() - t0) / steps);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    console.info(`${n.toExponential(0)} adam, ms/step (median of ${rounds} rounds of ${steps}): tf.train.adam ${median(times.tfjs).toFixed(3)}, optc stepper ${median(times.optc).toFixed(3)}; ${stepper.describe}`);
    expect(stepper.describe).toContain(`${2 * 4 * n} bytes`);
    stepper.dispose();
    opt.dispose();
    tf.dispose([g, va, vb]);
  }, 300_000);
});

