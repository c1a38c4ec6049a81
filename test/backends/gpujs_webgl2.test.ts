/**
 * The gpu.js target, executed for real in WebGL2: headless Chromium (SwiftShader through ANGLE),
 * gpu.js's browser bundle, optc's gpu.js runtime bundled into the page. Every test asserts the
 * kernels ran as WebGL2Kernel (no silent CPU fallback).
 *
 * Tolerance: as for WebGPU, 4 float32 ulps per step relative to max(1, |reference|),
 * accumulated over the steps taken. The GPU computes in float32 with float32 uniforms; the
 * reference interpreter keeps float64 between stores; reductions are chunk sums in float32,
 * folded per tensor on the device (compensated). The catalog's worst case measured (10 queued
 * steps, test/backends/gpujs_queue.test.ts) is under 1 ulp per step.
 *
 * A refusal the device decides (R201, R207, ...) is reported by the sync() after the step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../index.js";
import { CATALOG_CONFIGS, wavyGrad } from "../helpers/catalog.js";
import { browserUnavailable } from "../helpers/browser.js";
import { openGpuJsPage, type GpuJsPage } from "../helpers/gpujs_page.js";
import { bigModel, makeRun, trajectory } from "../helpers/run.js";
import { SAM_PHASES_A, SAM_ROWS_A } from "../helpers/spec_rows.js";
import type { StateSnapshot } from "../../runtime/state.js";

const PER_STEP = 4 * 2 ** -23;
const unavailable = browserUnavailable();
if (unavailable) {
  console.warn(`gpu.js WebGL2 tests skipped: ${unavailable}`);
  if (process.env.CI === "true") throw new Error(`CI=true but the WebGL2 tests cannot run: ${unavailable}`);
}

let page: GpuJsPage | undefined;
beforeAll(async () => {
  if (!unavailable) page = await openGpuJsPage();
}, 120_000);
afterAll(async () => page?.close());

function expectWithinUlps(gpu: Record<string, number[]>[], ref: Record<string, number[]>[], stepsPerRow = 1): void {
  expect(gpu.length).toBe(ref.length);
  gpu.forEach((step, s) => {
    for (const [k, v] of Object.entries(step)) {
      v.forEach((x, i) => {
        const r = ref[s][k][i];
        const tol = PER_STEP * stepsPerRow * (s + 1) * Math.max(1, Math.abs(r));
        if (!(Math.abs(x - r) <= tol)) throw new Error(`step ${s + 1}, ${k}[${i}]: WebGL2 ${x} vs reference ${r} (tolerance ${tol})`);
      });
    }
  });
}

const gpujs = (config: string) => compile(config, { target: "gpujs" }).artifact;

describe.skipIf(unavailable !== undefined)("gpu.js kernels in WebGL2 match the reference interpreter", () => {
  for (const [name, config] of Object.entries(CATALOG_CONFIGS)) {
    it(`${name}: ${config} (8×8 pages: several rows and textures)`, async () => {
      const r = await page!.trajectory({ artifact: gpujs(config), model: bigModel(), steps: 6, grad: "wavy", maxTextureSize: 8 });
      expect(r.kernelType).toBe("WebGL2Kernel");
      expectWithinUlps(r.params, await trajectory(makeRun(config, bigModel(), "interp"), 6, wavyGrad));
    });
  }

  it("without a GPU instance, optc creates one (mode \"gpu\") and it runs WebGL2", async () => {
    const r = await page!.trajectory({ artifact: gpujs(CATALOG_CONFIGS.adam), model: bigModel(), steps: 3, grad: "wavy", ownGpu: true });
    expect(r.kernelType).toBe("WebGL2Kernel");
    expectWithinUlps(r.params, await trajectory(makeRun(CATALOG_CONFIGS.adam, bigModel(), "interp"), 3, wavyGrad));
  });

  it("setHyperparam mid-run: the learning rate set before step 4 matches the JS target's run with the same change; the snapshot carries it", async () => {
    const config = "inject_hyperparams(chain(clip_by_global_norm(1.0), adamw(0.01, weight_decay=0.1)))";
    const change = { step: 3, path: "1.learning_rate", value: 0.003 };
    const r = await page!.trajectory({ artifact: gpujs(config), model: bigModel(), steps: 6, grad: "wavy", maxTextureSize: 8, setHyperparam: change });
    expect(r.kernelType).toBe("WebGL2Kernel");
    expect(r.errors).toEqual(["", "", "", "", "", ""]);
    const js = makeRun(config, bigModel(), "js");
    const ref: Record<string, number[]>[] = [];
    for (let s = 0; s < 6; s++) {
      if (s === change.step) js.setHyperparam(change.path, change.value);
      ref.push(...(await trajectory(js, 1, wavyGrad)));
    }
    expectWithinUlps(r.params, ref);
    // Not vacuous: without the change the last step is far outside the tolerance.
    const unchanged = await trajectory(makeRun(config, bigModel(), "js"), 6, wavyGrad);
    expect(Math.abs(r.params[5]["a.weight"][0] - unchanged[5]["a.weight"][0])).toBeGreaterThan(1e-4);
    expect(r.hyperparams[change.path]).toBe(change.value);
    const snapshot = JSON.parse(r.snapshot) as StateSnapshot;
    expect(snapshot.hyperparams?.[change.path]).toBe(change.value);
    // The JS run loads the WebGL2 run's snapshot with its value, and steps on from it as the JS run does.
    const resumed = makeRun(config, bigModel(), "js");
    resumed.loadState(snapshot);
    expect(resumed.hyperparams).toEqual(js.hyperparams);
    expectWithinUlps([...r.params, ...(await trajectory(resumed, 1, wavyGrad))], [...ref, ...(await trajectory(js, 1, wavyGrad))]);
  });

  it("a pass with 6 outputs (more than WebGL2's 4 draw buffers) becomes two kernels and still matches", async () => {
    const config = "chain(scale_by_rms(), scale_by_adam(), trace(0.9), ema(0.9), scale(-0.01))";
    const artifact = gpujs(config);
    expect(artifact.phases.step.passes.flatMap((p) => p.kernels.filter((k) => k.code.gpujs!.kind === "store").map((k) => k.code.gpujs!.outputs.length))).toEqual([4, 2]);
    const r = await page!.trajectory({ artifact, model: bigModel(), steps: 5, grad: "wavy", maxTextureSize: 8 });
    expect(r.kernelType).toBe("WebGL2Kernel");
    expectWithinUlps(r.params, await trajectory(makeRun(config, bigModel(), "interp"), 5, wavyGrad));
  });

  it("one texture of the default size, with and without optimizeFloatMemory, on a 20,000-element model", async () => {
    const gen = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(1 + i * 0.37 + k));
    const model = { "enc.weight": gen(12_000, 0), "enc.bias": gen(300, 1), "head.weight": gen(7_699, 2), scale: gen(1, 3) };
    for (const config of [CATALOG_CONFIGS.chain, CATALOG_CONFIGS.lamb]) {
      const ref = await trajectory(makeRun(config, model, "interp"), 3, wavyGrad);
      for (const optimizeFloatMemory of [true, false]) {
        const r = await page!.trajectory({ artifact: gpujs(config), model, steps: 3, grad: "wavy", optimizeFloatMemory });
        expect(r.kernelType).toBe("WebGL2Kernel");
        expectWithinUlps(r.params, ref);
      }
    }
  });
});

describe.skipIf(unavailable !== undefined)("WebGL 1 (gpu.js's webgl mode) for browsers without WebGL2", () => {
  const configs = ["adam", "lamb", "chain", "masked", "sam", "apply_if_finite", "skip_not_finite"].map((n) => CATALOG_CONFIGS[n]);
  for (const config of [...configs, "chain(scale_by_rms(), scale_by_adam(), trace(0.9), ema(0.9), scale(-0.01))"]) {
    it(`${config} runs as WebGLKernel and matches the interpreter`, async () => {
      const r = await page!.trajectory({ artifact: gpujs(config), model: bigModel(), steps: 4, grad: "wavy", maxTextureSize: 8, mode: "webgl" });
      expect(r.kernelType).toBe("WebGLKernel");
      expectWithinUlps(r.params, await trajectory(makeRun(config, bigModel(), "interp"), 4, wavyGrad));
    });
  }
});

describe.skipIf(unavailable !== undefined)("a model larger than one texture, default page size", () => {
  it("16,778,216 elements span two 4096 × 4096 pages; two sgd steps equal float32 arithmetic in plain JS", async () => {
    const r = await page!.beyondOneTexture(gpujs("sgd(0.1)"), 0.1);
    expect(r).toMatchObject({ kernelType: "WebGL2Kernel", pages: 2, n: 4096 * 4096 + 1000 });
    // sgd is one multiply-add per step: float32 on both sides, at most an ulp apart (|values| < 3).
    expect(r.maxDiff).toBeLessThanOrEqual(2 * 2 ** -22);
  }, 120_000);
});

describe.skipIf(unavailable !== undefined)("SAM in WebGL2", () => {
  const W0 = { w: [-1, 10, 1] };
  const TARGET = { w: [1, -1, 1] };
  it("transparent mode gives the spec's §9.8(a) rows and phases", async () => {
    const r = await page!.trajectory({ artifact: gpujs("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2)"), model: W0, steps: 6, grad: TARGET });
    expect(r.kernelType).toBe("WebGL2Kernel");
    expect(r.phases).toEqual(SAM_PHASES_A);
    expectWithinUlps(r.params, SAM_ROWS_A.map((w) => ({ w })));
    expect(r.trueParams.w).toEqual(r.params[5].w);
  });
  it("opaque mode gives rows 2, 4 and 6 (one step is a whole cycle)", async () => {
    const r = await page!.trajectory({ artifact: gpujs("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2, opaque_mode=true)"), model: W0, steps: 3, grad: TARGET });
    expect(r.phases).toEqual(["opaque_cycle", "opaque_cycle", "opaque_cycle"]);
    expectWithinUlps(r.params, [1, 3, 5].map((i) => ({ w: SAM_ROWS_A[i] })), 2);
  });
  it("sync=3 with adam on a multi-tensor model: opaque steps equal every third transparent step, and both match the interpreter", async () => {
    const k3 = "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=3";
    const t = await page!.trajectory({ artifact: gpujs(`${k3})`), model: bigModel(), steps: 6, grad: "wavy", maxTextureSize: 8 });
    const o = await page!.trajectory({ artifact: gpujs(`${k3}, opaque_mode=true)`), model: bigModel(), steps: 2, grad: "wavy", maxTextureSize: 8 });
    expectWithinUlps(t.params, await trajectory(makeRun(`${k3})`, bigModel(), "interp"), 6, wavyGrad));
    expectWithinUlps(o.params, [t.params[2], t.params[5]], 3);
  });
});

describe.skipIf(unavailable !== undefined)("non-finite gradients in WebGL2", () => {
  it("the default check refuses a NaN step (R201) and leaves params and state as they were", async () => {
    const r = await page!.trajectory({ artifact: gpujs("adam(0.01)"), model: bigModel(), steps: 4, grad: "wavy", maxTextureSize: 8, poison: { step: 2, value: NaN } });
    expect(r.errors).toEqual(["", "", "R201", ""]);
    expect(r.params[2]).toEqual(r.params[1]);
    const ref = makeRun("adam(0.01)", bigModel(), "interp");
    const steps: Record<string, number[]>[] = [];
    for (let s = 0; s < 4; s++) {
      if (s !== 2) {
        wavyGrad(ref.params, ref.grads);
        await ref.step();
      }
      steps.push(Object.fromEntries(Object.entries(ref.params).map(([k, v]) => [k, Array.from(v)])));
    }
    expectWithinUlps(r.params, steps);
  });
  const cases = [NaN, Infinity, -Infinity].flatMap((value) => [CATALOG_CONFIGS.apply_if_finite, CATALOG_CONFIGS.skip_not_finite].map((config) => [config, value] as const));
  for (const [config, value] of cases) {
    it(`${config} skips a step whose gradient holds ${value}, tested in the shader, as the interpreter does`, async () => {
      const r = await page!.trajectory({ artifact: gpujs(config), model: bigModel(), steps: 4, grad: "wavy", maxTextureSize: 8, poison: { step: 1, value } });
      expect(r.errors).toEqual(["", "", "", ""]);
      if (config === CATALOG_CONFIGS.apply_if_finite) expect(r.params[1]).toEqual(r.params[0]);
      const ref = makeRun(config, bigModel(), "interp");
      const steps: Record<string, number[]>[] = [];
      for (let s = 0; s < 4; s++) {
        wavyGrad(ref.params, ref.grads);
        if (s === 1) Object.values(ref.grads)[0][0] = value;
        await ref.step();
        steps.push(Object.fromEntries(Object.entries(ref.params).map(([k, v]) => [k, Array.from(v)])));
      }
      expectWithinUlps(r.params, steps);
    });
  }
});
