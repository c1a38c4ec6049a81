/**
 * Issue 18's entries against numbers derived independently from optax's source: per entry, a few
 * steps of a small two-tensor problem computed by a plain float64 re-derivation written here from
 * optax's formulas (state rounded to float32 where optax stores it), plus optax's own expected
 * values where its docstrings and tests have them (alias.py docstrings, _constraining_test.py,
 * transform_test.py, _schedule_test.py). Nothing here reads optc's lowering.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signature } from "../../compiler/check/signature.js";
import { compileSource } from "../../compiler/pipeline.js";
import { lookup } from "../../compiler/registry/index.js";
import { evalHost } from "../../runtime/host.js";
import { OptcRuntimeError } from "../../runtime/errors.js";
import { compile } from "../../index.js";
import { requireGpu } from "../helpers/gpu.js";
import { makeRun, quadGrad, trajectory } from "../helpers/run.js";

type Tensors = Record<string, number[]>;
const f32 = Math.fround;

/** A re-derivation: the update optax returns for gradients g at params p (its state held inside). */
type Reference = (g: Tensors, p: Tensors) => Tensors;

const MODEL: Tensors = { a: [0.5, -1.25, 2.0, 0.75, -0.3], b: [1.5, -0.6, 0.2] };
const wavy = (p: Tensors): Tensors => Object.fromEntries(Object.entries(p).map(([k, x]) => [k, x.map((v, i) => f32(2 * v + Math.cos(3 * v + i)))]));

/** Per-element state, float32 as optax keeps it. */
function zeros(fill = 0): Tensors {
  return Object.fromEntries(Object.entries(MODEL).map(([k, x]) => [k, x.map(() => fill)]));
}
function map(fn: (k: string, i: number) => number): Tensors {
  return Object.fromEntries(Object.entries(MODEL).map(([k, x]) => [k, x.map((_, i) => fn(k, i))]));
}
const sumSq = (x: number[]) => x.reduce((s, v) => s + v * v, 0);
const bc = (beta: number, t: number) => 1 - Math.pow(beta, t);

/**
 * Runs `config` for `steps` steps on MODEL with the wavy gradient and checks each step's update
 * against the reference's, fed the same params and gradients: within rtol of the reference
 * update, plus one float32 ulp of the param (the update is applied to a float32 param).
 */
async function agrees(config: string, ref: Reference, steps = 6, rtol = 2e-6, grads: (p: Tensors) => Tensors = wavy): Promise<void> {
  const run = makeRun(config, MODEL);
  for (let s = 0; s < steps; s++) {
    const p: Tensors = Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, Array.from(v)]));
    const g = grads(p);
    for (const [k, v] of Object.entries(g)) run.grads[k].set(v);
    await run.step();
    const u = ref(g, p);
    for (const [k, v] of Object.entries(run.params)) {
      for (let i = 0; i < v.length; i++) {
        const got = v[i] - p[k][i];
        const want = f32(p[k][i] + u[k][i]) - p[k][i];
        const ulp = Math.abs(p[k][i]) * 2 ** -23 + 1e-30;
        expect(Math.abs(got - want), `${config} step ${s + 1} ${k}[${i}]: ${got} vs ${want}`).toBeLessThanOrEqual(rtol * Math.abs(want) + ulp);
      }
    }
  }
}

/** optax's docstring example: f(x) = Σx², x0 = [1, 2, 3], 5 steps; f after each, 3 significant figures. */
const sig3 = (x: number) => x.toExponential(2).toUpperCase().replace(/E([+-])(\d)$/, "E$10$2");
async function sphere(config: string): Promise<string[]> {
  const traj = await trajectory(makeRun(config, { x: [1, 2, 3] }), 5, (p, o) => quadGrad(p, o));
  return traj.map((t) => sig3(t.x.reduce((s, v) => s + v * v, 0)));
}

// Written from optax's alias.py / transform.py / _constraining.py / _schedule.py signatures.
const SIGNATURES = [
  "sign_sgd(learning_rate)",
  "signum(learning_rate, beta=0.9, accumulator_dtype=None)",
  "scale_by_sign()",
  "amsgrad(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, bias_correction_mu=True, bias_correction_nu=True)",
  "scale_by_amsgrad(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, bias_correction_mu=True, bias_correction_nu=True)",
  "yogi(learning_rate, b1=0.9, b2=0.999, eps=0.001)",
  "scale_by_yogi(b1=0.9, b2=0.999, eps=0.001, eps_root=0.0, initial_accumulator_value=0.000001)",
  "adamaxw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0001, mask=None)",
  "adadelta(learning_rate=None, rho=0.9, eps=0.000001, weight_decay=0.0, weight_decay_mask=None)",
  "scale_by_adadelta(rho=0.9, eps=0.000001)",
  "rprop(learning_rate, eta_minus=0.5, eta_plus=1.2, min_step_size=0.000001, max_step_size=50.0)",
  "scale_by_rprop(learning_rate, eta_minus=0.5, eta_plus=1.2, min_step_size=0.000001, max_step_size=50.0)",
  "zero_nans()",
  "keep_params_nonnegative()",
  "piecewise_interpolate_schedule(interpolate_type, init_value, boundaries_and_scales=None)",
  "linear_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, pct_final=0.85, div_factor=25.0, final_div_factor=10000.0)",
  "cosine_onecycle_schedule(transition_steps, peak_value, pct_start=0.3, div_factor=25.0, final_div_factor=10000.0)",
  "sgdr_schedule(cosine_kwargs)",
  "novograd(learning_rate, b1=0.9, b2=0.25, eps=0.000001, eps_root=0.0, weight_decay=0.0)",
  "scale_by_novograd(b1=0.9, b2=0.25, eps=1e-8, eps_root=0.0, weight_decay=0.0, mu_dtype=None)",
  "lars(learning_rate, weight_decay=0.0, weight_decay_mask=True, trust_coefficient=0.001, eps=0.0, trust_ratio_mask=True, momentum=0.9, nesterov=False)",
  "fromage(learning_rate, min_norm=0.000001)",
  "scale_by_param_block_norm(min_scale=0.001)",
  "scale_by_param_block_rms(min_scale=0.001)",
  "clip_by_block_rms(threshold)",
  "skip_large_updates(max_squared_norm)",
  "radam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, threshold=5.0, *, nesterov=False)",
  "scale_by_radam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, threshold=5.0, *, nesterov=False)",
  "adan(learning_rate, b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=1e-8, weight_decay=0.0, mask=None)",
  "scale_by_adan(b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=0.0)",
  "optimistic_gradient_descent(learning_rate, alpha=1.0, beta=1.0)",
  "scale_by_optimistic_gradient(alpha=1.0, beta=1.0)",
  "optimistic_adam_v2(learning_rate, *, alpha=1.0, beta=1.0, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, nesterov=True)",
  "optimistic_adam(learning_rate, optimism=None, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *, nesterov=True)",
];

describe("optax's names, positional order and defaults", () => {
  for (const sig of SIGNATURES) {
    const name = sig.slice(0, sig.indexOf("("));
    it(name, () => {
      const def = lookup(name);
      expect(def, `${name} is missing`).toBeDefined();
      expect(signature(def!)).toBe(sig);
    });
  }
});

// ------------------------------------------------------------------ elementwise entries

/** optax's scale_by_learning_rate with a constant: u = -lr·x. */
const lr = (rate: number, u: Tensors): Tensors => Object.fromEntries(Object.entries(u).map(([k, x]) => [k, x.map((v) => -rate * v)]));

function signSgd(rate: number): Reference {
  return (g) => lr(rate, Object.fromEntries(Object.entries(g).map(([k, x]) => [k, x.map(Math.sign)])));
}

function signum(rate: number, beta: number): Reference {
  const ema = zeros();
  return (g) => {
    const u = map((k, i) => Math.sign((ema[k][i] = f32((1 - beta) * g[k][i] + beta * ema[k][i]))));
    return lr(rate, u);
  };
}

function amsgrad(rate: number, o: { b1?: number; b2?: number; eps?: number; epsRoot?: number; bcMu?: boolean; bcNu?: boolean } = {}): Reference {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0, bcMu = true, bcNu = true } = o;
  const mu = zeros();
  const nu = zeros();
  const nuMax = zeros();
  let t = 0;
  return (g) => {
    t++;
    const u = map((k, i) => {
      mu[k][i] = f32((1 - b1) * g[k][i] + b1 * mu[k][i]);
      nu[k][i] = f32((1 - b2) * g[k][i] ** 2 + b2 * nu[k][i]);
      const mHat = bcMu ? mu[k][i] / bc(b1, t) : mu[k][i];
      const nuEff = bcNu ? nu[k][i] / bc(b2, t) : nu[k][i];
      nuMax[k][i] = f32(Math.max(nuMax[k][i], nuEff));
      return mHat / (Math.sqrt(nuMax[k][i] + epsRoot) + eps);
    });
    return lr(rate, u);
  };
}

function yogi(rate: number, o: { b1?: number; b2?: number; eps?: number; epsRoot?: number; init?: number } = {}): Reference {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-3, epsRoot = 0, init = 1e-6 } = o;
  const mu = zeros(f32(init));
  const nu = zeros(f32(init));
  let t = 0;
  return (g) => {
    t++;
    const u = map((k, i) => {
      const g2 = g[k][i] ** 2;
      mu[k][i] = f32((1 - b1) * g[k][i] + b1 * mu[k][i]);
      nu[k][i] = f32(nu[k][i] - (1 - b2) * Math.sign(nu[k][i] - g2) * g2);
      return mu[k][i] / bc(b1, t) / (Math.sqrt(nu[k][i] / bc(b2, t) + epsRoot) + eps);
    });
    return lr(rate, u);
  };
}

/** adamaxw: scale_by_adamax → + wd·p (where mask) → -lr. */
function adamaxw(rate: number, wd: number, masked: (k: string) => boolean = () => true): Reference {
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  const mu = zeros();
  const nu = zeros();
  let t = 0;
  return (g, p) => {
    t++;
    const u = map((k, i) => {
      mu[k][i] = f32((1 - b1) * g[k][i] + b1 * mu[k][i]);
      nu[k][i] = f32(Math.max(Math.abs(g[k][i]) + eps, b2 * nu[k][i]));
      return mu[k][i] / bc(b1, t) / nu[k][i] + (masked(k) ? wd * p[k][i] : 0);
    });
    return lr(rate, u);
  };
}

/** adadelta: + wd·p first, then the Adadelta ratio, then -lr (none when rate is null). */
function adadelta(rate: number | null, rho = 0.9, eps = 1e-6, wd = 0): Reference {
  const eG = zeros();
  const eX = zeros();
  return (g, p) => {
    const u = map((k, i) => {
      const x = g[k][i] + wd * p[k][i];
      eG[k][i] = f32((1 - rho) * x * x + rho * eG[k][i]);
      const v = (Math.sqrt(eX[k][i] + eps) / Math.sqrt(eG[k][i] + eps)) * x;
      eX[k][i] = f32((1 - rho) * v * v + rho * eX[k][i]);
      return v;
    });
    return rate === null ? u : lr(rate, u);
  };
}

/** scale_by_rprop then scale(-1), with optax's one-step lag (the update is the previous step's signed step). */
function rprop(rate: number, etaMinus = 0.5, etaPlus = 1.2, minStep = 1e-6, maxStep = 50): Reference {
  const step = zeros(f32(rate));
  const prev = zeros();
  return (g) =>
    map((k, i) => {
      const s = g[k][i] * prev[k][i];
      const old = prev[k][i];
      if (s !== 0) step[k][i] = f32(Math.min(Math.max(step[k][i] * (s > 0 ? etaPlus : etaMinus), minStep), maxStep));
      prev[k][i] = s < 0 ? 0 : f32(step[k][i] * Math.sign(g[k][i]));
      return -(s < 0 ? 0 : old);
    });
}

describe("elementwise entries = a float64 re-derivation of optax's formulas", () => {
  it("sign_sgd", () => agrees("sign_sgd(0.01)", signSgd(0.01)));
  it("scale_by_sign", () => agrees("chain(scale_by_sign(), scale(-0.02))", signSgd(0.02)));
  it("signum", () => agrees("signum(0.01, beta=0.8)", signum(0.01, 0.8)));
  it("amsgrad", () => agrees("amsgrad(0.01, eps_root=1e-8)", amsgrad(0.01, { epsRoot: 1e-8 })));
  it("scale_by_amsgrad without the bias corrections", () =>
    agrees("chain(scale_by_amsgrad(bias_correction_mu=false, bias_correction_nu=false), scale(-0.01))", amsgrad(0.01, { bcMu: false, bcNu: false })));
  it("yogi", () => agrees("yogi(0.01)", yogi(0.01)));
  it("scale_by_yogi", () => agrees("chain(scale_by_yogi(b2=0.9, initial_accumulator_value=0.1, eps_root=1e-8), scale(-0.01))", yogi(0.01, { b2: 0.9, init: 0.1, epsRoot: 1e-8 })));
  it("adamaxw (masked weight decay)", () => agrees('adamaxw(0.01, weight_decay=0.1, mask="a")', adamaxw(0.01, 0.1, (k) => k === "a")));
  it("adadelta", () => agrees("adadelta(1.0, weight_decay=0.01)", adadelta(1.0, 0.9, 1e-6, 0.01)));
  it("adadelta without a learning rate", () => agrees("adadelta()", adadelta(null)));
  it("scale_by_adadelta", () => agrees("chain(scale_by_adadelta(rho=0.95, eps=1e-4), scale(-1.0))", adadelta(1.0, 0.95, 1e-4)));
  it("rprop", () => agrees("rprop(0.01)", rprop(0.01), 8));
  it("scale_by_rprop, clipped both ways", () => agrees("chain(scale_by_rprop(0.05, eta_minus=0.4, min_step_size=0.03, max_step_size=0.1), scale(-1))", rprop(0.05, 0.4, 1.2, 0.03, 0.1), 8));
  it("keep_params_nonnegative", () =>
    agrees("chain(sgd(0.5), keep_params_nonnegative())", (g, p) => map((k, i) => (p[k][i] - 0.5 * g[k][i] < 0 ? -p[k][i] : -0.5 * g[k][i]))));
});

describe("optax's own expected values", () => {
  const rows: Record<string, string[]> = {
    // alias.py docstrings (x0 = [1, 2, 3], update(2x)).
    "sign_sgd(0.003)": ["1.40E+01", "1.39E+01", "1.39E+01", "1.39E+01", "1.38E+01"],
    "amsgrad(0.003)": ["1.40E+01", "1.39E+01", "1.39E+01", "1.39E+01", "1.38E+01"],
    "yogi(0.002)": ["1.40E+01", "1.40E+01", "1.39E+01", "1.39E+01", "1.39E+01"],
    "adamaxw(0.003)": ["1.40E+01", "1.39E+01", "1.39E+01", "1.39E+01", "1.38E+01"],
    "adadelta(10.0)": ["1.36E+01", "1.32E+01", "1.29E+01", "1.25E+01", "1.21E+01"],
    // The first update is 0: optax's rprop returns the previous step's signed step.
    "rprop(0.003)": ["1.40E+01", "1.40E+01", "1.39E+01", "1.39E+01", "1.38E+01"],
  };
  for (const [config, row] of Object.entries(rows)) it(`${config} (docstring)`, async () => expect(await sphere(config)).toEqual(row));

  it("keep_params_nonnegative (_constraining_test.py)", async () => {
    const params = { p0: [-1, -1, -1], p1: [1, 1, 1], p2: [0, 0, 0] };
    for (const [config, want] of [
      ["chain(trace(decay=0), scale(-0.01))", { p0: [-6, 4, -1], p1: [-4, 6, 1], p2: [-5, 5, 0] }],
      ["chain(trace(decay=0), scale(-0.01), keep_params_nonnegative())", { p0: [0, 4, 0], p1: [0, 6, 1], p2: [0, 5, 0] }],
    ] as const) {
      const run = makeRun(config, params);
      for (const k of Object.keys(params)) run.grads[k].set([500, -500, 0]);
      await run.step();
      for (const [k, v] of Object.entries(want)) expect(Array.from(run.params[k]), `${config} ${k}`).toEqual(v);
    }
  });

  it("zero_nans (_constraining_test.py): NaN becomes 0, finite values pass", async () => {
    const run = makeRun("chain(zero_nans(), scale(-1))", { p0: [0, 0, 0], p1: [0, 0, 0], p2: [0, 0, 0] });
    run.grads.p0.set([1, 1, 1]);
    run.grads.p1.set([1, NaN, NaN]);
    run.grads.p2.set([NaN, 1, 1]);
    await run.step();
    // + 0 folds -0 into 0: optax's test compares values.
    expect([run.params.p0, run.params.p1, run.params.p2].map((v) => Array.from(v, (x) => x + 0))).toEqual([[-1, -1, -1], [-1, 0, 0], [0, -1, -1]]);
  });

  it("zero_nans passes ±Inf on, as optax does; the runtime refuses storing it (R207), params unchanged", async () => {
    const run = makeRun("chain(zero_nans(), scale(-1))", { p: [0.5, 0.5, 0.5] });
    run.grads.p.set([1, NaN, Infinity]);
    const err = await run.step().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OptcRuntimeError);
    expect((err as OptcRuntimeError).code).toBe("R207");
    expect(Array.from(run.params.p)).toEqual([0.5, 0.5, 0.5]);
  });

  it("scale_by_sign: sign(0) = 0", async () => {
    const run = makeRun("chain(scale_by_sign(), scale(-1))", { p: [0, 0, 0] });
    run.grads.p.set([-3, 0, 1e-30]);
    await run.step();
    expect(Array.from(run.params.p)).toEqual([1, 0, -1]);
  });
});

// ------------------------------------------------------------------ schedules

/** A schedule's values at counts 0..n-1, read from the host program of scale_by_schedule(schedule). */
function scheduleValues(schedule: string, n: number): number[] {
  const c = compileSource(`scale_by_schedule(${schedule})`);
  expect(c.diagnostics.filter((d) => d.severity === "error"), schedule).toEqual([]);
  const phase = c.artifact!.phases.step;
  const kernel = phase.passes[0].kernels[0];
  const uniform = kernel.uniforms[0];
  // A constant schedule folds into the kernel: its value is the kernel's constant.
  const constant = kernel.kernel.ops.find((o) => o.op === "const") as { value: number } | undefined;
  if (uniform === undefined) return Array.from({ length: n }, () => constant!.value);
  return Array.from({ length: n }, (_, count) => {
    const vals: (number | Float64Array)[] = [];
    evalHost(phase.host, vals, { counter: () => count, reduction: () => 0, maskflags: () => new Float64Array(0), segments: 1 }, 0, Infinity);
    return vals[uniform] as number;
  });
}

const close = (got: number[], want: number[], atol: number) => got.forEach((v, i) => expect(Math.abs(v - want[i]), `count ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(atol));

/** optax's piecewise_interpolate_schedule, re-derived: knots, cumulative products, indicator · interpolation. */
function piecewise(kind: "linear" | "cosine", init: number, table: [number, number][], count: number): number {
  const sorted = [...new Map(table)].sort((x, y) => x[0] - y[0]);
  const bounds = [0, ...sorted.map(([b]) => b)];
  const values = [init];
  for (const [, s] of sorted) values.push(values[values.length - 1] * s);
  let out = bounds[bounds.length - 1] <= count ? values[values.length - 1] : 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    if (!(bounds[i] <= count && count < bounds[i + 1])) continue;
    const pct = (count - bounds[i]) / Math.max(bounds[i + 1] - bounds[i], 1);
    const [a, b] = [values[i], values[i + 1]];
    out += kind === "linear" ? (b - a) * pct + a : b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
  }
  return out;
}

describe("schedules", () => {
  it("piecewise_interpolate_schedule: optax's test_linear_piecewise, test_cos_piecewise, empty and zero-size intervals", () => {
    close(scheduleValues('piecewise_interpolate_schedule("linear", 200.0, {5: 1.5, 10: 0.25})', 13), [200, 220, 240, 260, 280, 300, 255, 210, 165, 120, 75, 75, 75], 1e-3);
    close(scheduleValues('piecewise_interpolate_schedule("cosine", 400.0, {5: 1.2, 3: 0.6, 7: 1.0})', 9), [400, 360, 280, 240, 264, 288, 288, 288, 288], 1e-3);
    close(scheduleValues('piecewise_interpolate_schedule("linear", 13.0, {})', 5), [13, 13, 13, 13, 13], 1e-3);
    close(scheduleValues('piecewise_interpolate_schedule("cosine", 17.0)', 3), [17, 17, 17], 1e-3);
    const zero = scheduleValues('piecewise_interpolate_schedule("linear", 13.0, {0: 2.0, 5: 3.0})', 6);
    expect(zero.every(Number.isFinite)).toBe(true);
    close([zero[0], zero[5]], [26, 78], 1e-9);
  });

  it("piecewise_interpolate_schedule = the re-derivation at every count", () => {
    for (const kind of ["linear", "cosine"] as const) {
      const table: [number, number][] = [[3, 2.0], [4, 0.5], [9, 0.1], [12, 1.0]];
      const src = `piecewise_interpolate_schedule("${kind}", 0.5, {${table.map(([b, s]) => `${b}: ${s}`).join(", ")}})`;
      close(scheduleValues(src, 16), Array.from({ length: 16 }, (_, c) => piecewise(kind, 0.5, table, c)), 1e-15);
    }
  });

  it("linear_onecycle_schedule and cosine_onecycle_schedule: optax's OneCycleTest", () => {
    close(scheduleValues("linear_onecycle_schedule(transition_steps=10, peak_value=1000, pct_start=0.3, pct_final=0.7, div_factor=10.0, final_div_factor=100.0)", 12), [100, 400, 700, 1000, 775, 550, 325, 100, 67, 34, 1, 1], 1e-3);
    close(scheduleValues("cosine_onecycle_schedule(transition_steps=5, peak_value=1000.0, pct_start=0.4, div_factor=10.0, final_div_factor=100.0)", 7), [100, 550, 1000, 750.25, 250.75, 1, 1], 1e-3);
  });

  it("the onecycle defaults = the re-derivation (int(pct·T) boundaries; a repeated boundary keeps its last scale)", () => {
    const T = 17;
    const lin: [number, number][] = [[Math.trunc(0.3 * T), 25], [Math.trunc(0.85 * T), 1 / 25], [T, 1e-4]];
    close(scheduleValues(`linear_onecycle_schedule(${T}, 0.1)`, 20), Array.from({ length: 20 }, (_, c) => piecewise("linear", 0.1 / 25, lin, c)), 1e-15);
    const cos: [number, number][] = [[Math.trunc(0.3 * T), 25], [T, 1 / (25 * 1e4)]];
    close(scheduleValues(`cosine_onecycle_schedule(${T}, 0.1)`, 20), Array.from({ length: 20 }, (_, c) => piecewise("cosine", 0.1 / 25, cos, c)), 1e-15);
    // T = 1: int(0.3) = int(0.85) = 0, so the dict literal keeps {0: 1/25, 1: 1e-4}.
    close(scheduleValues("linear_onecycle_schedule(1, 0.1)", 3), [0.1 / 25 / 25, 0.1 / 25 / 25 * 1e-4, 0.1 / 25 / 25 * 1e-4], 1e-18);
  });

  it("sgdr_schedule: optax's test_limits, and the re-derivation of joined warmup-cosine cycles", () => {
    for (const [lr0, lr1, lr2] of [[1.6, 0.8, 0.4], [1.6, 1.6, 1.6]]) {
      const kw = [[2000, lr0], [3000, lr1], [5000, lr2]].map(([steps, peak]) => `{"decay_steps": ${steps}, "peak_value": ${peak}, "init_value": 0, "end_value": 0.0, "warmup_steps": 500}`);
      const v = scheduleValues(`sgdr_schedule([${kw.join(", ")}])`, 5501);
      close([v[500], v[2500], v[5500]], [lr0, lr1, lr2], 1e-6);
    }
    const cycles = [
      { init: 0.0, peak: 0.1, warmup: 2, decay: 5, end: 0.01, exponent: 1 },
      { init: 0.05, peak: 0.05, warmup: 0, decay: 4, end: 0.0, exponent: 2 },
    ];
    const cycle = (c: (typeof cycles)[number], n: number) => {
      if (n < c.warmup) return c.init + ((c.peak - c.init) * n) / c.warmup;
      const k = Math.min(n - c.warmup, c.decay - c.warmup);
      const alpha = c.end / c.peak;
      return c.peak * ((1 - alpha) * (0.5 * (1 + Math.cos((Math.PI * k) / (c.decay - c.warmup)))) ** c.exponent + alpha);
    };
    const want = Array.from({ length: 12 }, (_, n) => (n < 5 ? cycle(cycles[0], n) : cycle(cycles[1], n - 5)));
    const src = 'sgdr_schedule([{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 2, "decay_steps": 5, "end_value": 0.01}, {"init_value": 0.05, "peak_value": 0.05, "warmup_steps": 0, "decay_steps": 4, "exponent": 2}])';
    close(scheduleValues(src, 12), want, 1e-15);
  });

  it("a schedule drives an optimizer: sgd(linear_onecycle_schedule(...)) = the re-derivation", () => {
    let count = 0;
    const table: [number, number][] = [[3, 25], [8, 1 / 25], [10, 1e-4]];
    return agrees("sgd(linear_onecycle_schedule(10, 0.5))", (g) => lr(piecewise("linear", 0.5 / 25, table, count++), g), 12);
  });
});

// ------------------------------------------------------------------ entries with reductions

const norm = (x: number[]) => Math.sqrt(sumSq(x));
const rms = (x: number[]) => Math.sqrt(sumSq(x) / x.length);
const perTensor = (u: Tensors, f: (k: string, x: number[]) => number[]): Tensors => Object.fromEntries(Object.entries(u).map(([k, x]) => [k, f(k, x)]));

/** optax's scale_by_trust_ratio: u·tc·safe_norm(p, min)/(safe_norm(u, min) + eps), 1 where either norm is 0. */
function trustRatio(u: Tensors, p: Tensors, minNorm: number, tc: number, eps: number): Tensors {
  return perTensor(u, (k, x) => {
    const pn = Math.max(norm(p[k]), minNorm);
    const un = Math.max(norm(x), minNorm);
    const r = pn === 0 || un === 0 ? 1 : (tc * pn) / (un + eps);
    return x.map((v) => v * r);
  });
}

function novograd(rate: number, o: { b1?: number; b2?: number; eps?: number; epsRoot?: number; wd?: number } = {}): Reference {
  const { b1 = 0.9, b2 = 0.25, eps = 1e-6, epsRoot = 0, wd = 0 } = o;
  const mu = zeros();
  const nu: Record<string, number> = {};
  let t = 0;
  return (g, p) => {
    t++;
    const u = perTensor(g, (k, x) => {
      const n2 = norm(x) ** 2;
      nu[k] = f32(t === 1 ? n2 : b2 * nu[k] + (1 - b2) * n2);
      return x.map((v, i) => {
        const a = v / (Math.sqrt(nu[k] + epsRoot) + eps) + wd * p[k][i];
        return (mu[k][i] = f32(t === 1 ? a : b1 * mu[k][i] + a));
      });
    });
    return lr(rate, u);
  };
}

/** lars: + wd·p, trust ratio (masked), -lr, trace(momentum). */
function lars(rate: number, o: { wd?: number; tc?: number; eps?: number; momentum?: number; nesterov?: boolean; trustMask?: (k: string) => boolean } = {}): Reference {
  const { wd = 0, tc = 0.001, eps = 0, momentum = 0.9, nesterov = false, trustMask = () => true } = o;
  const tr = zeros();
  return (g, p) => {
    const d = map((k, i) => g[k][i] + wd * p[k][i]);
    const r = trustRatio(d, p, 0, tc, eps);
    const u = lr(rate, map((k, i) => (trustMask(k) ? r[k][i] : d[k][i])));
    return map((k, i) => {
      tr[k][i] = f32(u[k][i] + momentum * tr[k][i]);
      return nesterov ? u[k][i] + momentum * tr[k][i] : tr[k][i];
    });
  };
}

/** fromage: trust ratio(min_norm), -lr·m, + (m - 1)·p, m = 1/sqrt(1 + lr²); `schedule` gives lr(count). */
function fromage(schedule: (count: number) => number, minNorm = 1e-6): Reference {
  let count = 0;
  return (g, p) => {
    const rate = schedule(count++);
    const m = 1 / (1 + rate ** 2) ** 0.5;
    const u = trustRatio(g, p, minNorm, 1, 0);
    return map((k, i) => -(rate * m) * u[k][i] + (m - 1) * p[k][i]);
  };
}

function radam(rate: number, o: { b1?: number; b2?: number; eps?: number; threshold?: number; nesterov?: boolean } = {}): Reference {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, threshold = 5, nesterov = false } = o;
  const mu = zeros();
  const nu = zeros();
  const roInf = 2 / (1 - b2) - 1;
  let t = 0;
  return (g) => {
    t++;
    const b2t = b2 ** t;
    const ro = roInf - (2 * t * b2t) / (1 - b2t);
    const r = Math.sqrt(((ro - 4) * (ro - 2) * roInf) / ((roInf - 4) * (roInf - 2) * ro));
    const u = map((k, i) => {
      mu[k][i] = f32((1 - b1) * g[k][i] + b1 * mu[k][i]);
      nu[k][i] = f32((1 - b2) * g[k][i] ** 2 + b2 * nu[k][i]);
      const mHat = nesterov ? (b1 * mu[k][i]) / bc(b1, t + 1) + ((1 - b1) * g[k][i]) / bc(b1, t) : mu[k][i] / bc(b1, t);
      return ro >= threshold ? (r * mHat) / (Math.sqrt(nu[k][i] / bc(b2, t)) + eps) : mHat;
    });
    return lr(rate, u);
  };
}

function adan(rate: number, o: { b1?: number; b2?: number; b3?: number; eps?: number; epsRoot?: number; wd?: number } = {}): Reference {
  const { b1 = 0.98, b2 = 0.92, b3 = 0.99, eps = 1e-8, epsRoot = 1e-8, wd = 0 } = o;
  const [m, v, n, prev] = [zeros(), zeros(), zeros(), zeros()];
  let t = 0;
  return (g, p) => {
    const u = map((k, i) => {
      const diff = t === 0 ? 0 : g[k][i] - prev[k][i];
      m[k][i] = f32((1 - b1) * g[k][i] + b1 * m[k][i]);
      v[k][i] = f32((1 - b2) * diff + b2 * v[k][i]);
      n[k][i] = f32((1 - b3) * (g[k][i] + (1 - b2) * diff) ** 2 + b3 * n[k][i]);
      prev[k][i] = g[k][i];
      const T = t + 1;
      return (m[k][i] / bc(b1, T) + (1 - b2) * (v[k][i] / bc(b2, T))) / (Math.sqrt(n[k][i] / bc(b3, T) + epsRoot) + eps) + wd * p[k][i];
    });
    t++;
    return lr(rate, u);
  };
}

/** scale_by_optimistic_gradient over updates x: (alpha + beta)·x - beta·x_prev, x_prev = x at first. */
function optimistic(alpha: number, beta: number): (x: Tensors) => Tensors {
  let prev: Tensors | undefined;
  return (x) => {
    const before = prev ?? x;
    prev = x;
    return map((k, i) => (alpha + beta) * x[k][i] - beta * before[k][i]);
  };
}

/** scale_by_adam (optionally nesterov), as optax writes it. */
function adamDirection(o: { b1?: number; b2?: number; eps?: number; nesterov?: boolean } = {}): (g: Tensors) => Tensors {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, nesterov = false } = o;
  const mu = zeros();
  const nu = zeros();
  let t = 0;
  return (g) => {
    t++;
    return map((k, i) => {
      mu[k][i] = f32((1 - b1) * g[k][i] + b1 * mu[k][i]);
      nu[k][i] = f32((1 - b2) * g[k][i] ** 2 + b2 * nu[k][i]);
      const mHat = nesterov ? (b1 * mu[k][i]) / bc(b1, t + 1) + ((1 - b1) * g[k][i]) / bc(b1, t) : mu[k][i] / bc(b1, t);
      return mHat / (Math.sqrt(nu[k][i] / bc(b2, t)) + eps);
    });
  };
}

describe("entries with reductions = a float64 re-derivation of optax's formulas", () => {
  it("novograd (weight decay inside the moment)", () => agrees("novograd(0.01, weight_decay=0.01)", novograd(0.01, { wd: 0.01 })));
  it("scale_by_novograd", () => agrees("chain(scale_by_novograd(b1=0.8, b2=0.5, eps_root=1e-8), scale(-0.01))", novograd(0.01, { b1: 0.8, b2: 0.5, eps: 1e-8, epsRoot: 1e-8 })));
  it("lars (trust ratio masked to *.weight-like tensor a)", () =>
    agrees('lars(0.1, weight_decay=0.01, trust_ratio_mask="a", trust_coefficient=0.01, nesterov=true)', lars(0.1, { wd: 0.01, tc: 0.01, nesterov: true, trustMask: (k) => k === "a" })));
  it("lars defaults", () => agrees("lars(0.5)", lars(0.5)));
  it("fromage, a number", () => agrees("fromage(0.05)", fromage(() => 0.05)));
  it("fromage, a schedule: lr·m and m - 1 follow it", () => agrees("fromage(cosine_decay_schedule(0.5, 4))", fromage((c) => 0.5 * (0.5 * (1 + Math.cos((Math.PI * Math.min(c, 4)) / 4)))), 6, 1e-5));
  it("scale_by_param_block_norm", () => agrees("chain(scale_by_param_block_norm(), scale(-0.01))", (g, p) => perTensor(g, (k, x) => x.map((v) => -0.01 * v * Math.max(norm(p[k]), 1e-3)))));
  it("scale_by_param_block_rms", () => agrees("chain(scale_by_param_block_rms(min_scale=0.9), scale(-0.01))", (g, p) => perTensor(g, (k, x) => x.map((v) => -0.01 * v * Math.max(rms(p[k]), 0.9)))));
  it("clip_by_block_rms", () => agrees("chain(clip_by_block_rms(1.5), scale(-0.1))", (g) => perTensor(g, (_k, x) => x.map((v) => (-0.1 * v) / Math.max(1, rms(x) / 1.5)))));
  it("radam (the SGD branch for the first steps, then the rectified one)", () => agrees("radam(0.01, threshold=4.0)", radam(0.01, { threshold: 4 }), 8));
  it("scale_by_radam, nesterov, a small b2 so the branch switches early", () => agrees("chain(scale_by_radam(b2=0.8, nesterov=true), scale(-0.01))", radam(0.01, { b2: 0.8, nesterov: true }), 8));
  it("adan", () => agrees("adan(0.01, weight_decay=0.01)", adan(0.01, { wd: 0.01 })));
  it("scale_by_adan (eps_root 0)", () => agrees("chain(scale_by_adan(b2=0.5), scale(-0.01))", adan(0.01, { b2: 0.5, epsRoot: 0 })));
  it("optimistic_gradient_descent", () => {
    const opt = optimistic(0.5, 0.8);
    return agrees("optimistic_gradient_descent(0.01, alpha=0.5, beta=0.8)", (g) => lr(0.01, opt(g)));
  });
  it("optimistic_adam_v2", () => {
    const adam = adamDirection({ nesterov: true });
    const opt = optimistic(1.0, 0.5);
    return agrees("optimistic_adam_v2(0.01, beta=0.5)", (g) => lr(0.01, opt(adam(g))));
  });
  it("optimistic_adam: alpha = learning_rate, beta = optimism, then -1", () => {
    const adam = adamDirection({ nesterov: true });
    const opt = optimistic(0.01, 0.02);
    return agrees("optimistic_adam(0.01, optimism=0.02)", (g) => lr(1, opt(adam(g))));
  });
  it("optimistic_adam: optimism defaults to learning_rate", () => {
    const adam = adamDirection({ nesterov: true });
    const opt = optimistic(0.01, 0.01);
    return agrees("optimistic_adam(0.01)", (g) => lr(1, opt(adam(g))));
  });
  it("skip_large_updates: a mini-step whose ‖g‖² is not below the bound is skipped (MultiSteps)", async () => {
    // MultiSteps(sgd(1), 2): the mean of two accepted mini-steps is applied; a skipped one changes nothing.
    const run = makeRun("MultiSteps(sgd(1.0), 2, should_skip_update_fn=skip_large_updates(max_squared_norm=10.0))", { p: [0, 0] });
    const feed = async (g: number[]) => {
      run.grads.p.set(g);
      await run.step();
      return Array.from(run.params.p);
    };
    expect(await feed([1, 2])).toEqual([0, 0]); // 5 < 10: accumulated
    expect(await feed([3, 1])).toEqual([0, 0]); // 10 is not < 10: skipped
    expect(await feed([NaN, 0])).toEqual([0, 0]); // NaN: skipped, as optax's not(norm < max)
    expect(await feed([Infinity, 0])).toEqual([0, 0]);
    expect(await feed([2, 1])).toEqual([-1.5, -1.5]); // mean of [1, 2] and [2, 1], times -1
  });
});

describe("optax's own expected values (reductions)", () => {
  const rows: Record<string, string[]> = {
    "novograd(0.003)": ["1.40E+01", "1.39E+01", "1.39E+01", "1.38E+01", "1.37E+01"],
    "lars(0.003)": ["1.40E+01", "1.40E+01", "1.40E+01", "1.40E+01", "1.40E+01"],
    "fromage(0.003)": ["1.39E+01", "1.38E+01", "1.37E+01", "1.37E+01", "1.36E+01"],
    "radam(0.003)": ["1.38E+01", "1.37E+01", "1.35E+01", "1.33E+01", "1.32E+01"],
    "adan(0.1)": ["1.28E+01", "1.17E+01", "1.07E+01", "9.68E+00", "8.76E+00"],
    "optimistic_gradient_descent(0.003)": ["1.38E+01", "1.37E+01", "1.35E+01", "1.33E+01", "1.32E+01"],
  };
  for (const [config, row] of Object.entries(rows)) it(`${config} (docstring)`, async () => expect(await sphere(config)).toEqual(row));

  it("scale_by_optimistic_gradient (transform_test.py): g0, then 2·g1 - g0, then 2·g2 - g1", async () => {
    const run = makeRun("scale_by_optimistic_gradient()", { p: [10] });
    const out: number[] = [];
    for (const g of [2, 3, 4]) {
      const before = run.params.p[0];
      run.grads.p[0] = g;
      await run.step();
      out.push(run.params.p[0] - before);
    }
    expect(out).toEqual([2, 2 * 3 - 2, 2 * 4 - 3]);
  });

  it("skip_large_updates is a call (optax's functools.partial); bare, it is E207", () => {
    const bare = compileSource("MultiSteps(sgd(1), 2, should_skip_update_fn=skip_large_updates)");
    expect(bare.diagnostics.map((d) => d.code)).toContain("E207");
    expect(bare.diagnostics[0].message).toContain("takes max_squared_norm");
    expect(compileSource("MultiSteps(sgd(1), 2, should_skip_update_fn=skip_large_updates(10.0))").canonical).toBe("MultiSteps(sgd(1), 2, should_skip_update_fn=skip_large_updates(10.0))");
    expect(compileSource("MultiSteps(sgd(1), 2, should_skip_update_fn=skip_not_finite)").canonical).toBe("MultiSteps(sgd(1), 2, should_skip_update_fn=skip_not_finite)");
  });
});

// The catalog's GPU tests feed finite gradients only; these two let NaN in on purpose.
describe("on the WebGPU target (Dawn): the entries that take non-finite gradients", () => {
  let device: GPUDevice | undefined;
  beforeAll(async () => {
    device = await requireGpu("catalog_optax's WebGPU checks");
  });
  afterAll(() => device?.destroy());

  it("zero_nans zeroes NaN on the device (written with isfinite, not x != x)", async () => {
    if (!device) return;
    const run = await compile("chain(zero_nans(), scale(-1))", { target: "webgpu" }).init({ p: [0, 0, 0, 0, 0] }, { device });
    run.writeGrads({ p: [1, NaN, -2, NaN, 3e38] });
    await run.step();
    expect(Array.from(await run.readParams().then((r) => r.p), (x) => x + 0)).toEqual([-1, 0, 2, 0, Math.fround(-3e38)]);
    run.destroy();
  });

  it("skip_large_updates skips on the device as on the CPU", async () => {
    if (!device) return;
    const run = await compile("MultiSteps(sgd(1.0), 2, should_skip_update_fn=skip_large_updates(max_squared_norm=10.0))", { target: "webgpu" }).init({ p: [0, 0] }, { device });
    for (const g of [[1, 2], [3, 1], [NaN, 0], [Infinity, 0], [2, 1]]) {
      run.writeGrads({ p: g });
      await run.step();
    }
    expect(Array.from((await run.readParams()).p)).toEqual([-1.5, -1.5]);
    run.destroy();
  });
});
