/**
 * The WebGPU target, executed for real: Dawn on SwiftShader (Vulkan) in Node.
 *
 * Tolerance: the GPU computes in float32 (WGSL allows 2.5 ulp for a division, 1-2 ulp for sqrt)
 * with float32 uniforms, while the reference interpreter keeps float64 between stores. We allow
 * 4 float32 ulps per step, relative to max(1, |reference|), accumulated over the steps taken;
 * the catalog's worst case measured here is 0.9 ulp per step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkGolden, formatGoldenReport, readGoldenFile } from "../../golden.js";
import { compile } from "../../index.js";
import type { GpuRun } from "../../runtime/backends/webgpu/run.js";
import { CATALOG_CONFIGS, plateauLoss, wavyGrad } from "../helpers/catalog.js";
import { requireGpu } from "../helpers/gpu.js";
import { bigModel, makeRun, quadGrad, trajectory } from "../helpers/run.js";
import { SAM_PHASES_A, SAM_ROWS_A } from "../helpers/spec_rows.js";

const ULP = 2 ** -23;
const PER_STEP = 4 * ULP;
let device: GPUDevice | undefined;

beforeAll(async () => {
  device = await requireGpu("WebGPU backend tests");
});
afterAll(() => device?.destroy());

const tensors = (m: Record<string, number[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));

async function gpuTrajectory(run: GpuRun, steps: number, grad: (p: Record<string, Float32Array>, out: Record<string, Float32Array>) => void) {
  const out: Record<string, number[]>[] = [];
  const gradFn = (p: Record<string, Float32Array>, _i: number, o: Record<string, Float32Array>) => grad(p, o);
  for (let s = 0; s < steps; s++) {
    const p = await run.readParams();
    const g = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float32Array(v.length)]));
    grad(p, g);
    run.writeGrads(g);
    await run.step({ gradFn, loss: plateauLoss(s) });
    out.push(Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, Array.from(v)])));
  }
  return out;
}

function expectWithinUlps(gpu: Record<string, number[]>[], ref: Record<string, number[]>[]): void {
  gpu.forEach((step, s) => {
    for (const [k, v] of Object.entries(step)) {
      v.forEach((x, i) => {
        const r = ref[s][k][i];
        const tol = PER_STEP * (s + 1) * Math.max(1, Math.abs(r));
        if (!(Math.abs(x - r) <= tol)) throw new Error(`step ${s + 1}, ${k}[${i}]: gpu ${x} vs reference ${r} (tolerance ${tol})`);
      });
    }
  });
}

describe("WebGPU kernels match the reference interpreter", () => {
  for (const [name, config] of Object.entries(CATALOG_CONFIGS)) {
    it(`${name}: ${config} (chunked)`, async () => {
      if (!device) return;
      const run = await compile(config, { target: "webgpu" }).init(tensors(bigModel()), { device, chunkElements: 64 });
      const gpu = await gpuTrajectory(run, 6, wavyGrad);
      const ref = await trajectory(makeRun(config, bigModel(), "interp"), 6, wavyGrad);
      expectWithinUlps(gpu, ref);
      run.destroy();
    });
  }
  it("unchunked and chunked runs agree (workgroups differ at chunk edges, so reductions round differently)", async () => {
    if (!device) return;
    const cfg = "chain(clip_by_global_norm(1.0), lamb(0.01, weight_decay=0.01))";
    const a = await gpuTrajectory(await compile(cfg, { target: "webgpu" }).init(tensors(bigModel()), { device }), 4, wavyGrad);
    const b = await gpuTrajectory(await compile(cfg, { target: "webgpu" }).init(tensors(bigModel()), { device, chunkElements: 64 }), 4, wavyGrad);
    expectWithinUlps(b, a);
  });
});

describe("SAM on the GPU", () => {
  const W0 = [-1, 10, 1];
  const grad = (p: Record<string, Float32Array>, o: Record<string, Float32Array>) => quadGrad(p, o, { w: [1, -1, 1] });
  it("transparent mode gives the §9.8(a) rows and phases", async () => {
    if (!device) return;
    const run = await compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2)", { target: "webgpu" }).init({ w: W0 }, { device });
    const phases: string[] = [];
    for (let call = 0; call < 6; call++) {
      phases.push(run.phase);
      const p = await run.readParams();
      run.writeGrads({ w: Array.from(p.w, (x, i) => 2 * (x - [1, -1, 1][i])) });
      await run.step();
      const now = (await run.readParams()).w;
      SAM_ROWS_A[call].forEach((r, i) => expect(Math.abs(now[i] - r)).toBeLessThanOrEqual(PER_STEP * (call + 1) * Math.max(1, Math.abs(r))));
    }
    expect(phases).toEqual(SAM_PHASES_A);
    expect(Array.from((await run.readTrueParams()).w)).toEqual(Array.from((await run.readParams()).w));
  });
  it("opaque mode (async gradFn) gives rows 2, 4, 6, and one opaque step = k transparent steps", async () => {
    if (!device) return;
    const run = await compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2, opaque_mode=true)", { target: "webgpu" }).init({ w: W0 }, { device });
    const traj = await gpuTrajectory(run, 3, grad);
    traj.forEach((t, i) => SAM_ROWS_A[2 * i + 1].forEach((r, j) => expect(Math.abs(t.w[j] - r)).toBeLessThanOrEqual(PER_STEP * 2 * (i + 1) * Math.max(1, Math.abs(r)))));
    const k3 = "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=3";
    const t = await gpuTrajectory(await compile(`${k3})`, { target: "webgpu" }).init(tensors(bigModel()), { device }), 6, wavyGrad);
    const o = await gpuTrajectory(await compile(`${k3}, opaque_mode=true)`, { target: "webgpu" }).init(tensors(bigModel()), { device }), 2, wavyGrad);
    expectWithinUlps([o[0], o[1]], [t[2], t[5]]);
  });
});

describe("reductions finish on the device", () => {
  it("a 1.2M-element tensor among 40 small ones (sizes not multiples of 4, several fold rows, small chunks) matches the interpreter", async () => {
    if (!device) return;
    const gen = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(1 + i * 1.3 + k) * 2);
    const model: Record<string, number[]> = { big: gen(1_200_003, 0) };
    for (let t = 0; t < 40; t++) model[`t${String(t).padStart(2, "0")}`] = gen(1 + ((t * 37) % 97), t + 1);
    for (const config of ["chain(clip_by_global_norm(1.0), adamw(1e-3))", "lamb(1e-3)", "chain(normalize(), sgd(0.1))"]) {
      for (const chunkElements of config.startsWith("lamb") ? [undefined, 65536 * 3] : [undefined]) {
        const gpu = await gpuTrajectory(await compile(config, { target: "webgpu" }).init(tensors(model), { device, chunkElements }), 2, wavyGrad);
        expectWithinUlps(gpu, await trajectory(makeRun(config, model, "interp"), 2, wavyGrad));
      }
    }
  }, 120_000);
});

describe("kernel shapes", () => {
  it("1, 4 (the hardware default) and 64 vec4s per invocation match the interpreter too; a bad choice is R402", async () => {
    if (!device) return;
    for (const vectorsPerInvocation of [1, 4, 64]) {
      for (const config of ["chain(clip_by_global_norm(1.0), adamw(1e-3))", "lamb(1e-3)", "sgd(0.1, momentum=0.9)"]) {
        const gpu = await gpuTrajectory(await compile(config, { target: "webgpu" }).init(tensors(bigModel()), { device, vectorsPerInvocation, chunkElements: 128 }), 3, wavyGrad);
        expectWithinUlps(gpu, await trajectory(makeRun(config, bigModel(), "interp"), 3, wavyGrad));
      }
    }
    await expect(compile("sgd(0.1)", { target: "webgpu" }).init({ w: [1] }, { device, vectorsPerInvocation: 0 })).rejects.toMatchObject({ code: "R402" });
    await expect(compile("sgd(0.1)", { target: "webgpu" }).init({ w: [1] }, { device, vectorsPerInvocation: 2.5 })).rejects.toMatchObject({ code: "R402" });
  });
});

describe("build-time WebGPU modules", () => {
  it("a generated module runs on the device with the same numbers as compile()", async () => {
    if (!device) return;
    const { compileToModule } = await import("../../build.js");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const root = new URL("../../", import.meta.url).pathname;
    const cfg = "sam(adam(0.05), chain(normalize(), sgd(0.05)), sync=2)";
    const r = compileToModule(cfg, { target: "webgpu", runtimeImport: `${root}runtime/index.ts` });
    mkdirSync(`${root}test/.generated`, { recursive: true });
    const file = `${root}test/.generated/webgpu_module.ts`;
    writeFileSync(file, r.code!);
    const create = (await import(/* @vite-ignore */ file)).default as (p: unknown, o: { device: GPUDevice }) => Promise<GpuRun>;
    const a = await gpuTrajectory(await create(tensors(bigModel()), { device }), 4, wavyGrad);
    const b = await gpuTrajectory(await compile(cfg, { target: "webgpu" }).init(tensors(bigModel()), { device }), 4, wavyGrad);
    expect(a).toEqual(b);
  });
});

describe("GPU runs fail clearly and safely", () => {
  it("NaN gradients: R201, state unchanged", async () => {
    if (!device) return;
    const run = await compile("adam(0.1)", { target: "webgpu" }).init({ w: [1, 2, 3] }, { device });
    run.writeGrads({ w: [1, 1, 1] });
    await run.step();
    const before = await run.saveState();
    run.writeGrads({ w: [1, NaN, 1] });
    // The step is queued (nothing waits); sync() reports the refusal, naming the element.
    await run.step();
    await expect(run.sync()).rejects.toThrow(/R201.*step 2: the gradients contain NaN at w\[1\]; it and the 0 steps queued after it changed nothing/s);
    expect(await run.saveState()).toEqual(before);
    expect(run.count).toBe(1);
  });
  it("wrong grads, no device, a device with too few storage buffers, a lost device", async () => {
    if (!device) return;
    const opt = compile("chain(clip_by_global_norm(1.0), adamw(0.1))", { target: "webgpu" });
    const run = await opt.init({ w: [1, 2, 3] }, { device });
    expect(() => run.writeGrads({ w: [1, 2] })).toThrow(/R106/);
    await expect(opt.init({ w: [1] }, {} as never)).rejects.toThrow(/R403/);
    const small = new Proxy(device, { get: (t, k) => (k === "limits" ? { ...Object.fromEntries(Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(t.limits))).map(([n]) => [n, (t.limits as unknown as Record<string, number>)[n]])), maxStorageBuffersPerShaderStage: 3 } : Reflect.get(t, k, t)) });
    await expect(opt.init({ w: [1] }, { device: small as GPUDevice })).rejects.toThrow(/R402.*storage buffers/);
    const { requireGpu: again } = await import("../helpers/gpu.js");
    const doomed = await again("device loss test");
    const lostRun = await opt.init({ w: [1, 2] }, { device: doomed! });
    doomed!.destroy();
    await doomed!.lost;
    await new Promise((r) => setTimeout(r, 0)); // let the run's own lost handler run first
    await expect(lostRun.step()).rejects.toThrow(/R401|lost/);
  });
  it("float32's largest value as a hyperparameter compiles for the device (its shortest decimal, 3.4028235e38, is past WGSL's range: a bit pattern) and steps as the JS target does", async () => {
    if (!device) return;
    const config = "chain(clip(3.4028234663852886e38), sgd(1.0))";
    const run = await compile(config, { target: "webgpu" }).init({ w: [0.5, -1, 2] }, { device });
    const js = await compile(config).init({ w: [0.5, -1, 2] });
    await run.step({ grads: { w: [1, -2, 3] } });
    await js.step({ grads: { w: [1, -2, 3] } });
    expect(Array.from((await run.readParams()).w)).toEqual(Array.from(js.params.w));
    run.destroy();
  });

  it("a GPU snapshot resumes on the JS backend (same layout fingerprint)", async () => {
    if (!device) return;
    const cfg = "sam(adam(0.05), chain(normalize(), sgd(0.05)), sync=3)";
    const run = await compile(cfg, { target: "webgpu" }).init(tensors(bigModel()), { device });
    await gpuTrajectory(run, 4, wavyGrad);
    const js = makeRun(cfg, bigModel());
    js.loadState(await run.saveState());
    expect(js.phase).toBe(run.phase);
    const a = await gpuTrajectory(run, 2, wavyGrad);
    const b = await trajectory(js, 2, wavyGrad);
    expectWithinUlps(a, b.map((x) => x));
  });
});

describe("golden files of the spec's SAM rows hold on WebGPU", () => {
  for (const name of ["sam_paper", "sam_paper_opaque", "sam_adam_k3"]) {
    it(name, async () => {
      if (!device) return;
      const report = await checkGolden(readGoldenFile(new URL(`../golden/trajectories/${name}.golden.json`, import.meta.url).pathname), { backends: ["webgpu"], device });
      expect(report.results[0].error).toBeUndefined();
      expect(report.ok, formatGoldenReport(report)).toBe(true);
    });
  }
});

describe("WebGPU refuses non-finite results with state unchanged (decided on the device, reported at sync)", () => {
  for (const [config, grads, code] of [["sgd(1e30)", [1e10, 0, 0], "R207"], ["adam(1e-3)", [1e21, 1, 1], "R207"], ["chain(clip_by_global_norm(1.0), adamw(1e-3))", [1, Number.NaN, 1], "R201"]] as const) {
    it(`${config} with gradients [${grads.join(", ")}]: ${code}`, async () => {
      if (!device) return;
      const run = await compile(config, { target: "webgpu" }).init({ w: [0.5, -1, 2] }, { device });
      await run.step({ grads: { w: [0.1, 0.2, 0.3] } });
      const before = JSON.stringify(await run.saveState());
      await run.step({ grads: { w: [...grads] } });
      await expect(run.sync()).rejects.toMatchObject({ code });
      expect(JSON.stringify(await run.saveState())).toBe(before);
      run.destroy();
    });
  }
});
