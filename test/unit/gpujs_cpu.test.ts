/**
 * The gpu.js target in gpu.js's cpu mode, in Node: fast checks of the runtime (pages, queued
 * steps whose refusals the kernels decide and sync() reports, snapshots, fallback detection) with
 * real gpu.js kernels. The WebGL2 runs are in test/backends/gpujs_webgl2.test.ts and
 * test/backends/gpujs_queue.test.ts (no read backs while steps are issued). cpu mode computes in float64 and stores float32, so it
 * stays within about an ulp of the interpreter.
 */
import gpujs from "gpu.js";
import { describe, expect, it } from "vitest";
import { compile, compileReference, GpuJsRun, OptcRuntimeError, type GpuJsInstance, type GpuJsKernelFunction } from "../../index.js";
import { CATALOG_CONFIGS, model, plateauLoss, wavyGrad } from "../helpers/catalog.js";
import { makeRun, trajectory } from "../helpers/run.js";
import { SAM_PHASES_A, SAM_ROWS_A } from "../helpers/spec_rows.js";
import { CHUNK, FOLD } from "../../format/abi_gpujs.js";
import { planFold } from "../../runtime/backends/gpujs/layout.js";

const { GPU } = gpujs as unknown as { GPU: new (s: { mode: string }) => GpuJsInstance };
const cpu = () => new GPU({ mode: "cpu" });
const PER_STEP = 4 * 2 ** -23;
type Tensors = Record<string, Float32Array>;

async function gpujsTrajectory(run: GpuJsRun, steps: number, grad: (p: Tensors, out: Tensors) => void): Promise<Record<string, number[]>[]> {
  const out: Record<string, number[]>[] = [];
  for (let s = 0; s < steps; s++) {
    const p = await run.readParams();
    const g = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float32Array(v.length)]));
    grad(p, g);
    await run.step({ grads: g, gradFn: (q, _i, o) => grad(q, o), loss: plateauLoss(s) });
    out.push(Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, Array.from(v)])));
  }
  return out;
}

/** Outputs of each store program of the step phase (the passes before them only reduce: the finiteness check). */
function storeOutputs(artifact: GpuJsRun["artifact"]): number[] {
  return artifact.phases.step.passes.flatMap((p) => p.kernels.filter((k) => k.code.gpujs!.kind === "store").map((k) => k.code.gpujs!.outputs.length));
}

function expectWithinUlps(got: Record<string, number[]>[], ref: Record<string, number[]>[], stepsPerRow = 1): void {
  got.forEach((step, s) => {
    for (const [k, v] of Object.entries(step)) {
      v.forEach((x, i) => {
        const r = ref[s][k][i];
        const tol = PER_STEP * stepsPerRow * (s + 1) * Math.max(1, Math.abs(r));
        if (!(Math.abs(x - r) <= tol)) throw new Error(`step ${s + 1}, ${k}[${i}]: gpu.js ${x} vs reference ${r} (tolerance ${tol})`);
      });
    }
  });
}

describe("gpu.js cpu mode matches the reference interpreter", () => {
  for (const [name, config] of Object.entries(CATALOG_CONFIGS)) {
    it(`${name} on 3×3 pages (22 elements: three textures)`, async () => {
      const run = await compile(config, { target: "gpujs" }).init(model(), { gpu: cpu(), maxTextureSize: 3 });
      expect(run.kernelType).toBe("CPUKernel");
      expectWithinUlps(await gpujsTrajectory(run, 5, wavyGrad), await trajectory(makeRun(config, model(), "interp"), 5, wavyGrad));
      run.destroy();
    });
  }
  it("a pass with 6 outputs is split into kernels of at most 4 and still matches", async () => {
    const config = "chain(scale_by_rms(), scale_by_adam(), trace(0.9), ema(0.9), scale(-0.01))";
    const run = await compile(config, { target: "gpujs" }).init(model(), { gpu: cpu(), maxTextureSize: 3 });
    expect(storeOutputs(run.artifact)).toEqual([4, 2]);
    expectWithinUlps(await gpujsTrajectory(run, 5, wavyGrad), await trajectory(makeRun(config, model(), "interp"), 5, wavyGrad));
  });
  it("gives the spec's §9.8(a) SAM rows in both modes", async () => {
    const target = [1, -1, 1];
    const grad = (p: Tensors, o: Tensors) => p.w.forEach((x, i) => (o.w[i] = 2 * (x - target[i])));
    const run = await compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2)", { target: "gpujs" }).init({ w: [-1, 10, 1] }, { gpu: cpu() });
    const phases: string[] = [];
    const rows: Record<string, number[]>[] = [];
    for (let i = 0; i < 6; i++) {
      phases.push(run.phase);
      rows.push(...(await gpujsTrajectory(run, 1, grad)));
    }
    expect(phases).toEqual(SAM_PHASES_A);
    expectWithinUlps(rows, SAM_ROWS_A.map((w) => ({ w })));
    const opaque = await compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2, opaque_mode=true)", { target: "gpujs" }).init({ w: [-1, 10, 1] }, { gpu: cpu() });
    expectWithinUlps(await gpujsTrajectory(opaque, 3, grad), [1, 3, 5].map((i) => ({ w: SAM_ROWS_A[i] })), 2);
  });
});

describe("gpu.js runtime", () => {
  it("reports the kernel type, and refuses gpu.js running on the CPU where a GPU mode was asked for (R405)", async () => {
    const real = cpu();
    // A GPU instance that asked for WebGL2 but whose kernels run on the CPU: what gpu.js does when WebGL is missing.
    const fellBack: GpuJsInstance = { mode: "webgl2", createKernel: (s, o) => real.createKernel(s, o), createKernelMap: (m, s, o) => real.createKernelMap(m, s, o) };
    const opt = compile("adam(0.01)", { target: "gpujs" });
    await expect(opt.init(model(), { gpu: fellBack })).rejects.toMatchObject({ code: "R405" });
    const allowed = await opt.init(model(), { gpu: fellBack, allowFallback: true });
    expect(allowed.kernelType).toBe("CPUKernel");
    // In Node, gpu.js's "gpu" mode picks its WebAssembly kernel, which this backend does not drive.
    await expect(opt.init(model(), { gpu: new GPU({ mode: "gpu" }) })).rejects.toMatchObject({ code: "R405" });
    await expect(opt.init(model(), { gpu: {} as GpuJsInstance })).rejects.toMatchObject({ code: "R403" });
  });

  it("a kernel that gpu.js swaps for another kernel class mid-run is an error (R405), and the step changes nothing", async () => {
    const real = cpu();
    let swap = false;
    // Kernels made after `swap` report another class, as gpu.js's shortcut does after a build-time fallback.
    const wrap = (fn: GpuJsKernelFunction) => {
      if (swap) Object.defineProperty(fn, "kernel", { value: { constructor: { name: "WebAssemblyKernel" } } });
      return fn;
    };
    const gpu: GpuJsInstance = { mode: "cpu", createKernel: (s, o) => wrap(real.createKernel(s, o)), createKernelMap: (m, s, o) => wrap(real.createKernelMap(m, s, o)) };
    const run = await compile("adam(0.01)", { target: "gpujs" }).init(model(), { gpu, validate: false });
    const before = await run.saveState();
    swap = true;
    const err = await run.step({ grads: Object.fromEntries(Object.entries(model()).map(([k, v]) => [k, v.map(() => 1)])) }).catch((e: unknown) => e);
    expect((err as OptcRuntimeError).code).toBe("R405");
    expect((err as OptcRuntimeError).message).toContain("fell back from CPUKernel to WebAssemblyKernel");
    const after = await run.saveState();
    expect(after.arenas.params).toEqual(before.arenas.params);
    expect(after.arenas["adam.mu"]).toEqual(before.arenas["adam.mu"]);
    expect(after.counters).toEqual(before.counters);
  });

  it("without a GPU instance optc imports gpu.js and creates one in the mode asked for", async () => {
    const run = await compile("adam(0.01)", { target: "gpujs" }).init(model(), { mode: "cpu" });
    expect(run.kernelType).toBe("CPUKernel");
    expectWithinUlps(await gpujsTrajectory(run, 3, wavyGrad), await trajectory(makeRun("adam(0.01)", model(), "interp"), 3, wavyGrad));
    run.destroy();
    await expect(compile("adam(0.01)", { target: "gpujs" }).init(model(), { maxTextureSize: 0 })).rejects.toMatchObject({ code: "R402" });
  });

  it("a global GPU that is WebGPU's interface (browsers with WebGPU, Node after the webgpu package's globals) is not taken for gpu.js", async () => {
    // Found by `optc golden check` running webgpu then gpujs in one process: new GPU() threw "Illegal constructor".
    const g = globalThis as { GPU?: unknown };
    const before = g.GPU;
    g.GPU = class WebGpuInterface {
      constructor() {
        throw new TypeError("Failed to construct 'GPU': Illegal constructor");
      }
    };
    try {
      const run = await compile("sgd(0.1)", { target: "gpujs" }).init(model(), { mode: "cpu" });
      expect(run.kernelType).toBe("CPUKernel");
      run.destroy();
    } finally {
      g.GPU = before;
    }
  });

  it("never frees a texture an arena still holds (multi-page phases, opaque SAM restores)", async () => {
    // cpu-mode outputs are arrays; give them the delete() of a texture and record the calls.
    const real = cpu();
    const deleted = new Set<object>();
    const tag = (out: unknown): unknown => {
      if (out && typeof out === "object" && !ArrayBuffer.isView(out)) {
        if (Array.isArray(out)) Object.defineProperty(out, "delete", { value: () => deleted.add(out) });
        else for (const v of Object.values(out)) tag(v);
      }
      return out;
    };
    const wrap = (fn: GpuJsKernelFunction): GpuJsKernelFunction => {
      const w = ((...args: unknown[]) => tag(fn(...args))) as GpuJsKernelFunction;
      Object.defineProperty(w, "kernel", { get: () => fn.kernel });
      return w;
    };
    const gpu: GpuJsInstance = { mode: "cpu", createKernel: (s, o) => wrap(real.createKernel(s, o)), createKernelMap: (m, s, o) => wrap(real.createKernelMap(m, s, o)) };
    const live = (run: GpuJsRun) => Object.values(run.textures).flat() as object[];
    const run = await compile("sam(adam(0.05), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true)", { target: "gpujs" }).init(model(), { gpu, maxTextureSize: 3 });
    await gpujsTrajectory(run, 2, wavyGrad);
    expect(live(run).filter((t) => deleted.has(t))).toEqual([]);
    const before = await run.saveState();
    const gradFn = (p: Tensors, i: number, o: Tensors) => {
      if (i === 1) throw new Error("boom");
      wavyGrad(p, o);
    };
    await expect(run.step({ gradFn })).rejects.toMatchObject({ code: "R205" });
    expect(live(run).filter((t) => deleted.has(t))).toEqual([]);
    expect(await run.saveState()).toEqual(before);
  });

  it("refuses artifacts of other targets (R110)", async () => {
    await expect(GpuJsRun.create(compile("sgd(0.1)").artifact, model(), { gpu: cpu() })).rejects.toMatchObject({ code: "R110" });
  });

  it("a refused step (NaN gradient, R201) is reported at sync(), and leaves params, state and counters as they were", async () => {
    const run = await compile("adam(0.01)", { target: "gpujs" }).init(model(), { gpu: cpu(), maxTextureSize: 3 });
    await gpujsTrajectory(run, 2, wavyGrad);
    const before = await run.saveState();
    const g = Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, new Float32Array(v.length)]));
    g["b.weight"][4] = NaN;
    await run.step({ grads: g });
    await run.step({ grads: Object.fromEntries(Object.keys(g).map((k) => [k, new Float32Array(g[k].length).fill(0.5)])) });
    expect(run.count).toBe(4);
    const err = await run.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptcRuntimeError);
    expect((err as OptcRuntimeError).code).toBe("R201");
    expect((err as OptcRuntimeError).message).toContain("step 3: ");
    expect(run.count).toBe(2);
    expect(await run.saveState()).toEqual(before);
  });

  it("opaque SAM: a throwing gradFn restores the adversarial state (R205)", async () => {
    const run = await compile("sam(adam(0.05), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true)", { target: "gpujs" }).init(model(), { gpu: cpu(), maxTextureSize: 3 });
    await gpujsTrajectory(run, 1, wavyGrad);
    const before = await run.saveState();
    const gradFn = (p: Tensors, i: number, o: Tensors) => {
      if (i === 1) throw new Error("boom");
      wavyGrad(p, o);
    };
    const err = await run.step({ gradFn }).catch((e: unknown) => e);
    expect((err as OptcRuntimeError).code).toBe("R205");
    expect(await run.saveState()).toEqual(before);
    await gpujsTrajectory(run, 1, wavyGrad);
  });

  it("a generated gpujs module runs with the same numbers as compile()", async () => {
    const { compileToModule } = await import("../../build.js");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const root = new URL("../../", import.meta.url).pathname;
    const cfg = "sam(adam(0.05), chain(normalize(), sgd(0.05)), sync=2)";
    const r = compileToModule(cfg, { target: "gpujs", runtimeImport: `${root}runtime/index.ts` });
    mkdirSync(`${root}test/.generated`, { recursive: true });
    const file = `${root}test/.generated/gpujs_module.ts`;
    writeFileSync(file, r.code!);
    const create = (await import(/* @vite-ignore */ file)).default as (p: unknown, o: { gpu: GpuJsInstance; maxTextureSize: number }) => Promise<GpuJsRun>;
    const a = await gpujsTrajectory(await create(model(), { gpu: cpu(), maxTextureSize: 4 }), 4, wavyGrad);
    const b = await gpujsTrajectory(await compile(cfg, { target: "gpujs" }).init(model(), { gpu: cpu(), maxTextureSize: 4 }), 4, wavyGrad);
    expect(a).toEqual(b);
  });

  it("snapshots are backend-neutral: a gpu.js run resumes on the JS target and agrees", async () => {
    const config = CATALOG_CONFIGS.chain;
    const run = await compile(config, { target: "gpujs" }).init(model(), { gpu: cpu(), maxTextureSize: 4 });
    await gpujsTrajectory(run, 3, wavyGrad);
    const js = compile(config).initSync(model());
    js.loadState((await run.saveState()));
    const ref = compileReference(config).initSync(model());
    ref.loadState(js.saveStateBinary());
    expectWithinUlps(await gpujsTrajectory(run, 2, wavyGrad), await trajectory(ref, 2, wavyGrad));
    const back = await compile(config, { target: "gpujs" }).init(model(), { gpu: cpu() });
    back.loadState(js.saveStateBinary());
    expect(Array.from((await back.readParams())["a.weight"])).toEqual(Array.from(js.params["a.weight"]));
  });
});

describe("gpu.js queued steps (cpu mode): refusals decided by the kernels, reported at sync()", () => {
  const bits = (t: Record<string, Float32Array>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));
  async function fullState(run: GpuJsRun) {
    const arenas: Record<string, Record<string, number[]>> = { params: bits(await run.readParams()) };
    for (const a of run.artifact.arenas) if (a.role === "state") arenas[a.name] = bits(await run.state(a.name));
    return { arenas, count: run.count, outerCount: run.outerCount, counters: run.counterValues, phase: run.phase };
  }
  const gradAt = (s: number) => Object.fromEntries(Object.entries(model()).map(([k, v], t) => [k, Float32Array.from(v, (_, i) => Math.cos(1.3 * i + 0.7 * s + t) + 0.1)]));
  const poisoned = (s: number) => {
    const g = gradAt(s);
    g["b.weight"][4] = NaN;
    return g;
  };
  const init = (config: string) => compile(config, { target: "gpujs" }).init(model(), { gpu: cpu(), maxTextureSize: 3 });

  for (const config of [CATALOG_CONFIGS.sgd, CATALOG_CONFIGS.adam, "chain(clip_by_global_norm(1.0), adamw(1e-3))", CATALOG_CONFIGS.lamb, CATALOG_CONFIGS.sam, CATALOG_CONFIGS.MultiSteps]) {
    it(`${config}: NaN at step 3 of 6 → sync() throws R201 "step 3: ..."; the run is one that stopped before it, and goes on`, async () => {
      const run = await init(config);
      for (let s = 1; s <= 6; s++) await run.step({ grads: s === 3 ? poisoned(s) : gradAt(s) });
      expect(run.count).toBe(6);
      const err = (await run.sync().catch((e: unknown) => e)) as OptcRuntimeError;
      expect(err).toBeInstanceOf(OptcRuntimeError);
      expect(err.code).toBe("R201");
      expect(err.summary).toMatch(/^step 3: .*3 steps queued after it changed nothing/);
      const ref = await init(config);
      for (let s = 1; s <= 2; s++) await ref.step({ grads: gradAt(s) });
      expect(await fullState(run)).toEqual(await fullState(ref));
      for (const r of [run, ref]) {
        for (let s = 3; s <= 4; s++) await r.step({ grads: gradAt(s + 10) });
        expect((await r.sync()).steps).toBe(2);
      }
      expect(await fullState(run)).toEqual(await fullState(ref));
    });
  }

  it("opaque SAM: NaN in gradFn's gradient at step 2 of 4 undoes the whole cycle (restore if refused, queued)", async () => {
    const config = "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true)";
    const gradFn = (bad: boolean) => (p: Tensors, i: number, o: Tensors) => {
      wavyGrad(p, o);
      if (bad && i === 1) o["a.bias"][2] = NaN;
    };
    for (const evaluation of [0, 1]) {
      const run = await init(config);
      for (let s = 1; s <= 4; s++) await run.step({ grads: gradAt(s), gradFn: (p, i, o) => gradFn(s === 2 && i === evaluation)(p, 1, o) });
      const err = (await run.sync().catch((e: unknown) => e)) as OptcRuntimeError;
      expect(err.code).toBe("R201");
      expect(err.summary.startsWith("step 2: ")).toBe(true);
      const ref = await init(config);
      await ref.step({ grads: gradAt(1), gradFn: gradFn(false) });
      await ref.sync();
      expect(await fullState(run)).toEqual(await fullState(ref));
    }
  });

  it("apply_if_finite counts its errors on the device: the counters come back at sync()", async () => {
    const config = "apply_if_finite(adam(1e-2), 2)";
    const run = await init(config);
    const js = compileReference(config).initSync(model());
    const g = (s: number) => ([2, 5, 6].includes(s) ? poisoned(s) : gradAt(s));
    for (let s = 1; s <= 8; s++) {
      await run.step({ grads: g(s) });
      await js.step({ grads: g(s) });
    }
    expect((await run.sync()).steps).toBe(8);
    expect(run.counterValues).toEqual(js.counterValues);
    expectWithinUlps([Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, Array.from(v)]))], [Object.fromEntries(Object.entries(js.params).map(([k, v]) => [k, Array.from(v)]))], 8);
  });

  it("readParams() syncs first and throws a pending refusal; loadState() drops one", async () => {
    const run = await init(CATALOG_CONFIGS.adam);
    await run.step({ grads: gradAt(1) });
    const snap = await run.saveState();
    await run.step({ grads: poisoned(2) });
    await expect(run.readParams()).rejects.toMatchObject({ code: "R201" });
    expect(run.count).toBe(1);
    await run.step({ grads: poisoned(2) });
    run.loadState(snap);
    expect((await run.sync()).steps).toBe(0);
    await run.step({ grads: gradAt(2) });
    const ref = await init(CATALOG_CONFIGS.adam);
    for (let s = 1; s <= 2; s++) await ref.step({ grads: gradAt(s) });
    expect(await fullState(run)).toEqual(await fullState(ref));
  });

  it("validate: false skips the check-only kernels and the device programs that only check", async () => {
    const per = async (validate: boolean) => {
      const run = await compile(CATALOG_CONFIGS.sgd, { target: "gpujs" }).init(model(), { gpu: cpu(), validate });
      await run.step({ grads: gradAt(1) });
      const before = run.kernelCalls;
      await run.step({ grads: gradAt(2) });
      return { calls: run.kernelCalls - before, params: await run.readParams() };
    };
    const on = await per(true);
    const off = await per(false);
    // grads upload, partial sums, fold, device program, store; validate: false: upload and store.
    expect([on.calls, off.calls]).toEqual([5, 2]);
    expect(off.params).toEqual(on.params);
  });
});

describe("gpu.js folds: partial sums become per-tensor sums on the device", () => {
  it("a tensor of more than FOLD × CHUNK elements is folded in two levels and matches the interpreter (clip_by_global_norm, lamb)", async () => {
    const gen = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(1 + i * 0.37 + k));
    const big = { "enc.weight": gen(40_000, 0), "enc.bias": gen(3, 1), head: gen(300, 2) };
    const chunks = Math.ceil(40_000 / CHUNK);
    expect(planFold(Int32Array.from({ length: chunks }, () => 0), 1, FOLD).map((l) => l.outputs)).toEqual([Math.ceil(chunks / FOLD), 1]);
    for (const config of ["chain(clip_by_global_norm(0.5), sgd(0.1))", CATALOG_CONFIGS.lamb]) {
      const run = await compile(config, { target: "gpujs" }).init(big, { gpu: cpu() });
      expectWithinUlps(await gpujsTrajectory(run, 2, wavyGrad), await trajectory(makeRun(config, big, "interp"), 2, wavyGrad));
      run.destroy();
    }
  });
});
