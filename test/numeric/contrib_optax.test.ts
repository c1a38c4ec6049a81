/**
 * optax.contrib entries against numbers derived independently from optax's source: optax's own
 * test values where it has them, and a plain float32 re-derivation written here from
 * optax/contrib/_reduce_on_plateau.py (not from optc's lowering).
 */
import gpujs from "gpu.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, compileReference, GpuJsRun, type GpuJsInstance } from "../../index.js";
import { requireGpu } from "../helpers/gpu.js";
import type { Run } from "../../runtime/optimizer.js";
import { model, wavyGrad } from "../helpers/catalog.js";
import { makeRun, trajectory, type Backend } from "../helpers/run.js";

const f = Math.fround;
const one = (x: number) => ({ w: { shape: [1], data: Float32Array.of(x) } });
const open = (config: string, backend: Backend, x = 0): Run => (backend === "js" ? compile(config) : compileReference(config)).initSync(one(x));

/** reduce_on_plateau's state by optax's field names, from a run's counters. */
function plateauState(run: Run): Record<string, number> {
  const c = run.counterValues;
  const get = (name: string) => c[Object.keys(c).find((k) => k.endsWith(`reduce_on_plateau.${name}`))!];
  return { scale: get("scale"), best_value: get("has_best") ? get("best_value") : Infinity, plateau_count: get("plateau_count"), cooldown_count: get("cooldown_count"), count: get("count"), avg_value: get("avg_value") };
}

/** Loads a state given by optax's field names (best_value Infinity: none yet). */
function loadPlateau(run: Run, st: Record<string, number>): void {
  const s = run.saveState();
  const counters = { ...s.counters };
  for (const k of Object.keys(counters)) {
    const field = k.slice(k.lastIndexOf(".") + 1);
    if (field === "has_best") counters[k] = Number.isFinite(st.best_value) ? 1 : 0;
    else if (field === "best_value") counters[k] = Number.isFinite(st.best_value) ? st.best_value : 0;
    else counters[k] = st[field];
  }
  run.loadState({ ...s, counters });
}

/** One update with g = 1 at params 0: the update is the new params. */
function update(run: Run, loss: number): number {
  run.params.w[0] = 0;
  run.grads.w[0] = 1;
  run.stepSync({ loss });
  return run.params.w[0];
}

describe("reduce_on_plateau: optax's own tests (contrib/_reduce_on_plateau_test.py)", () => {
  const config = "reduce_on_plateau(factor=0.1, patience=5, rtol=1e-4, atol=0.0, cooldown=5, accumulation_size=1, min_scale=0.01)";
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`the scale drops after patience + 1 equal losses, then cools down (${backend})`, () => {
      const run = open(config, backend);
      let u = 0;
      for (let i = 0; i < 6; i++) u = update(run, 1.0);
      expect(plateauState(run)).toMatchObject({ scale: f(0.1), best_value: 1, plateau_count: 0, cooldown_count: 5 });
      expect(u).toBe(f(0.1));
      update(run, 1.0);
      expect(plateauState(run)).toMatchObject({ scale: f(0.1), best_value: 1, plateau_count: 0, cooldown_count: 4 });
    });
    it(`an improving loss keeps the scale and becomes the best (${backend})`, () => {
      const run = open(config, backend);
      loadPlateau(run, { best_value: 1, plateau_count: 3, scale: f(0.1), cooldown_count: 0, count: 0, avg_value: 0 });
      update(run, 0.1);
      expect(plateauState(run)).toMatchObject({ plateau_count: 0, scale: f(0.1), best_value: f(0.1) });
    });
    it(`no reduction during cooldown (${backend})`, () => {
      const run = open(config, backend);
      loadPlateau(run, { best_value: 1, plateau_count: 5, scale: f(0.1), cooldown_count: 3, count: 0, avg_value: 0 });
      update(run, 2.0);
      expect(plateauState(run)).toMatchObject({ scale: f(0.1), best_value: 1, plateau_count: 0, cooldown_count: 2 });
    });
    it(`no reduction below min_scale (${backend})`, () => {
      const run = open(config, backend);
      loadPlateau(run, { best_value: 1, plateau_count: 0, scale: f(0.01), cooldown_count: 0, count: 0, avg_value: 0 });
      let u = 0;
      for (let i = 0; i < 6; i++) u = update(run, 0.1);
      expect(plateauState(run)).toMatchObject({ scale: f(0.01), best_value: f(0.1), plateau_count: 0, cooldown_count: 5 });
      expect(u).toBe(f(0.01));
    });
  }
});

/** optax's update_fn, re-derived in float32 (jnp float32 state, int32 counts, weak-typed Python floats). */
function plateauReference(o: { factor: number; patience: number; rtol: number; atol: number; cooldown: number; accumulation_size: number; min_scale: number }) {
  const st = { scale: 1, best_value: Infinity, plateau_count: 0, cooldown_count: 0, count: 0, avg_value: 0 };
  return {
    st,
    update(value: number): number {
      const newCount = st.count + 1;
      st.avg_value = f(f(f(st.count * st.avg_value) + f(value)) / newCount);
      st.count = newCount;
      if (newCount === o.accumulation_size) {
        const improved = st.avg_value < f(f(f(1 - o.rtol) * st.best_value) - f(o.atol));
        if (improved) st.best_value = st.avg_value;
        const cur = improved ? 0 : st.plateau_count + 1;
        if (st.cooldown_count > 0) {
          st.plateau_count = 0;
          st.cooldown_count -= 1;
        } else {
          const hit = cur === o.patience;
          st.plateau_count = hit ? 0 : cur;
          st.scale = Math.max(hit ? f(st.scale * f(o.factor)) : st.scale, f(o.min_scale));
          st.cooldown_count = hit ? o.cooldown : 0;
        }
        st.count = 0;
        st.avg_value = 0;
      }
      return st.scale;
    },
  };
}

describe("reduce_on_plateau = a float32 re-derivation of optax's state machine, every step", () => {
  const options = { factor: 0.5, patience: 2, rtol: 0.1, atol: 0.01, cooldown: 1, accumulation_size: 3, min_scale: 0.1 };
  const config = `chain(sgd(0.1), reduce_on_plateau(factor=${options.factor}, patience=${options.patience}, rtol=${options.rtol}, atol=${options.atol}, cooldown=${options.cooldown}, accumulation_size=${options.accumulation_size}, min_scale=${options.min_scale}))`;
  // Falls, then plateaus with noise, so every branch runs (improve, plateau, reduce, cooldown, the floor).
  const losses = Array.from({ length: 60 }, (_, i) => Math.max(0.5, 3 - 0.2 * i) + 0.05 * Math.sin(1.3 * i) + 1 / 3);
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`60 steps (${backend})`, () => {
      const run = open(config, backend, 0);
      const ref = plateauReference(options);
      const scales = new Set<number>();
      for (const loss of losses) {
        const before = run.params.w[0];
        run.grads.w[0] = 1;
        run.stepSync({ loss });
        const scale = ref.update(loss);
        scales.add(scale);
        expect(plateauState(run)).toEqual(ref.st);
        // The update is scale · (−lr · g), stored as float32.
        expect(run.params.w[0]).toBe(f(before + scale * -0.1));
      }
      // Every reduction ran, down to the floor: 0.0625 would be below min_scale 0.1.
      expect([...scales]).toEqual([1, 0.5, 0.25, 0.125, f(0.1)]);
      expect(ref.st.scale).toBe(f(0.1));
    });
  }
  it("the GPU targets get the same scale: it is host state, a uniform of the kernels (gpu.js cpu mode and WebGPU run it in test/backends via the catalog)", () => {
    const artifact = compile(config, { target: "webgpu" }).artifact;
    expect(artifact.stepInputs?.map((s) => s.name)).toEqual(["loss"]);
    expect(artifact.device?.counters.some((c) => c.includes("reduce_on_plateau"))).toBe(false);
  });
});

// ------------------------------------------------------------------ ema_params

describe("ema_params: optax.incremental_update(params, ema, step_size = 1 - decay) after every step", () => {
  const w0 = [0.5, -1.25, 2, 0.125, -0.75];
  const config = "ema_params(sgd(0.1, momentum=0.5), 0.9)";
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`a float64 re-derivation over float32 state, and optax's float32 form within 1e-6 (${backend})`, () => {
      const run = (backend === "js" ? compile(config) : compileReference(config)).initSync({ w: { shape: [5], data: Float32Array.from(w0) } });
      expect(Array.from(run.emaParams().w)).toEqual(Array.from(Float32Array.from(w0)));
      const p = Float32Array.from(w0);
      const trace = new Float32Array(5);
      const ema = Float32Array.from(w0);
      const ema32 = Float32Array.from(w0);
      const step = 1 - 0.9;
      for (let t = 1; t <= 8; t++) {
        const g = Array.from(p, (x) => f(Math.sin(3 * x) + x));
        run.grads.w.set(g);
        run.stepSync();
        for (let i = 0; i < 5; i++) {
          trace[i] = g[i] + 0.5 * trace[i];
          p[i] = p[i] + -0.1 * trace[i];
          ema[i] = step * p[i] + (1 - step) * ema[i];
          ema32[i] = f(f(f(step) * p[i]) + f(f(f(1) - f(step)) * ema32[i]));
        }
        expect(Array.from(run.params.w)).toEqual(Array.from(p));
        expect(Array.from(run.emaParams().w)).toEqual(Array.from(ema));
        run.emaParams().w.forEach((x, i) => expect(Math.abs(x - ema32[i])).toBeLessThanOrEqual(1e-6 * Math.abs(ema32[i])));
      }
    });
  }
  it("snapshots carry the average; a config without ema_params has none (R108); it must be the whole optimizer (E306)", () => {
    const a = compile(config).initSync({ w: { shape: [5], data: Float32Array.from(w0) } });
    for (let t = 0; t < 3; t++) {
      a.grads.w.set([1, -1, 0.5, 2, 0]);
      a.stepSync();
    }
    const b = compile(config).initSync({ w: { shape: [5], data: Float32Array.from(w0) } });
    b.loadState(a.saveStateBinary());
    expect(Array.from(b.emaParams().w)).toEqual(Array.from(a.emaParams().w));
    expect(() => compile("sgd(0.1)").initSync({ w: { shape: [1] } }).emaParams()).toThrow(/R108/);
    expect(() => compile("chain(ema_params(sgd(0.1)), scale(1.0))")).toThrow(/E306/);
  });
});

describe("ema_params on the GPU targets: run.emaParams() reads the device's average, the interpreter's within ulps", () => {
  const config = "ema_params(chain(clip_by_global_norm(1.0), adam(0.01)), 0.9)";
  const big = () => ({ w: { shape: [300], data: Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)) } });
  const grads = (t: number) => ({ w: Float32Array.from({ length: 300 }, (_, i) => Math.cos(i * 0.7 + t)) });
  async function reference() {
    const run = compileReference(config).initSync(big());
    for (let t = 0; t < 5; t++) await run.step({ grads: grads(t) });
    return run.emaParams().w;
  }
  const within = (got: Float32Array, ref: Float32Array) => got.forEach((x, i) => expect(Math.abs(x - ref[i]), `w[${i}]`).toBeLessThanOrEqual(4 * 5 * 2 ** -23 * Math.max(1, Math.abs(ref[i]))));
  let device: GPUDevice | undefined;
  beforeAll(async () => {
    device = await requireGpu("ema_params on WebGPU");
  });
  afterAll(() => device?.destroy());
  it("WebGPU (Dawn)", async () => {
    if (!device) return;
    const run = await compile(config, { target: "webgpu" }).init(big(), { device });
    for (let t = 0; t < 5; t++) await run.step({ grads: grads(t) });
    within((await run.emaParams()).w, await reference());
    run.destroy();
  });
  it("schedule_free's run.evalParams() on WebGPU and gpu.js (cpu mode): the interpreter's within ulps", async () => {
    const sf = "schedule_free_adamw(0.01, warmup_steps=2, b1=0.85, weight_decay=0.01)";
    const ref = compileReference(sf).initSync(big());
    for (let t = 0; t < 5; t++) await ref.step({ grads: grads(t) });
    const { GPU } = gpujs as unknown as { GPU: new (s: { mode: string }) => GpuJsInstance };
    const runs: { step(o: { grads: Record<string, Float32Array> }): Promise<void>; evalParams(): Promise<Record<string, Float32Array>>; destroy(): void }[] = [await GpuJsRun.create(compile(sf, { target: "gpujs" }).artifact, big(), { gpu: new GPU({ mode: "cpu" }) })];
    if (device) runs.push(await compile(sf, { target: "webgpu" }).init(big(), { device }));
    for (const run of runs) {
      for (let t = 0; t < 5; t++) await run.step({ grads: grads(t) });
      within((await run.evalParams()).w, ref.evalParams().w);
      run.destroy();
    }
  });
  it("gpu.js (cpu mode, in Node)", async () => {
    const { GPU } = gpujs as unknown as { GPU: new (s: { mode: string }) => GpuJsInstance };
    const run = await GpuJsRun.create(compile(config, { target: "gpujs" }).artifact, big(), { gpu: new GPU({ mode: "cpu" }) });
    for (let t = 0; t < 5; t++) await run.step({ grads: grads(t) });
    within((await run.emaParams()).w, await reference());
  });
});

// ------------------------------------------------------------------ adopt, ademamix, simplified_ademamix

/**
 * Runs `config` and a re-derivation side by side on one tensor: the re-derivation gets the
 * float32 gradient and the step number t (from 1), updates its float32 state and returns the
 * float64 update u (params ← f32(p + u)). Bit for bit: optc's contract is float64 arithmetic
 * over float32 state (README port decision 4), which these re-derivations follow.
 */
function sideBySide(config: string, backend: Backend, derive: (g: Float32Array, p: Float32Array, t: number) => number[], steps = 8): void {
  const w0 = [0.5, -1.25, 2, 0.125, -0.75, 0];
  const run = (backend === "js" ? compile(config) : compileReference(config)).initSync({ w: { shape: [6], data: Float32Array.from(w0) } });
  const p = Float32Array.from(w0);
  for (let t = 1; t <= steps; t++) {
    const g = Float32Array.from(p, (x, i) => Math.sin(3 * x + i) + x);
    run.grads.w.set(g);
    run.stepSync();
    const u = derive(g, p, t);
    for (let i = 0; i < p.length; i++) p[i] = p[i] + u[i];
    expect(Array.from(run.params.w), `step ${t}`).toEqual(Array.from(p));
  }
}

describe("adopt (contrib/_adopt.py): ν updated after it normalises, clip ±count^0.25, a first step that only initialises ν", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    for (const nesterov of [false, true]) {
      it(`adopt(0.01, b2=0.99, nesterov=${nesterov}) (${backend})`, () => {
        const mu = new Float32Array(6);
        const nu = new Float32Array(6);
        sideBySide(`adopt(0.01, b2=0.99, nesterov=${nesterov ? "true" : "false"})`, backend, (g, _p, t) => {
          const count = t - 1;
          const b1 = count > 0 ? 0.9 : 1;
          const b2 = count > 0 ? 0.99 : 0;
          const clip = count ** 0.25;
          return Array.from(g, (gi, i) => {
            const x = Math.min(Math.max(gi / Math.max(Math.sqrt(nu[i]), 1e-6), -clip), clip);
            nu[i] = (1 - b2) * (gi * gi) + b2 * nu[i];
            mu[i] = (1 - b1) * x + b1 * mu[i];
            return -0.01 * (nesterov ? (1 - b1) * x + b1 * mu[i] : mu[i]);
          });
        });
      });
    }
  }
  it("optax's docstring example: f(x) = Σx² from [1, 2, 3] with lr 0.003 prints 1.40E+01 for 5 steps", () => {
    const run = compile("adopt(learning_rate=0.003)").initSync({ x: { shape: [3], data: Float32Array.of(1, 2, 3) } });
    for (let s = 0; s < 5; s++) {
      run.grads.x.set(Array.from(run.params.x, (v) => 2 * v));
      run.stepSync();
      expect(Array.from(run.params.x).reduce((a, v) => a + v * v, 0).toExponential(2)).toBe("1.40e+1");
    }
  });
});

describe("ademamix (contrib/_ademamix.py): Adam's corrected moments + alpha · a slow uncorrected EMA", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`b3 a schedule of count_m2, weight decay, -lr (${backend})`, () => {
      const m1 = new Float32Array(6);
      const m2 = new Float32Array(6);
      const nu = new Float32Array(6);
      // linear_schedule(0.9, 0.999, 4) at count_m2 = t - 1 (optax's polynomial_schedule with power 1).
      const b3At = (c: number) => 0.9 + (0.999 - 0.9) * Math.min(c, 4) / 4;
      sideBySide("ademamix(0.01, b3=linear_schedule(0.9, 0.999, 4), alpha=2.0, weight_decay=0.01)", backend, (g, p, t) => {
        const b3 = b3At(t - 1);
        return Array.from(g, (gi, i) => {
          m1[i] = (1 - 0.9) * gi + 0.9 * m1[i];
          m2[i] = (1 - b3) * gi + b3 * m2[i];
          nu[i] = (1 - 0.999) * (gi * gi) + 0.999 * nu[i];
          const u = (m1[i] / (1 - 0.9 ** t) + 2.0 * m2[i]) / (Math.sqrt(nu[i] / (1 - 0.999 ** t) + 0) + 1e-8);
          return -0.01 * (u + 0.01 * p[i]);
        });
      });
    });
  }
  it("the alias's alpha defaults to 5.0, the transform's to 6.0 (as in optax)", async () => {
    const same = async (a: string, b: string) => expect(await trajectory(makeRun(a, model()), 4, wavyGrad)).toEqual(await trajectory(makeRun(b, model()), 4, wavyGrad));
    await same("ademamix(0.01)", "chain(scale_by_ademamix(alpha=5.0), scale_by_learning_rate(0.01))");
    await same("chain(scale_by_ademamix(), scale(-0.01))", "chain(scale_by_ademamix(alpha=6.0), scale(-0.01))");
    expect(await trajectory(makeRun("ademamix(0.01)", model()), 4, wavyGrad)).not.toEqual(await trajectory(makeRun("ademamix(0.01, alpha=6.0)", model()), 4, wavyGrad));
  });
});

describe("simplified_ademamix (contrib/_ademamix.py): m = g + b1·m, n = lerp(b2, g², n)", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`alpha a schedule of the count before the step (${backend})`, () => {
      const m = new Float32Array(6);
      const n = new Float32Array(6);
      sideBySide("simplified_ademamix(0.01, alpha=linear_schedule(0.0, 2.0, 5), weight_decay=0.01)", backend, (g, p, t) => {
        const alpha = (2.0 - 0.0) * Math.min(t - 1, 5) / 5;
        return Array.from(g, (gi, i) => {
          m[i] = gi + 0.99 * m[i];
          const g2 = gi * gi;
          n[i] = g2 + 0.95 * (n[i] - g2);
          const u = (m[i] + alpha * gi) / (Math.sqrt(n[i] / (1 - 0.95 ** t) + 0) + 1e-8);
          return -0.01 * (u + 0.01 * p[i]);
        });
      });
    });
  }
});

// ------------------------------------------------------------------ schedule_free

describe("schedule_free (contrib/_schedule_free.py): z takes the base updates, y = b1·x + (1 − b1)·z, step_count from 1", () => {
  /** optax's warmup_constant_schedule(0, peak, w) = polynomial_schedule(0, peak, 1, w) at count c. */
  const warmup = (peak: number, w: number) => (c: number) => (0 - peak) * (1 - Math.min(Math.max(c, 0), w) / w) + peak;
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`schedule_free_sgd(0.1, warmup_steps=3, b1=0.8, weight_decay=0.01): the wrapper reads the schedule at step_count (from 1), sgd at its own count (from 0) (${backend})`, () => {
      const sched = warmup(0.1, 3);
      const b1 = 0.8;
      let z: Float32Array | undefined;
      let maxLr = 0;
      let weightSum = 0;
      sideBySide("schedule_free_sgd(0.1, warmup_steps=3, b1=0.8, weight_decay=0.01)", backend, (g, y, t) => {
        z ??= Float32Array.from([0.5, -1.25, 2, 0.125, -0.75, 0]);
        const lr = f(sched(t)); // step_count = t
        maxLr = f(Math.max(maxLr, lr));
        const weight = f(maxLr ** 2);
        const total = f(weightSum + weight);
        weightSum = total;
        const ck = total === 0 ? 0 : f(weight / total);
        return Array.from(g, (gi, i) => {
          const u = -sched(t - 1) * (gi + 0.01 * y[i]);
          const zOld = z![i];
          z![i] = zOld + u;
          const x = (1 - ck) * ((y[i] - (1 - b1) * zOld) / b1) + ck * z![i];
          return b1 * x + (1 - b1) * z![i] - y[i];
        });
      });
    });
  }
  it("optax's docstring example: schedule_free_adamw(1.0) on Σx² from [1, 2, 3]; f(eval params) prints 5.00E+00, 3.05E+00, 1.73E+00, 8.94E-01, 4.13E-01", () => {
    const run = compile("schedule_free_adamw(1.0)").initSync({ x: { shape: [3], data: Float32Array.of(1, 2, 3) } });
    const printed: string[] = [];
    for (let s = 0; s < 5; s++) {
      run.grads.x.set(Array.from(run.params.x, (v) => 2 * v));
      run.stepSync();
      printed.push(Array.from(run.evalParams().x).reduce((a, v) => a + v * v, 0).toExponential(2));
    }
    expect(printed).toEqual(["5.00e+0", "3.05e+0", "1.73e+0", "8.94e-1", "4.13e-1"]);
  });
  it("evalParams is (y − (1 − b1)·z)/b1 from the run's own arenas; R108 without schedule_free; E306 unless outermost", () => {
    const run = compile("schedule_free_adamw(0.01, b1=0.85)").initSync({ w: { shape: [3], data: Float32Array.of(1, -2, 0.5) } });
    for (let s = 0; s < 3; s++) {
      run.grads.w.set([0.3, -1, 2]);
      run.stepSync();
    }
    const z = run.state(Object.keys(run.saveState().arenas).find((a) => a.endsWith(".z"))!).w;
    expect(Array.from(run.evalParams().w)).toEqual(Array.from(run.params.w, (y, i) => f((y - (1 - 0.85) * z[i]) / 0.85)));
    expect(() => compile("adam(0.01)").initSync({ w: { shape: [1] } }).evalParams()).toThrow(/R108/);
    expect(() => compile("chain(clip(1.0), schedule_free_sgd())")).toThrow(/E306/);
    // inject_hyperparams and ema_params pass the updates through: there it is still the outermost.
    const wrapped = compile("ema_params(inject_hyperparams(schedule_free_sgd(0.1, b1=0.9)), 0.99)").initSync({ w: { shape: [2], data: Float32Array.of(1, 2) } });
    wrapped.setHyperparam("b1", 0.5);
    wrapped.grads.w.set([1, 1]);
    wrapped.stepSync();
    const zw = wrapped.state(Object.keys(wrapped.saveState().arenas).find((a) => a.endsWith(".z"))!).w;
    expect(Array.from(wrapped.evalParams().w)).toEqual(Array.from(wrapped.params.w, (y, i) => f((y - 0.5 * zw[i]) / 0.5)));
  });
});

// ------------------------------------------------------------------ prodigy

/** optc's defined order of a sum over one tensor (README port decision 6): four interleaved accumulators, the tail into the first. */
function sum4(xs: number[]): number {
  const acc = [0, 0, 0, 0];
  const main = 4 * Math.floor(xs.length / 4);
  xs.forEach((x, i) => (i < main ? (acc[i % 4] += x) : (acc[0] += x)));
  return 0 + (acc[0] + acc[1] + (acc[2] + acc[3]));
}

describe("prodigy (contrib/_prodigy.py): d from Σg·(p0 − p) and Σ|s|, eps scaled by the new d", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    for (const safeguard of [false, true]) {
      it(`prodigy(0.5, betas=[0.9, 0.99], weight_decay=0.01, safeguard_warmup=${safeguard}) (${backend})`, () => {
        const [b1, b2, d0] = [0.9, 0.99, 1e-6];
        const b3 = Math.sqrt(b2);
        const m = new Float32Array(6);
        const v = new Float32Array(6);
        const s = new Float32Array(6);
        const p0 = Float32Array.from([0.5, -1.25, 2, 0.125, -0.75, 0]);
        let d = f(d0);
        let r = 0;
        const ds: number[] = [];
        sideBySide(`prodigy(0.5, betas=[0.9, 0.99], weight_decay=0.01, safeguard_warmup=${safeguard ? "true" : "false"})`, backend, (g, p, t) => {
          const dlr = f(d * 0.5 * (Math.sqrt(1 - b2 ** t) / (1 - b1 ** t)));
          const dg = Array.from(g, (x) => d * x);
          const numerator = sum4(Array.from(g, (x, i) => x * (p0[i] - p[i])));
          dg.forEach((x, i) => {
            m[i] = b1 * m[i] + (1 - b1) * x;
            v[i] = b2 * v[i] + (1 - b2) * x * x;
            s[i] = b3 * s[i] + ((safeguard ? d : dlr) * x) / d0;
          });
          r = f(b3 * r + (d / d0) * dlr * numerator);
          const dNew = f(Math.max(d, (1.0 * r) / sum4(Array.from(s, Math.abs))));
          const u = Array.from(m, (mi, i) => (-dlr * mi) / (Math.sqrt(v[i]) + dNew * 1e-8) - 0.01 * dlr * p[i]);
          d = dNew;
          ds.push(d);
          return u;
        }, 12);
        // Without the safeguard the estimate really grew (a d stuck at d0 would pass the rest trivially).
        if (!safeguard) expect(ds.at(-1)!).toBeGreaterThan(2 * d0);
        expect(ds.every((x, i) => i === 0 || x >= ds[i - 1])).toBe(true);
      });
    }
  }
});

// ------------------------------------------------------------------ dowg

describe("dowg (contrib/_dog.py): r² = max(r², ‖p0 − p‖²), v += r²·‖g‖², u = −lr·r²/(sqrt(v) + eps)·g", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    for (const [config, r0, wd] of [["dowg(0.5)", f(1e-4), 0], ["dowg(0.5, init_estim_sq_dist=0.01, weight_decay=0.01)", f(0.01), 0.01]] as const) {
      it(`${config} (${backend})`, () => {
        const p0 = Float32Array.from([0.5, -1.25, 2, 0.125, -0.75, 0]);
        let r2: number = r0;
        let v = 0;
        sideBySide(config, backend, (g, p) => {
          const gd = Array.from(g, (x, i) => (wd === 0 ? x : x + wd * p[i]));
          r2 = f(Math.max(r2, sum4(Array.from(p, (x, i) => (p0[i] - x) * (p0[i] - x)))));
          v = f(r2 * sum4(gd.map((x) => x * x)) + v);
          return gd.map((x) => -0.5 * ((r2 / (Math.sqrt(v) + 1e-4)) * x));
        }, 10);
        expect(r2).toBeGreaterThan(r0);
      });
    }
  }
});

// ------------------------------------------------------------------ dog

describe("dog (contrib/_dog.py): r̄ = max(r̄, ‖p0 − p‖), G += ‖g‖², u = −lr·r̄/sqrt(G + eps)·g, r̄ from init_step", () => {
  const p0 = [0.5, -1.25, 2, 0.125, -0.75, 0];
  // optax's init: r_eps = value for "distance", value·(1 + ‖p0‖) for "heuristic", 0 for "learning_rate".
  const cases = [
    ["dog(0.5)", "heuristic", 1e-6, 0],
    ['dog(0.5, ("distance", 0.01), weight_decay=0.01)', "distance", 0.01, 0.01],
    ['dog(init_step=("learning_rate", 0.1), eps=1e-6)', "learning_rate", 0.1, 0],
  ] as const;
  for (const backend of ["js", "interp"] as Backend[]) {
    for (const [config, tag, value, wd] of cases) {
      it(`${config} (${backend})`, () => {
        const lr = config.startsWith("dog(0.5") ? 0.5 : 1.0;
        const eps = config.includes("eps=1e-6") ? 1e-6 : 1e-8;
        let maxDist = tag === "distance" ? f(value) : tag === "heuristic" ? f(value * (1 + Math.sqrt(sum4(p0.map((x) => x * x))))) : 0;
        let G = 0;
        sideBySide(config, backend, (g, p, t) => {
          const gd = Array.from(g, (x, i) => (wd === 0 ? x : x + wd * p[i]));
          maxDist = f(Math.max(maxDist, Math.sqrt(sum4(Array.from(p, (x, i) => (p0[i] - x) * (p0[i] - x))))));
          G = f(G + sum4(gd.map((x) => x * x)));
          const eta = tag === "learning_rate" && t === 1 ? value : maxDist / Math.sqrt(G + eps);
          return gd.map((x) => -lr * (eta * x));
        }, 10);
        expect(maxDist).toBeGreaterThan(0);
      });
    }
  }
  it("optax's docstring example: dog() on Σx² from [1, 2, 3] moves the objective below 14.0 but not below 13.99 in 5 steps", () => {
    const run = compile("dog()").initSync({ x: { shape: [3], data: Float32Array.of(1, 2, 3) } });
    for (let i = 0; i < 5; i++) {
      run.grads.x.set(run.params.x.map((x) => 2 * x));
      run.stepSync();
      const objective = run.params.x.reduce((s, x) => s + x * x, 0);
      expect(objective).toBeLessThan(14.0);
      expect(objective).toBeGreaterThanOrEqual(13.99);
    }
  });
});

// ------------------------------------------------------------------ mechanize

/** mechanize's scalar state by optax's field names (m, v, r, s: one value per beta), and count. */
function mechanicState(run: Run): { m: number[]; v: number[]; r: number[]; s: number[]; count: number } {
  const c = run.counterValues;
  const field = (name: string) =>
    Object.keys(c)
      .filter((k) => new RegExp(`mechanize\\.${name}\\.\\d+$`).test(k))
      .sort((a, b) => Number(a.slice(a.lastIndexOf(".") + 1)) - Number(b.slice(b.lastIndexOf(".") + 1)))
      .map((k) => c[k]);
  return { m: field("m"), v: field("v"), r: field("r"), s: field("s"), count: c[Object.keys(c).find((k) => k.endsWith("mechanize.count"))!] };
}

describe("mechanize (contrib/_mechanic.py): the scale Σs of the base updates learned from h = ⟨g + wd·S·‖g‖/(‖p‖ + eps)·p, (x0 − p)/(S + eps)⟩", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`optax's test_mechanized: one step of scale(-0.1) from {x: 3, y: -3} with g = {2, -2} (${backend})`, () => {
      const config = "mechanize(scale(-0.1), weight_decay=1e-2, eps=1e-10, s_init=1e-8, num_betas=6)";
      const params = { x: { shape: [1], data: Float32Array.of(3) }, y: { shape: [1], data: Float32Array.of(-3) } };
      const run = (backend === "js" ? compile(config) : compileReference(config)).initSync(params);
      run.grads.x[0] = 2;
      run.grads.y[0] = -2;
      run.stepSync();
      const st = mechanicState(run);
      // optax's expected values (assert_trees_all_close: rtol 1e-6, atol 0).
      for (const m of st.m) expect(m).toBeCloseTo(1e-10, 16);
      expect(st.v).toEqual([0, 0, 0, 0, 0, 0]);
      for (const s of st.s) expect(Math.abs(s - 1.6666667e-9)).toBeLessThan(1e-6 * 1.6666667e-9);
      expect(run.params.x[0]).toBeCloseTo(3, 6);
      expect(run.params.y[0]).toBeCloseTo(-3, 6);
      expect(st.count).toBe(1);
    });
    for (const [config, momentum, lr, wd, n] of [
      ["mechanize(sgd(0.1))", 0, 0.1, 1e-2, 6],
      ["mechanize(sgd(0.5, momentum=0.9), weight_decay=0.1, s_init=1e-3, num_betas=3)", 0.9, 0.5, 0.1, 3],
    ] as const) {
      it(`${config} (${backend})`, () => {
        const eps = 1e-8;
        const sInit = config.includes("s_init=1e-3") ? 1e-3 : 1e-6;
        const betas = Array.from({ length: n }, (_, i) => f(1 - 0.1 ** (i + 1)));
        const m = new Array<number>(n).fill(0);
        const v = new Array<number>(n).fill(0);
        const r = new Array<number>(n).fill(0);
        const s = new Array<number>(n).fill(f(sInit));
        const tr = new Float32Array(6);
        let x0: number[] = [];
        sideBySide(config, backend, (g, p, t) => {
          if (t === 1) x0 = Array.from(p);
          const u = Array.from(g, (gi, i) => {
            if (momentum !== 0) tr[i] = gi + momentum * tr[i];
            return -lr * (momentum !== 0 ? tr[i] : gi);
          });
          const S = s.reduce((a, x) => a + x);
          const gradNorm = Math.sqrt(sum4(Array.from(g, (x) => x * x)));
          const paramNorm = Math.sqrt(sum4(Array.from(p, (x) => x * x)));
          const gd = Array.from(g, (gi, i) => gi + ((wd * S * gradNorm) / (paramNorm + eps)) * p[i]);
          const deltaPrev = x0.map((x, i) => (x - p[i]) / (S + eps));
          const h = sum4(gd.map((x, i) => x * deltaPrev[i]));
          for (let i = 0; i < n; i++) {
            const clipped = Math.min(Math.max(h, -m[i]), m[i]);
            m[i] = f(Math.max(betas[i] * m[i], Math.abs(h) + eps));
            v[i] = f(betas[i] * betas[i] * v[i] + h * h);
            r[i] = f(betas[i] * r[i] + clipped * s[i]);
            s[i] = f(((sInit / n) * m[i] + Math.max(0, r[i])) / (Math.sqrt(v[i]) + eps));
          }
          const sNew = s.reduce((a, x) => a + x);
          return x0.map((x, i) => x - sNew * (deltaPrev[i] - u[i]) - p[i]);
        }, 10);
        expect(Math.max(...s)).toBeGreaterThan(f(sInit));
      });
    }
  }
});

// ------------------------------------------------------------------ cocob

describe("cocob (contrib/_cocob.py): coin betting per element from the initial params", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`cocob(0.5, alpha=50.0, weight_decay=0.01) (${backend})`, () => {
      const p0 = Float32Array.from([0.5, -1.25, 2, 0.125, -0.75, 0]);
      const C = new Float32Array(6);
      const L = new Float32Array(6).fill(1e-8);
      const G = new Float32Array(6);
      const R = new Float32Array(6);
      sideBySide("cocob(0.5, alpha=50.0, weight_decay=0.01)", backend, (g, p) =>
        Array.from(g, (gi, i) => {
          const c = 0.5 * (gi + 0.01 * p[i]);
          L[i] = Math.max(L[i], Math.abs(c));
          G[i] = G[i] + Math.abs(c);
          R[i] = Math.max(R[i] - c * (p[i] - p0[i]), 0);
          C[i] = C[i] - c;
          return -p[i] + (p0[i] + (C[i] / (L[i] * Math.max(G[i] + L[i], 50.0 * L[i]))) * (L[i] + R[i]));
        }),
      10);
    });
  }
});

// ------------------------------------------------------------------ dadapt_adamw

describe("dadapt_adamw (contrib/_dadapt_adamw.py): d from the old state's Σg·s/(sqrt(ν) + eps) and Σ|s'|, used from the next step", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    it(`dadapt_adamw(linear_schedule(1.0, 0.0, 10), betas=[0.9, 0.99], weight_decay=0.01) (${backend})`, () => {
      const [b1, b2, eps] = [0.9, 0.99, 1e-8];
      const sb2 = b2 ** 0.5;
      const m = new Float32Array(6);
      const v = new Float32Array(6);
      const s = new Float32Array(6);
      let d = f(1e-6);
      let r = 0;
      const start = d;
      sideBySide("dadapt_adamw(linear_schedule(1.0, 0.0, 10), betas=[0.9, 0.99], weight_decay=0.01)", backend, (g, p, t) => {
        const sched = (1.0 - 0.0) * (1 - Math.min(t - 1, 10) / 10) + 0.0;
        const dlr = f(d * sched * (Math.sqrt(1 - b2 ** t) / (1 - b1 ** t)));
        const numerator = sum4(Array.from(g, (gi, i) => gi * (s[i] / (Math.sqrt(v[i]) + eps))));
        g.forEach((gi, i) => {
          m[i] = b1 * m[i] + (1 - b1) * dlr * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          s[i] = sb2 * s[i] + (1 - sb2) * dlr * gi;
        });
        r = f(sb2 * r + (1 - sb2) * dlr * numerator);
        const u = Array.from(m, (mi, i) => -0.01 * dlr * p[i] - mi / (Math.sqrt(v[i]) + eps));
        d = f(Math.max(d, r / ((1 - sb2) * sum4(Array.from(s, Math.abs)))));
        return u;
      }, 10);
      expect(d).toBeGreaterThan(start);
    });
  }
});
