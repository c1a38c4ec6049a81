/**
 * The WebAssembly SIMD target, executed for real (Node's V8): every catalog entry equals the
 * reference interpreter bit for bit (f64x2 math, float32 stores), SAM in both modes, refused
 * steps that leave params, grads and state bit-identical, snapshots that move between the JS and
 * wasm targets, and a run whose arenas are zero-copy views into one WebAssembly.Memory that
 * never grows.
 */
import { build as esbuild } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build as viteBuild } from "vite";
import { describe, expect, it, vi } from "vitest";
import { optc } from "../../vite.js";
import { compileToModule } from "../../build.js";
import { describePlan } from "../../compiler/describe.js";
import { describeCode } from "../../compiler/render.js";
import { checkGolden, readGoldenFile, recordGolden, TOLERANCE_ULPS } from "../../golden.js";
import { compile, compileReference, compileSource, OptcRuntimeError, type Run } from "../../index.js";
import { loadWasm, type InitOptions, type TensorInit } from "../../runtime/index.js";
import { fromBase64, toBase64 } from "../../format/base64.js";
import { CATALOG_CONFIGS, model, wavyGrad } from "../helpers/catalog.js";
import { bigModel, makeRun, quadGrad, trajectory } from "../helpers/run.js";

const EXTRA = {
  sam_opaque: "sam(sgd(0.1), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true)",
  sam_opaque_reset: "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=2, opaque_mode=true)",
  sam_k2: "sam(lamb(0.01), chain(normalize(), sgd(0.05)), sync=2, reset_state=false)",
};

/** Bit patterns, so -0 and +0 (and NaN payloads) count as different. */
const bits = (t: Record<string, number[]>[]) => JSON.stringify(t.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(new Uint32Array(Float32Array.from(v).buffer))]))));

describe("wasm kernels = reference interpreter, bit for bit", () => {
  for (const [name, config] of Object.entries({ ...CATALOG_CONFIGS, ...EXTRA })) {
    it(`${name}: ${config}`, async () => {
      const wasm = await trajectory(makeRun(config, model(), "wasm"), 7, wavyGrad);
      const ref = await trajectory(makeRun(config, model(), "interp"), 7, wavyGrad);
      expect(bits(wasm)).toBe(bits(ref));
      const moved = Object.entries(wasm[6]).some(([k, v]) => v.some((x, i) => Math.fround(model()[k][i]) !== x));
      expect(moved || name === "set_to_zero").toBe(true);
    });
  }
  // Sizes 100, 37, 130, 1: many vector iterations, every tail length, a tensor of one.
  for (const name of ["adam", "lamb", "clip_by_global_norm", "adamw", "lion", "scale_by_trust_ratio", "sam", "rmsprop"]) {
    it(`${name} on a 268-element model`, async () => {
      const config = CATALOG_CONFIGS[name];
      const wasm = await trajectory(makeRun(config, bigModel(), "wasm"), 5, wavyGrad);
      const ref = await trajectory(makeRun(config, bigModel(), "interp"), 5, wavyGrad);
      expect(bits(wasm)).toBe(bits(ref));
    });
  }
});

describe("every op has a rendering equal to format/ops.ts's meaning", () => {
  // Configs whose kernels reach pow, exp, cos, tanh, sign, floor, min/max, select and the comparisons.
  const configs = [
    'chain(scale_by_lion(mode="smooth", smooth_beta=2.0), scale(-0.01))',
    "chain(clip(0.05), sgd(0.1))",
    "adamax(0.01)",
    "adam(cosine_decay_schedule(0.1, 5, alpha=0.1, exponent=2))",
    "apply_if_finite(adam(0.01), 3)",
    "MultiSteps(sgd(0.1), 2, should_skip_update_fn=skip_not_finite)",
  ];
  for (const config of configs) {
    it(config, async () => {
      // Gradients with zeros, signs and sizes across many binades.
      const grad = (p: Record<string, Float32Array>, out: Record<string, Float32Array>) => {
        for (const [k, x] of Object.entries(p)) for (let i = 0; i < x.length; i++) out[k][i] = i % 5 === 0 ? 0 : (i % 2 ? -1 : 1) * Math.exp(((i * 7) % 23) - 11) * (1 + x[i]);
      };
      const wasm = await trajectory(makeRun(config, bigModel(), "wasm"), 4, grad);
      const ref = await trajectory(makeRun(config, bigModel(), "interp"), 4, grad);
      expect(bits(wasm)).toBe(bits(ref));
    });
  }
});

const fingerprintOf = (run: Run) => fingerprint(run);

function fingerprint(run: Run): string {
  const s = run.saveState();
  const b = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer)).join(",");
  return JSON.stringify({ arenas: Object.fromEntries(Object.entries(s.arenas).map(([k, v]) => [k, b(v)])), counters: s.counters, count: s.count, grads: b(run.grads.w) });
}

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof OptcRuntimeError) return e.code;
    throw e;
  }
  throw new Error("expected an optc error");
}

describe("refused steps leave params, grads and state bit-identical", () => {
  const w = (n: number) => ({ w: { shape: [n], data: Float32Array.from({ length: n }, (_, i) => Math.sin(i) + 0.5) } });
  const cases: [string, (r: Run) => void, string][] = [
    ["sgd(1e30)", (r) => (r.grads.w.fill(0), (r.grads.w[5] = 1e10)), "R207"],
    ["adam(1e-3)", (r) => (r.grads.w.fill(1), (r.grads.w[9] = 1e21)), "R207"],
    ["lamb(1e-3)", (r) => (r.grads.w.fill(1), (r.params.w[1] = Number.NaN)), "R206"],
    ["sgd(0.1)", (r) => (r.grads.w.fill(1), (r.params.w[10] = Infinity)), "R206"],
    ["adam(1e-3)", (r) => (r.grads.w.fill(1), (r.grads.w[10] = Number.NaN)), "R201"],
    ["chain(clip_by_global_norm(1.0), sgd(0.1))", (r) => (r.grads.w.fill(1), (r.grads.w[3] = -Infinity)), "R201"],
    ["chain(clip_by_global_norm(1.0), sgd(3e38))", (r) => ((r.params.w[0] = -3e38), r.grads.w.fill(1), (r.grads.w[0] = 1e30)), "R207"],
    ["sam(adam(0.01), chain(normalize(), sgd(0.05)), sync=2)", (r) => (r.grads.w.fill(1), (r.grads.w[2] = Number.NaN)), "R201"],
  ];
  for (const [config, prepare, code] of cases) {
    it(`${config}: ${code}`, async () => {
      // 11 elements: two vector iterations and a tail of three.
      const run = compile(config, { target: "wasm" }).initSync(w(11));
      run.grads.w.fill(0.1);
      await run.step();
      prepare(run);
      const before = fingerprint(run);
      expect(await codeOf(() => run.step())).toBe(code);
      expect(fingerprint(run)).toBe(before);
      // The run is still usable, and agrees with the JS target afterwards.
      run.params.w.set(w(11).w.data);
      const js = compile(config, { target: "js" }).initSync(w(11));
      js.loadState(run.saveState());
      for (const r of [run, js]) {
        r.grads.w.fill(0.25);
        await r.step();
      }
      expect(Array.from(run.params.w)).toEqual(Array.from(js.params.w));
    });
  }
  it("validate: false lets the overflow through, as on the JS target", async () => {
    const run = compile("sgd(1e30)", { target: "wasm" }).initSync(w(3), { validate: false });
    run.grads.w.set([1e10, 0, 0]);
    await run.step();
    expect(run.params.w[0]).toBe(-Infinity);
  });
});

describe("snapshots move between the JS and wasm targets", () => {
  for (const config of [CATALOG_CONFIGS.chain, CATALOG_CONFIGS.sam, EXTRA.sam_opaque]) {
    it(config, async () => {
      const gradFn = (p: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => wavyGrad(p, out);
      const js = makeRun(config, bigModel(), "js");
      const wasm = makeRun(config, bigModel(), "wasm");
      for (const r of [js, wasm]) for (let s = 0; s < 3; s++) (wavyGrad(r.params, r.grads), await r.step({ gradFn }));
      expect(JSON.stringify(wasm.saveState())).toBe(JSON.stringify(js.saveState()));
      // Cross-load (binary one way, JSON the other) and go on: still equal.
      const js2 = makeRun(config, bigModel(), "js");
      const wasm2 = makeRun(config, bigModel(), "wasm");
      js2.loadState(wasm.saveStateBinary());
      wasm2.loadState(JSON.parse(JSON.stringify(js.saveState())));
      for (const r of [js2, wasm2]) for (let s = 0; s < 3; s++) (wavyGrad(r.params, r.grads), await r.step({ gradFn }));
      expect(JSON.stringify(wasm2.saveState())).toBe(JSON.stringify(js2.saveState()));
    });
  }
});

describe("one WebAssembly.Memory, sized once", () => {
  it("params and grads are zero-copy Float32Array views into it; steps and reset() never grow it", async () => {
    const opt = compile("chain(clip_by_global_norm(1.0), adamw(1e-3))", { target: "wasm" });
    const run = opt.initSync({ a: { shape: [3, 5] }, b: { shape: [1001] } });
    const buffer = run.params.a.buffer;
    expect(Object.prototype.toString.call(buffer)).toBe("[object ArrayBuffer]");
    expect(run.grads.b.buffer).toBe(buffer);
    // Every tensor of every arena starts on a 4-byte boundary, each arena on a 16-byte one.
    expect(run.params.a.byteOffset % 16).toBe(0);
    const length = buffer.byteLength;
    for (let s = 0; s < 5; s++) {
      quadGrad(run.params, run.grads);
      await run.step();
    }
    run.reset();
    run.loadState(run.saveState());
    expect(buffer.byteLength).toBe(length);
    expect(run.params.a.buffer).toBe(buffer);
  });
  it("empty tensors (and a model of nothing but one) step like the interpreter's", () => {
    for (const config of ["chain(clip_by_global_norm(1.0), adam(1e-3))", "lamb(1e-2)"]) {
      const params = () => ({ e: { shape: [0] }, b: [1, 2, 3], z: { shape: [2, 0] } });
      const wasm = compile(config, { target: "wasm" }).initSync(params());
      const ref = compileReference(config).initSync(params());
      for (const r of [wasm, ref]) (r.grads.b.set([0.5, -1, 2]), r.stepSync());
      expect(Array.from(wasm.params.b)).toEqual(Array.from(ref.params.b));
      const empty = compile(config, { target: "wasm" }).initSync({ e: { shape: [0] } });
      empty.stepSync();
      expect(empty.params.e.length).toBe(0);
    }
  });
  it("params written through the views are what the next step reads", async () => {
    const run = compile("sgd(0.5)", { target: "wasm" }).initSync({ w: [1, 2, 3, 4, 5] });
    run.params.w.set([10, 20, 30, 40, 50]);
    run.grads.w.fill(2);
    run.stepSync();
    expect(Array.from(run.params.w)).toEqual([9, 19, 29, 39, 49]);
  });
  it("a model past 4 GiB of wasm memory is R111 before anything is allocated", async () => {
    expect(await codeOf(() => compile("adam(0.1)", { target: "wasm" }).initSync({ w: { shape: [2 ** 28] } }))).toBe("R111");
  });
});

describe("the wasm artifact", () => {
  it("carries one module per kernel (base64) and no JS; loadWasm() runs it from the artifact alone", async () => {
    const opt = compile("adam(0.01)", { target: "wasm" });
    const kernels = Object.values(opt.artifact.phases).flatMap((p) => p.passes.flatMap((pass) => pass.kernels));
    expect(kernels.length).toBeGreaterThan(0);
    for (const k of kernels) {
      expect(k.code.js).toBeUndefined();
      expect(WebAssembly.validate(fromBase64(k.code.wasm!)!)).toBe(true);
    }
    const copy = JSON.parse(JSON.stringify(opt.artifact));
    const a = loadWasm(copy).initSync({ w: [1, 2, 3] });
    const b = compileReference("adam(0.01)").initSync({ w: [1, 2, 3] });
    for (const r of [a, b]) (r.grads.w.set([0.5, -1, 2]), r.stepSync());
    expect(Array.from(a.params.w)).toEqual(Array.from(b.params.w));
  });
  it("base64 round-trips every byte value and length", () => {
    for (let n = 0; n < 7; n++) {
      const bytes = Uint8Array.from({ length: 256 + n }, (_, i) => (i * 37 + n) & 255);
      expect(Array.from(fromBase64(toBase64(bytes))!)).toEqual(Array.from(bytes));
    }
    expect(fromBase64("not base64!")).toBeUndefined();
  });
  it("a damaged module is R110 (no code) or R117 (rejected), never a raw WebAssembly error", async () => {
    const art = JSON.parse(JSON.stringify(compile("sgd(0.1)", { target: "wasm" }).artifact));
    const k = Object.values(art.phases as Record<string, { passes: { kernels: { code: { wasm?: string } }[] }[] }>)[0].passes[0].kernels[0];
    k.code.wasm = toBase64(Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 99]));
    expect(await codeOf(() => loadWasm(art).initSync({ w: [1] }))).toBe("R117");
    delete k.code.wasm;
    expect(await codeOf(() => loadWasm(art).initSync({ w: [1] }))).toBe("R110");
    expect(await codeOf(() => loadWasm(compile("sgd(0.1)", { target: "js" }).artifact))).toBe("R110");
  });
});

describe("the plumbing: build-time modules, trajectories, golden files, explain", () => {
  const ROOT = new URL("../../", import.meta.url).pathname;
  const GEN = join(ROOT, "test/.generated");
  mkdirSync(GEN, { recursive: true });
  type Factory = (params: Record<string, TensorInit>, options?: InitOptions) => Promise<Run>;

  it("optc compile --target wasm: a module embedding the bytes, bit-identical to compile(), bundling without eval or fetch", async () => {
    const config = CATALOG_CONFIGS.chain;
    const r = compileToModule(config, { target: "wasm", runtimeImport: join(ROOT, "runtime/index.ts"), name: "create" });
    expect(r.code).toContain("return loadWasm(artifact).init(params, options);");
    const file = join(GEN, "wasm_module.ts");
    writeFileSync(file, r.code!);
    const create = (await import(/* @vite-ignore */ file)).default as Factory;
    const params = Object.fromEntries(Object.entries(bigModel()).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));
    const generated = await trajectory(await create(params), 5, wavyGrad);
    const runtime = await trajectory(makeRun(config, bigModel(), "wasm"), 5, wavyGrad);
    expect(bits(generated)).toBe(bits(runtime));
    const out = await esbuild({ entryPoints: [file], bundle: true, write: false, format: "esm", minify: true, platform: "browser" });
    const js = out.outputFiles[0].text;
    expect(js).not.toMatch(/chevrotain|new Function|\beval\(|ts-morph|fetch\(/);
  });

  it("optc trace --backend wasm and optc golden: the wasm trajectory is the interpreter's, bit for bit (tolerance 0)", async () => {
    expect(TOLERANCE_ULPS.wasm).toBe(0);
    const golden = await recordGolden("sam(adam(0.05), chain(normalize(), sgd(0.1)), sync=2)", { backends: ["js", "wasm"], problem: "rosenbrock", steps: 12 });
    const report = await checkGolden(golden);
    const wasm = report.results.find((b) => b.backend === "wasm")!;
    expect(report.ok).toBe(true);
    expect(wasm.ok).toBe(true);
    expect(wasm.steps.every((s) => !s.differs)).toBe(true);
  });

  it("the checked-in golden files of the spec's SAM rows (both modes, k = 3 with adam) hold on wasm, bit for bit", async () => {
    const dir = join(ROOT, "test/golden/trajectories");
    for (const file of ["sam_paper.golden.json", "sam_paper_opaque.golden.json", "sam_adam_k3.golden.json"]) {
      const report = await checkGolden(readGoldenFile(join(dir, file)), { backends: ["wasm"] });
      expect(report.ok).toBe(true);
      expect(report.results[0].steps.length).toBeGreaterThan(0);
      expect(report.results[0].steps.every((s) => !s.differs)).toBe(true);
    }
  });

  it("optc explain --target wasm shows each module and its bytes per parameter", () => {
    const c = compileSource("chain(clip_by_global_norm(1.0), adam(1e-3))", { target: "wasm" });
    const text = describeCode(c.rendered!).join("\n");
    expect(text).toMatch(/kernel step\.pass1: a \d+-byte WebAssembly module/);
    expect(text).toContain("v29 = sqrt v28");
    expect(c.plans!.flatMap(describePlan).join("\n")).toContain("B/param");
  });
});

describe("the Vite plugin", () => {
  it("`import create from './train.opt?target=wasm'` bundles the bytes (no eval, no fetch), and the bundle runs", async () => {
    const ROOT = new URL("../../", import.meta.url).pathname;
    const dir = join(ROOT, "test/.generated/vite-wasm");
    mkdirSync(dir, { recursive: true });
    const config = "chain(clip_by_global_norm(1.0), adamw(0.01))";
    writeFileSync(join(dir, "train.opt"), `${config}\n`);
    writeFileSync(join(dir, "main.js"), 'export { default } from "./train.opt?target=wasm";\n');
    const out = await viteBuild({ root: dir, logLevel: "silent", plugins: [optc({ runtimeImport: join(ROOT, "runtime/index.ts") })], build: { write: false, minify: true, lib: { entry: join(dir, "main.js"), formats: ["es"], fileName: "opt" } } });
    const js = (Array.isArray(out) ? out[0] : (out as { output: { code?: string }[] })).output.map((o: { code?: string }) => o.code ?? "").join("\n");
    expect(js).not.toMatch(/chevrotain|new Function|\beval\(|fetch\(/);
    // Every module's bytes start with \0asm: "AGFzbQ" in base64.
    expect(js).toContain('"AGFzbQ');
    const file = join(dir, "bundle.mjs");
    writeFileSync(file, js);
    const create = (await import(/* @vite-ignore */ file)).default as (p: Record<string, TensorInit>) => Promise<Run>;
    const run = await create({ w: { shape: [9], data: Float32Array.from({ length: 9 }, (_, i) => i / 3 - 1) } });
    const ref = makeRun(config, { w: Array.from({ length: 9 }, (_, i) => i / 3 - 1) }, "interp");
    for (const r of [run, ref]) for (let s = 0; s < 3; s++) (quadGrad(r.params, r.grads), r.stepSync());
    expect(Array.from(run.params.w)).toEqual(Array.from(ref.params.w));
  });
});

describe('precision: "f32" (f32x4 lanes): within 4 float32 ulps of max(1, |value|) per step of the interpreter', () => {
  const ULP = 2 ** -23;
  const BOUND_PER_STEP = 4;
  const worstUlps: Record<string, number> = {};
  for (const [name, config] of Object.entries({ ...CATALOG_CONFIGS, ...EXTRA })) {
    it(`${name}: ${config}`, async () => {
      const params = Object.fromEntries(Object.entries(bigModel()).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));
      const fast = await trajectory(compile(config, { target: "wasm" }).initSync(params, { precision: "f32" }), 7, wavyGrad);
      const ref = await trajectory(makeRun(config, bigModel(), "interp"), 7, wavyGrad);
      let worst = 0;
      fast.forEach((row, step) => {
        for (const [k, v] of Object.entries(row)) {
          v.forEach((x, i) => {
            const e = ref[step][k][i];
            const ulps = Math.abs(x - e) / (Math.max(1, Math.abs(e)) * ULP);
            expect(ulps).toBeLessThanOrEqual(BOUND_PER_STEP * (step + 1));
            worst = Math.max(worst, ulps / (step + 1));
          });
        }
      });
      worstUlps[name] = worst;
    });
  }
  it("is really another computation (some entry differs from the interpreter), and validate: false and refusals work there too", async () => {
    expect(Object.values(worstUlps).some((u) => u > 0)).toBe(true);
    const run = compile("adam(1e-3)", { target: "wasm" }).initSync({ w: [0.5, -1, 2, 3, 4] }, { precision: "f32" });
    run.grads.w.set([1, Number.NaN, 1, 1, 1]);
    const before = fingerprintOf(run);
    expect(await codeOf(() => run.step())).toBe("R201");
    expect(fingerprintOf(run)).toBe(before);
  });
  it('precision is checked: anything but "f64" or "f32", or precision on a JS run, is R118', async () => {
    expect(await codeOf(() => compile("sgd(0.1)", { target: "wasm" }).initSync({ w: [1] }, { precision: "f16" as "f32" }))).toBe("R118");
    expect(await codeOf(() => compile("sgd(0.1)", { target: "js" }).initSync({ w: [1] }, { precision: "f32" }))).toBe("R118");
  });
});

describe("threads: init(params, { threads }) over worker_threads sharing the memory", () => {
  // 2^18 elements per thread at least (MIN_ELEMENTS_PER_THREAD): three tensors, 800,003 elements.
  const params = () => ({
    a: { shape: [500_000], data: Float32Array.from({ length: 500_000 }, (_, i) => Math.sin(i * 0.1)) },
    b: { shape: [300_000], data: Float32Array.from({ length: 300_000 }, (_, i) => Math.cos(i * 0.3)) },
    c: [1, -2, 3],
  });
  const grad = (p: Record<string, Float32Array>, out: Record<string, Float32Array>) => {
    for (const [k, x] of Object.entries(p)) for (let i = 0; i < x.length; i++) out[k][i] = Math.sin(3 * x[i] + i);
  };
  const configs = [CATALOG_CONFIGS.chain, CATALOG_CONFIGS.lamb, CATALOG_CONFIGS.sam, EXTRA.sam_opaque, CATALOG_CONFIGS.adamw];
  for (const config of configs) {
    it(`results are the same for 1, 2 and 3 threads (bit for bit): ${config}`, async () => {
      const runs = await Promise.all([1, 2, 3].map((threads) => compile(config, { target: "wasm" }).init(params(), { threads })));
      expect(runs.map((r) => r.threads)).toEqual([1, 2, 3]);
      const gradFn = (p: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => grad(p, out);
      for (let s = 0; s < 3; s++) for (const r of runs) (grad(r.params, r.grads), await r.step({ gradFn }));
      const [one, ...more] = runs.map((r) => JSON.stringify(r.saveState()));
      for (const m of more) expect(m === one).toBe(true);
    }, 60_000);
  }
  it("f32 lanes on threads agree with f32 on one thread; a refused step on threads changes nothing", async () => {
    const one = await compile("adam(1e-3)", { target: "wasm" }).init(params(), { precision: "f32" });
    const two = await compile("adam(1e-3)", { target: "wasm" }).init(params(), { precision: "f32", threads: 2 });
    for (const r of [one, two]) (grad(r.params, r.grads), r.stepSync());
    expect(JSON.stringify(two.saveState()) === JSON.stringify(one.saveState())).toBe(true);
    two.grads.b[299_999] = Number.NaN;
    const before = JSON.stringify(two.saveState());
    expect(await codeOf(() => two.step())).toBe("R201");
    expect(JSON.stringify(two.saveState()) === before).toBe(true);
  }, 60_000);
  it("close() stops the workers: a later step is R101 with params and state unchanged; twice, one thread or JS is harmless", async () => {
    const config = "chain(clip_by_global_norm(1.0), adam(1e-3))";
    const one = await compile(config, { target: "wasm" }).init(params());
    const two = await compile(config, { target: "wasm" }).init(params(), { threads: 2 });
    for (const r of [one, two]) (grad(r.params, r.grads), r.stepSync());
    await two.close();
    await two.close();
    // A closed run still reads: the step before close ran on the workers and matches one thread.
    expect(JSON.stringify(two.saveState()) === JSON.stringify(one.saveState())).toBe(true);
    const before = JSON.stringify(two.saveState());
    grad(two.params, two.grads);
    expect(await codeOf(() => two.step())).toBe("R101");
    expect(await codeOf(() => two.stepSync())).toBe("R101");
    expect(JSON.stringify(two.saveState()) === before).toBe(true);
    for (const r of [one, compile("sgd(0.1)", { target: "js" }).initSync({ w: [1] })]) {
      await r.close();
      await r.close();
      expect(await codeOf(() => r.step())).toBe("R101");
    }
  }, 60_000);
  it("threads are checked (R118): not a whole number from 1 to 64, initSync, or a JS run", async () => {
    const opt = compile("sgd(0.1)", { target: "wasm" });
    for (const threads of [0, 1.5, 65, Number.NaN]) expect(await codeOf(() => opt.init({ w: [1] }, { threads }))).toBe("R118");
    expect(await codeOf(() => opt.initSync({ w: [1] }, { threads: 2 }))).toBe("R118");
    expect(await codeOf(() => compile("sgd(0.1)", { target: "js" }).init({ w: [1] }, { threads: 2 }))).toBe("R118");
  });
  it("without SharedArrayBuffer: one thread, and a message that says why", async () => {
    const saved = globalThis.SharedArrayBuffer;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer = undefined;
      const run = await compile("sgd(0.1)", { target: "wasm" }).init({ w: [1, 2] }, { threads: 4 });
      expect(run.threads).toBe(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining("runs on one thread here: SharedArrayBuffer is not available"));
      run.grads.w.set([1, 1]);
      run.stepSync();
      expect(Array.from(run.params.w)).toEqual([Math.fround(0.9), Math.fround(1.9)]);
    } finally {
      globalThis.SharedArrayBuffer = saved;
      warn.mockRestore();
    }
  });
});
