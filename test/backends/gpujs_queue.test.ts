/**
 * The gpu.js runtime's queue in WebGL2 (issue 15): step() queues a step's kernels, folds and
 * device programs and never reads the GPU back; reductions, clip scales, trust ratios and every
 * guard are decided on the device (the state texture), and sync() reports a refusal
 * ("step k: ...") with params, state and counters exactly as before step k.
 *
 * Round trips are counted in the page (test/backends/pages/gpujs_golden.ts) by wrapping the
 * WebGL contexts' readPixels and getBufferSubData: every texture read back, toArray and
 * non-pipelined kernel output goes through them.
 *
 * Tolerance against the reference interpreter: 4 float32 ulps per step relative to
 * max(1, |x|), as in gpujs_webgl2.test.ts. Between two gpu.js runs of the same steps
 * (atomicity), bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../index.js";
import { CATALOG_CONFIGS, plateauLoss } from "../helpers/catalog.js";
import { browserUnavailable } from "../helpers/browser.js";
import { openGpuJsPage, type GpuJsPage } from "../helpers/gpujs_page.js";
import { bigModel, expectCountersMatch, makeRun } from "../helpers/run.js";
import type { QueueCase, QueueResult } from "./pages/gpujs_golden.js";
import { cpuGrad, gradAt, poisoned, type Poison } from "./pages/gpujs_grads.js";

const PER_STEP = 4 * 2 ** -23;
const STEPS = 10;
const unavailable = browserUnavailable();
if (unavailable) {
  console.warn(`gpu.js queue tests skipped: ${unavailable}`);
  if (process.env.CI === "true") throw new Error(`CI=true but the WebGL2 tests cannot run: ${unavailable}`);
}

let page: GpuJsPage | undefined;
beforeAll(async () => {
  if (!unavailable) page = await openGpuJsPage();
}, 120_000);
afterAll(async () => page?.close());

const gpujs = (config: string) => compile(config, { target: "gpujs" }).artifact;
const queued = (c: Omit<QueueCase, "model" | "artifact"> & { config: string }) => page!.queued({ ...c, artifact: gpujs(c.config), model: bigModel(), maxTextureSize: c.maxTextureSize ?? 8 });

/** The interpreter's run of the same steps (the same gradients; opaque SAM's gradFn on the CPU). */
async function reference(config: string, steps: number, opaque = false) {
  const run = makeRun(config, bigModel(), "interp");
  for (let s = 1; s <= steps; s++) await run.step(opaque ? { grads: gradAt(bigModel(), s), gradFn: cpuGrad, loss: plateauLoss(s) } : { grads: gradAt(bigModel(), s), loss: plateauLoss(s) });
  return run;
}

function expectWithinUlps(got: Record<string, number[]>, ref: Record<string, Float32Array>, steps: number, what: string): { worst: number } {
  let worst = 0;
  for (const [k, r] of Object.entries(ref)) {
    const v = got[k];
    expect(v.length, `${what}: ${k}`).toBe(r.length);
    r.forEach((x, i) => {
      const scale = Math.max(1, Math.abs(x));
      const tol = PER_STEP * steps * scale;
      worst = Math.max(worst, Math.abs(v[i] - x) / scale / 2 ** -23 / steps);
      if (!(Math.abs(v[i] - x) <= tol)) throw new Error(`${what}, ${k}[${i}]: WebGL2 ${v[i]} vs interpreter ${x} (tolerance ${tol})`);
    });
  }
  return { worst };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(`gpu.js kernel calls per step (8×8 pages: 5 textures), worst error in ulps per step:\n${report.join("\n")}`);
});

// ------------------------------------------------------------------ (a) no read back while steps are issued

/**
 * One config per device-plan shape. Whether a step reads anything back, and which counters the
 * device decides, follows from the plan's shape alone (passes, kernels and their outputs, device
 * programs' ops, guards and counter stores; not the constants or the element math, whose numbers
 * test/backends/gpujs_webgl2.test.ts checks for every catalog config). So configs that share a
 * shape share this test's answer, and the first of each runs here (Chromium time: the catalog
 * has about 100 configs).
 */
function oneOfEachShape(configs: [string, string][]): [string, string][] {
  const seen = new Set<string>();
  return configs.filter(([, config]) => {
    const a = compile(config, { target: "gpujs" }).artifact;
    const shape = JSON.stringify([
      a.protocol.step.kind,
      a.device?.counters.length,
      Object.values(a.phases).map((p) => [
        p.passes.map((pass) => pass.kernels.map((k) => [k.code.gpujs?.kind, k.kernel.stores.length, k.kernel.reductions.map((r) => r.scope)])),
        p.device?.programs.map(({ program }) => [program.level, program.ops.map((o) => o.op), program.guards.length, program.counterStores.length]),
      ]),
    ]);
    if (seen.has(shape)) return false;
    seen.add(shape);
    return true;
  });
}

const PLAIN: [string, string][] = oneOfEachShape([...Object.entries(CATALOG_CONFIGS), ["clip+adamw", "chain(clip_by_global_norm(1.0), adamw(1e-3))"], ["sam transparent sgd/sgd", "sam(sgd(0.1), sgd(0.05), sync=3)"]]);

describe.skipIf(unavailable !== undefined)("10 queued steps in WebGL2 (one config per device-plan shape): no readPixels, the interpreter's numbers at sync", () => {
  for (const [name, config] of PLAIN) {
    it(`${name}: ${config}`, async () => {
      const r = await queued({ config, steps: STEPS });
      expect(r.kernelType).toBe("WebGL2Kernel");
      expect(r.pages).toBe(5);
      expect(r.reads, `${name}: read backs per step while 10 steps were issued`).toEqual(Array(STEPS).fill(0));
      // Every step frees the textures it replaced: once each phase has run (and gpu.js built its kernels), the count stays.
      expect(r.liveTextures.at(-1), `${name}: live textures after each step ${r.liveTextures.join(", ")}`).toBe(r.liveTextures[5]);
      expect(r.error, `${name}: ${r.error?.message}`).toBeUndefined();
      expect(r.steps).toBe(STEPS);
      // sync() reads the state texture once.
      expect(r.syncReads).toBe(1);
      const ref = await reference(config, STEPS);
      expect(r.count).toBe(ref.count);
      expect(r.outerCount).toBe(ref.outerCount);
      expectCountersMatch(ref.artifact, r.counters, ref.counterValues, STEPS);
      const { worst } = expectWithinUlps(r.params, ref.params, STEPS, name);
      report.push(`  ${name}: ${(sum(r.kernelCalls.slice(1)) / (STEPS - 1)).toFixed(1)} kernel calls, ${worst.toFixed(2)} ulps`);
    });
  }

  const OPAQUE = ["sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=3, opaque_mode=true)", "sam(adam(0.05), chain(normalize(), adam(0.01)), sync=2, opaque_mode=true)"];
  for (const config of OPAQUE) {
    it(`opaque SAM with a CPU gradFn reads back exactly the perturbed params it is given, nothing more: ${config}`, async () => {
      const r = await queued({ config, steps: STEPS, opaque: true });
      expect(r.evaluations).toBeGreaterThan(0);
      // One read per page of the perturbed params, per evaluation.
      expect(r.gradFnReads).toBe(STEPS * r.evaluations * r.pages);
      expect(sum(r.reads) - r.gradFnReads, "read backs besides gradFn's params").toBe(0);
      expect(r.liveTextures.at(-1), `live textures after each step ${r.liveTextures.join(", ")}`).toBe(r.liveTextures[5]);
      expect(r.error, r.error?.message).toBeUndefined();
      expect(r.steps).toBe(STEPS);
      const ref = await reference(config, STEPS, true);
      expect(r.count).toBe(ref.count);
      expect(r.outerCount).toBe(ref.outerCount);
      expect(r.counters).toEqual(ref.counterValues);
      const { worst } = expectWithinUlps(r.params, ref.params, STEPS * (r.evaluations + 1), config);
      report.push(`  opaque ${config}: ${(sum(r.kernelCalls.slice(1)) / (STEPS - 1)).toFixed(1)} kernel calls (${r.evaluations} evaluations), ${worst.toFixed(2)} ulps`);
    });
  }

  it("WebGL 1 (gpu.js's webgl mode) queues without read backs too", async () => {
    for (const config of [CATALOG_CONFIGS.lamb, CATALOG_CONFIGS.chain, CATALOG_CONFIGS.apply_if_finite]) {
      const r = await queued({ config, steps: 4, mode: "webgl" });
      expect(r.kernelType).toBe("WebGLKernel");
      expect(r.reads).toEqual([0, 0, 0, 0]);
      expect(r.steps).toBe(4);
      expectWithinUlps(r.params, (await reference(config, 4)).params, 4, `${config} (WebGL 1)`);
    }
  });

  it("one 4096-wide page (the default size) and a 20,000-element model: no read backs", async () => {
    const gen = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(1 + i * 0.37 + k));
    const model = { "enc.weight": gen(12_000, 0), "enc.bias": gen(300, 1), "head.weight": gen(7_699, 2), scale: gen(1, 3) };
    const config = CATALOG_CONFIGS.lamb;
    const r = await page!.queued({ artifact: gpujs(config), model, steps: 3 });
    expect(r.pages).toBe(1);
    expect(r.reads).toEqual([0, 0, 0]);
    const ref = makeRun(config, model, "interp");
    for (let s = 1; s <= 3; s++) await ref.step({ grads: gradAt(model, s) });
    expectWithinUlps(r.params, ref.params, 3, "lamb, 20,000 elements");
  });
});

// ------------------------------------------------------------------ (b) validate: false skips the finiteness checks

describe.skipIf(unavailable !== undefined)("validate: false skips the check-only kernels: fewer kernel calls, the same numbers", () => {
  for (const config of [CATALOG_CONFIGS.sgd, CATALOG_CONFIGS.adam]) {
    it(config, async () => {
      const on = await queued({ config, steps: 4 });
      const off = await queued({ config, steps: 4, validate: false });
      expect(off.reads).toEqual([0, 0, 0, 0]);
      const per = (r: QueueResult) => sum(r.kernelCalls.slice(1)) / 3;
      report.push(`  ${config}: ${per(on)} kernel calls per step validating, ${per(off)} with validate: false`);
      expect(per(off)).toBeLessThan(per(on));
      expect(off.bits.params).toEqual(on.bits.params);
    });
  }
});

// ------------------------------------------------------------------ (c) a refused step of a queue changes nothing

interface AtomicCase {
  name: string;
  config: string;
  code: string;
  /** The poisoned steps given k, and the step refused. */
  poison: (k: number) => number[];
  refused: (k: number) => number;
}

const ATOMIC: AtomicCase[] = [
  ...(
    [
      ["sgd", CATALOG_CONFIGS.sgd],
      ["adam", CATALOG_CONFIGS.adam],
      ["clip+adamw", "chain(clip_by_global_norm(1.0), adamw(1e-3))"],
      ["lamb", CATALOG_CONFIGS.lamb],
    ] as const
  ).map(([name, config]) => ({ name, config, code: "R201", poison: (k: number) => [k], refused: (k: number) => k })),
  // apply_if_finite skips non-finite steps itself: its third consecutive one (max 2) is the refusal (R202).
  { name: "apply_if_finite", config: "apply_if_finite(adam(1e-2), 2)", code: "R202", poison: (k) => [k, k + 1, k + 2], refused: (k) => k + 2 },
];

describe.skipIf(unavailable !== undefined)("a non-finite gradient in a queue of 8 steps: sync throws for that step, and the run is exactly one that stopped before it", () => {
  for (const c of ATOMIC) {
    for (const kind of ["NaN", "Inf"] as Poison[]) {
      it(`${c.name} (${c.config}), ${kind} at step 1, 3 and 6`, async () => {
        for (const k of [1, 3, 6]) {
          const what = `${c.name}, ${kind} at step ${k}`;
          const poison = { steps: c.poison(k), kind };
          const refused = c.refused(k);
          const run = await queued({ config: c.config, steps: 8, poison, after: 2 });
          expect(run.reads, `${what}: read backs while queued`).toEqual(Array(8).fill(0));
          expect(run.error?.code, `${what}: ${run.error?.message ?? "no error"}`).toBe(c.code);
          expect(run.error!.summary.startsWith(`step ${refused}: `), `${what}: ${run.error!.summary}`).toBe(true);
          expect(run.error!.message).toMatch(/changed nothing/);
          expect(run.afterSteps, `${what}: the sync after the refusal`).toBe(2);
          // A run that stopped before the refused step, then the same 2 steps.
          const ref = await queued({ config: c.config, steps: refused - 1, poison, after: 2 });
          expect(ref.error, ref.error?.message).toBeUndefined();
          expect({ count: run.count, outerCount: run.outerCount, counters: run.counters, phase: run.phase }, what).toEqual({ count: ref.count, outerCount: ref.outerCount, counters: ref.counters, phase: ref.phase });
          expect(Object.keys(run.bits).sort()).toEqual(Object.keys(ref.bits).sort());
          for (const [arena, bits] of Object.entries(ref.bits)) {
            const i = bits.findIndex((b, j) => run.bits[arena][j] !== b);
            expect(i, `${what}: ${arena}[${i}] differs from a run that stopped before step ${refused}`).toBe(-1);
          }
          expect(run.count).toBe(refused - 1 + 2);
        }
      });
    }
  }
});

/** Keeps the gradient helpers honest: the page's poisoned gradient is non-finite where the test says. */
it("poisoned gradients hold one non-finite value", () => {
  const g = poisoned(bigModel(), 3, "Inf");
  expect(Object.values(g).flatMap((v) => Array.from(v)).filter((x) => !Number.isFinite(x))).toHaveLength(1);
});
