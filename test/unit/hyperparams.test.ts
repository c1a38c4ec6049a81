/**
 * inject_hyperparams: what run.hyperparams lists, that wrapping changes nothing, that
 * setHyperparam mid-run equals a run compiled with the new value from that step on (bit for bit
 * on the JS kernels and the interpreter; within ulps on WebGPU and gpu.js), an independent
 * float64 re-derivation of Adam whose learning rate changes mid-run, and snapshots carrying the
 * values.
 */
import gpujs from "gpu.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, compileReference, GpuJsRun, type GpuJsInstance } from "../../index.js";
import type { Run } from "../../runtime/optimizer.js";
import type { StateSnapshot } from "../../runtime/state.js";
import { CATALOG_CONFIGS, model, plateauLoss, wavyGrad } from "../helpers/catalog.js";
import { requireGpu } from "../helpers/gpu.js";
import { bigModel, expectClose, makeRun, trajectory, type Backend } from "../helpers/run.js";

type Tensors = Record<string, Float32Array>;
const inject = (config: string) => `inject_hyperparams(${config})`;
const tensors = (m: Record<string, number[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));

describe("run.hyperparams lists inner's numeric arguments by path, with their values", () => {
  it("an alias: its own argument names", () => {
    expect(makeRun(inject("adam(0.01)"), model()).hyperparams).toEqual({ learning_rate: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, eps_root: 0 });
  });
  it("chain's transforms by position; a nested call by the argument that holds it", () => {
    const run = makeRun(inject("chain(clip_by_global_norm(1.0), sgd(0.1, momentum=0.9))"), model());
    expect(run.hyperparams).toEqual({ "0.max_norm": 1, "1.momentum": 0.9, "1.learning_rate": 0.1 });
    const multi = makeRun(inject("MultiSteps(adam(0.01), every_k_schedule=2)"), model());
    expect(Object.keys(multi.hyperparams).sort()).toEqual(["every_k_schedule", "opt.b1", "opt.b2", "opt.eps", "opt.eps_root", "opt.learning_rate"]);
    // apply_if_finite's limit is part of its refusal's message: it stays compiled in, and says so.
    const finite = makeRun(inject("apply_if_finite(adam(0.01), 3)"), model());
    expect(Object.keys(finite.hyperparams).sort()).toEqual(["inner.b1", "inner.b2", "inner.eps", "inner.eps_root", "inner.learning_rate"]);
    expect(finite.artifact.fixedHyperparams).toEqual([{ name: "max_consecutive_errors", why: "compiled" }]);
  });
  it("schedules stay schedules: a schedule-valued argument is listed as fixed and its numbers are not injected", () => {
    const run = makeRun(inject("adamw(cosine_decay_schedule(0.1, 10), weight_decay=0.01)"), model());
    expect(run.hyperparams).toEqual({ b1: 0.9, b2: 0.999, eps: 1e-8, eps_root: 0, weight_decay: 0.01 });
    expect(run.artifact.fixedHyperparams).toEqual([{ name: "learning_rate", why: "schedule" }]);
  });
  it("a config without inject_hyperparams has none, and its artifact carries no such fields", () => {
    const run = makeRun("adam(0.01)", model());
    expect(run.hyperparams).toEqual({});
    expect(run.artifact.hyperparams).toBeUndefined();
    expect(run.saveState().hyperparams).toBeUndefined();
  });
});

describe("static_args: the named arguments stay compiled in, as in plain inner", () => {
  /** The phases' kernels and host programs, with the wrapper's path taken out of slot names. */
  const phases = (config: string) => JSON.stringify(compile(config, { target: "js" }).artifact.phases).replaceAll("inject_hyperparams.inner.", "");
  it("a static argument is not in run.hyperparams: it is listed as fixed, and its value is no host input", () => {
    const run = makeRun(inject('adam(0.01, b1=0.8), static_args=("b1",)'), model());
    expect(run.hyperparams).toEqual({ learning_rate: 0.01, b2: 0.999, eps: 1e-8, eps_root: 0 });
    expect(run.artifact.fixedHyperparams).toEqual([{ name: "b1", why: "static" }]);
    expect(phases(inject('adam(0.01, b1=0.8), static_args=("b1",)'))).not.toContain('"hyper:b1"');
    expect(phases(inject("adam(0.01, b1=0.8)"))).toContain('"hyper:b1"');
  });
  it('a single name is a tuple of one, as in optax (static_args="b1", ("b1"))', () => {
    for (const spelling of ['"b1"', '("b1")', '["b1"]']) expect(Object.keys(makeRun(inject(`adam(0.01), static_args=${spelling}`), model()).hyperparams)).not.toContain("b1");
  });
  it("every argument static: the artifact's phases are plain inner's, and no hyperparameter is left", () => {
    const all = inject('adam(0.01, b1=0.8), static_args=("learning_rate", "b1", "b2", "eps", "eps_root")');
    expect(phases(all)).toBe(phases("adam(0.01, b1=0.8)"));
    expect(makeRun(all, model()).artifact.hyperparams).toBeUndefined();
  });
  it("a nested transform's path makes everything in it static; its siblings stay runtime values", () => {
    const run = makeRun(inject('chain(clip_by_global_norm(1.0), sgd(0.1, momentum=0.9)), static_args=("1",)'), model());
    expect(run.hyperparams).toEqual({ "0.max_norm": 1 });
    expect(run.artifact.fixedHyperparams).toEqual([
      { name: "1.learning_rate", why: "static" },
      { name: "1.momentum", why: "static" },
    ]);
  });
  it("the trajectory is plain inner's, bit for bit, and a static schedule stays a schedule", async () => {
    for (const config of ["adam(0.01, b1=0.8)", "adamw(cosine_decay_schedule(0.1, 10), weight_decay=0.01)"]) {
      const wrapped = makeRun(inject(`${config}, static_args=("b1", "learning_rate")`), model());
      expect(await trajectory(wrapped, 6, wavyGrad)).toEqual(await trajectory(makeRun(config, model()), 6, wavyGrad));
    }
  });
  it("setHyperparam on a static argument is R131 and names static_args; the run is unchanged", () => {
    const run = makeRun(inject('adam(0.01), static_args=("b1",)'), model());
    const before = run.hyperparams;
    expect(() => run.setHyperparam("b1", 0.5)).toThrow(/R131.*static_args/s);
    expect(run.hyperparams).toEqual(before);
  });
  it('a name that is not a parameter of inner nor a path is E304 with a "did you mean" or the valid names', () => {
    const diag = (config: string) => {
      try {
        compile(config);
      } catch (e) {
        return (e as { diagnostics: { code: string; message: string; hint?: string }[] }).diagnostics[0];
      }
      throw new Error(`compiled: ${config}`);
    };
    expect(diag(inject('adam(0.01), static_args=("b3",)'))).toMatchObject({ code: "E304", hint: "did you mean 'b1'?" });
    expect(diag(inject('chain(clip(1.0), sgd(0.1)), static_args=("1.momentun_x",)'))).toMatchObject({ code: "E304", hint: "chain()'s hyperparameters: 0.max_delta, 1.learning_rate" });
    expect(diag(inject("adam(0.01), static_args=(1,)")).code).toBe("E301");
    expect(diag(inject('adam(0.01), hyperparam_dtype="bfloat16"')).code).toBe("E307");
    // optax's rule: any parameter of inner is a valid name (a boolean or None one changes nothing).
    expect(makeRun(inject('sgd(0.1), static_args=("nesterov", "momentum")'), model()).hyperparams).toEqual({ learning_rate: 0.1 });
  });
});

describe("setHyperparam keeps the checker's rules between two arguments (eps and eps_root not both 0)", () => {
  const compiles = (config: string) => {
    try {
      compile(config);
      return true;
    } catch {
      return false;
    }
  };
  const accepts = (run: Run, path: string, v: number) => {
    try {
      run.setHyperparam(path, v);
      return true;
    } catch {
      return false;
    }
  };
  const EPS = [0, 1e-39, 1e-30, 1e-8];
  for (const inner of ["adam", "adabelief", "ademamix"]) {
    it(`${inner}: a pair setHyperparam takes is exactly a pair the checker compiles`, () => {
      for (const eps of EPS) {
        for (const epsRoot of EPS) {
          // From a valid start, set eps_root then eps; the run ends at the pair only when each step is allowed.
          const run = makeRun(inject(`${inner}(0.01, eps=1e-8, eps_root=1e-8)`), model());
          const got = accepts(run, "eps_root", epsRoot) && accepts(run, "eps", eps);
          const viaEpsFirst = makeRun(inject(`${inner}(0.01, eps=1e-8, eps_root=1e-8)`), model());
          const gotEpsFirst = accepts(viaEpsFirst, "eps", eps) && accepts(viaEpsFirst, "eps_root", epsRoot);
          const expected = compiles(`${inner}(0.01, eps=${eps}, eps_root=${epsRoot})`);
          expect(got, `eps=${eps} eps_root=${epsRoot}`).toBe(expected);
          expect(gotEpsFirst, `eps=${eps} eps_root=${epsRoot}`).toBe(expected);
          if (expected) expect(run.hyperparams).toMatchObject({ eps, eps_root: epsRoot });
        }
      }
    });
  }
  it("the refusal is R132 and names both arguments and their values; the run is unchanged", () => {
    const run = makeRun(inject("chain(clip(1.0), adam(0.01))"), model());
    const before = run.hyperparams;
    expect(() => run.setHyperparam("1.eps", 0)).toThrow(/R132.*'1\.eps' = 0 with '1\.eps_root' = 0.*eps and eps_root cannot both be.*change '1\.eps_root' first/s);
    expect(run.hyperparams).toEqual(before);
    run.setHyperparam("1.eps_root", 1e-10);
    run.setHyperparam("1.eps", 0);
    expect(() => run.setHyperparam("1.eps_root", 0)).toThrow(/R132.*'1\.eps_root' = 0 with '1\.eps' = 0/s);
    expect(run.hyperparams).toMatchObject({ "1.eps": 0, "1.eps_root": 1e-10 });
  });
  it("against a static argument the rule uses its compiled value, and says it is compiled in", () => {
    const run = makeRun(inject('adam(0.01), static_args=("eps_root",)'), model());
    expect(run.artifact.hyperparamRelations).toEqual([expect.objectContaining({ operands: [{ name: "eps", input: "hyper:eps", value: 1e-8 }, { name: "eps_root", value: 0 }] })]);
    expect(() => run.setHyperparam("eps", 0)).toThrow(/R132.*'eps_root' is compiled in/s);
    expect(makeRun(inject('adam(0.01, eps_root=1e-8), static_args=("eps_root",)'), model()).setHyperparam("eps", 0)).toBeUndefined();
    // Both static: no rule is left for the runtime.
    expect(makeRun(inject('adam(0.01), static_args=("eps", "eps_root")'), model()).artifact.hyperparamRelations).toBeUndefined();
  });
  it("a snapshot whose pair the rule refuses is R307, the run unchanged", () => {
    const run = makeRun(inject("adam(0.01)"), model());
    const snap = run.saveState();
    expect(() => run.loadState({ ...snap, hyperparams: { ...snap.hyperparams, eps: 0 } })).toThrow(/R307.*'eps' = 0 and 'eps_root' = 0/s);
    expect(run.hyperparams.eps).toBe(1e-8);
  });
});

describe("wrapping changes nothing: inject_hyperparams(X) = X bit for bit (JS kernels)", () => {
  const wrappable = Object.entries(CATALOG_CONFIGS).filter(([name]) => !["sam", "inject_hyperparams", "ema_params"].includes(name));
  for (const [name, config] of wrappable) {
    it(`${name}: ${config}`, async () => {
      expect(await trajectory(makeRun(inject(config), model()), 6, wavyGrad)).toEqual(await trajectory(makeRun(config, model()), 6, wavyGrad));
    });
  }
});

/** Copies `from`'s state into `to`, a run of another config with the same state layout (slot names differ by the wrapper's path). */
function transferState(from: Run, to: Run): void {
  const a = from.saveState();
  const b = to.saveState();
  const suffix = (name: string) => name.replace(/^inject_hyperparams\.inner\./, "");
  const pairs = <T>(x: Record<string, T>, y: Record<string, T>) => {
    const xs = Object.keys(x);
    const ys = Object.keys(y);
    expect(xs.map(suffix)).toEqual(ys.map(suffix));
    return Object.fromEntries(ys.map((k, i) => [k, x[xs[i]]]));
  };
  const moved: StateSnapshot = { ...b, count: a.count, outerCount: a.outerCount, counters: pairs(a.counters, b.counters), arenas: pairs(a.arenas, b.arenas) };
  to.loadState(moved);
}

async function steps(run: Run, from: number, n: number): Promise<Record<string, number[]>[]> {
  const out: Record<string, number[]>[] = [];
  for (let s = from; s < from + n; s++) {
    wavyGrad(run.params, run.grads);
    await run.step({ loss: plateauLoss(s) });
    out.push(Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, Array.from(v)])));
  }
  return out;
}

/** [what, config template, path, value compiled in, value set after 3 steps]. */
const CHANGES: [string, (v: number) => string, string, number, number][] = [
  ["adamw's learning rate", (v) => `adamw(${v}, weight_decay=0.1)`, "learning_rate", 0.01, 0.003],
  ["adam's b1", (v) => `adam(0.01, b1=${v})`, "b1", 0.9, 0.5],
  ["adam's eps (nesterov)", (v) => `adam(0.01, eps=${v}, nesterov=true)`, "eps", 1e-8, 0.01],
  ["adamw's weight decay from 0 (its term is kept for the runtime value)", (v) => `adamw(0.01, weight_decay=${v})`, "weight_decay", 0.0, 0.05],
  ["clip_by_global_norm's max_norm inside a chain", (v) => `chain(clip_by_global_norm(${v}), sgd(0.1, momentum=0.9))`, "0.max_norm", 1.0, 0.3],
  ["sgd's momentum inside a chain", (v) => `chain(clip_by_global_norm(1.0), sgd(0.1, momentum=${v}))`, "1.momentum", 0.9, 0.5],
  ["adabelief's b2", (v) => `adabelief(0.01, b2=${v})`, "b2", 0.999, 0.9],
  ["lion's learning rate", (v) => `lion(${v}, weight_decay=0.01)`, "learning_rate", 0.003, 0.001],
  ["a chain's scale", (v) => `chain(scale_by_adam(), scale(${v}))`, "1.step_size", -0.01, -0.02],
];

describe("setHyperparam mid-run = a run compiled with the new value, from that step on, bit for bit", () => {
  for (const backend of ["js", "interp"] as Backend[]) {
    for (const [what, template, path, before, after] of CHANGES) {
      it(`${what}: ${path} ${before} → ${after} (${backend})`, async () => {
        const run = makeRun(inject(template(before)), model(), backend);
        await steps(run, 0, 3);
        run.setHyperparam(path, after);
        expect(run.hyperparams[path]).toBe(after);
        const recompiled = makeRun(template(after), model(), backend);
        transferState(run, recompiled);
        const got = await steps(run, 3, 4);
        expect(got).toEqual(await steps(recompiled, 3, 4));
        // And the change really changed the trajectory.
        const unchanged = makeRun(inject(template(before)), model(), backend);
        await steps(unchanged, 0, 3);
        expect(await steps(unchanged, 3, 4)).not.toEqual(got);
      });
    }
  }
});

describe("an independent re-derivation: Adam whose learning rate changes at step 3", () => {
  it("float64 host math over float32 state, from optax's scale_by_adam and scale_by_learning_rate", async () => {
    const w0 = [0.5, -1.25, 2, 0.125, -0.75];
    const run = compile(inject("adam(0.05)")).initSync({ w: { shape: [5], data: Float32Array.from(w0) } });
    const p = Float32Array.from(w0);
    const mu = new Float32Array(5);
    const nu = new Float32Array(5);
    for (let t = 1; t <= 6; t++) {
      const lr = t <= 3 ? 0.05 : 0.01;
      if (t === 4) run.setHyperparam("learning_rate", 0.01);
      const g = Array.from(p, (x) => Math.fround(2 * x - 1)); // the grads arena holds float32
      run.grads.w.set(g);
      run.stepSync();
      for (let i = 0; i < 5; i++) {
        mu[i] = (1 - 0.9) * g[i] + 0.9 * mu[i];
        nu[i] = (1 - 0.999) * g[i] * g[i] + 0.999 * nu[i];
        const u = mu[i] / (1 - 0.9 ** t) / (Math.sqrt(nu[i] / (1 - 0.999 ** t)) + 1e-8);
        p[i] = p[i] - lr * u;
      }
      expectClose(run.params.w, p, 0);
      expectClose(run.state("inject_hyperparams.inner.adam.mu").w, mu, 0);
    }
  });
});

describe("snapshots carry the hyperparameters", () => {
  const config = inject("chain(clip_by_global_norm(1.0), adamw(0.01, weight_decay=0.1))");
  it("saveState / loadState, the binary form and the JSON form round-trip the values; reset() restores the compiled ones", async () => {
    const a = makeRun(config, model());
    await steps(a, 0, 2);
    a.setHyperparam("1.learning_rate", 0.002);
    a.setHyperparam("0.max_norm", 0.5);
    const snap = a.saveState();
    expect(snap.hyperparams?.["1.learning_rate"]).toBe(0.002);
    for (const form of [snap, a.saveStateBinary(), JSON.parse(JSON.stringify(snap)) as StateSnapshot]) {
      const b = makeRun(config, model());
      b.loadState(form);
      expect(b.hyperparams).toEqual(a.hyperparams);
      const c = makeRun(config, model());
      c.loadState(snap);
      expect(await steps(b, 2, 3)).toEqual(await steps(c, 2, 3));
    }
    const fresh = makeRun(config, model());
    a.reset();
    expect(a.hyperparams).toEqual(fresh.hyperparams);
  });
});

// ------------------------------------------------------------------ GPU targets

const CASE = { template: (v: number) => `chain(clip_by_global_norm(1.0), adamw(${v}, weight_decay=0.1))`, path: "1.learning_rate", before: 0.01, after: 0.003 };
const ULP = 2 ** -23;

async function reference(): Promise<Record<string, number[]>[]> {
  const run = makeRun(inject(CASE.template(CASE.before)), bigModel(), "interp");
  const out = await steps(run, 0, 3);
  run.setHyperparam(CASE.path, CASE.after);
  return [...out, ...(await steps(run, 3, 3))];
}

interface DeviceLike {
  readParams(): Promise<Tensors>;
  writeGrads(g: Record<string, ArrayLike<number>>): void;
  step(o?: { loss?: number }): Promise<void>;
  setHyperparam(path: string, v: number): void;
}

async function deviceTrajectory(run: DeviceLike): Promise<Record<string, number[]>[]> {
  const out: Record<string, number[]>[] = [];
  for (let s = 0; s < 6; s++) {
    if (s === 3) run.setHyperparam(CASE.path, CASE.after);
    const p = await run.readParams();
    const g = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float32Array(v.length)]));
    wavyGrad(p, g);
    run.writeGrads(g);
    await run.step({ loss: plateauLoss(s) });
    out.push(Object.fromEntries(Object.entries(await run.readParams()).map(([k, v]) => [k, Array.from(v)])));
  }
  return out;
}

function expectWithinUlps(got: Record<string, number[]>[], ref: Record<string, number[]>[]): void {
  got.forEach((step, s) => {
    for (const [k, v] of Object.entries(step)) v.forEach((x, i) => expect(Math.abs(x - ref[s][k][i]), `step ${s + 1} ${k}[${i}]`).toBeLessThanOrEqual(4 * ULP * (s + 1) * Math.max(1, Math.abs(ref[s][k][i]))));
  });
}

describe("setHyperparam on the GPU targets: the interpreter's numbers within ulps", () => {
  let device: GPUDevice | undefined;
  beforeAll(async () => {
    device = await requireGpu("inject_hyperparams on WebGPU");
  });
  afterAll(() => device?.destroy());

  it("WebGPU (Dawn): the learning rate set after 3 queued steps reaches the kernels' uniforms", async () => {
    if (!device) return;
    const run = await compile(inject(CASE.template(CASE.before)), { target: "webgpu" }).init(tensors(bigModel()), { device });
    const got = await deviceTrajectory(run);
    expectWithinUlps(got, await reference());
    // The change is visible in the numbers: without it step 6 differs by far more than ulps.
    const plain = await trajectory(makeRun(inject(CASE.template(CASE.before)), bigModel(), "interp"), 6, wavyGrad);
    expect(Math.abs(got[5]["a.weight"][0] - plain[5]["a.weight"][0])).toBeGreaterThan(1e-4);
    run.destroy();
  });

  it("gpu.js (cpu mode, in Node): the host-written table slot carries the new value", async () => {
    const { GPU } = gpujs as unknown as { GPU: new (s: { mode: string }) => GpuJsInstance };
    const run = await GpuJsRun.create(compile(inject(CASE.template(CASE.before)), { target: "gpujs" }).artifact, tensors(bigModel()), { gpu: new GPU({ mode: "cpu" }) });
    expectWithinUlps(await deviceTrajectory(run), await reference());
    expect(run.hyperparams[CASE.path]).toBe(CASE.after);
    const snap = await run.saveState();
    expect(snap.hyperparams?.[CASE.path]).toBe(CASE.after);
  });
});

describe("the reference compiler sees the same inputs", () => {
  it("compileReference runs inject_hyperparams", () => {
    const run = compileReference(inject("sgd(0.1)")).initSync(tensors({ w: [1, 2] }));
    run.setHyperparam("learning_rate", 0.5);
    run.grads.w.set([1, 1]);
    run.stepSync();
    expect(Array.from(run.params.w)).toEqual([0.5, 1.5]);
  });
});
