/** SAM exactly as spec §9 defines it: worked examples, mode equivalence, optax's own long test. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../index.js";
import { expectClose, makeRun, quadGrad, trajectory } from "../helpers/run.js";
import { model, wavyGrad } from "../helpers/catalog.js";
import { SAM_ROWS_A } from "../helpers/spec_rows.js";

const W0 = [-1, 10, 1];
const TARGET = { w: [1, -1, 1] };
const grad = (p: Record<string, Float32Array>, o: Record<string, Float32Array>) => quadGrad(p, o, TARGET);
const PAPER = "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2)";



describe("§9.8(a) paper SAM", () => {
  for (const backend of ["js", "interp"] as const) {
    it(`transparent rows and phases (${backend})`, async () => {
      const run = makeRun(PAPER, { w: W0 }, backend);
      const phases: string[] = [];
      const perturbed: boolean[] = [];
      for (let call = 0; call < 6; call++) {
        phases.push(run.phase);
        grad(run.params, run.grads);
        await run.step();
        perturbed.push(run.perturbed);
        expectClose(run.params.w, SAM_ROWS_A[call], 1e-6);
      }
      expect(phases).toEqual(["adversarial_first", "outer", "adversarial_first", "outer", "adversarial_first", "outer"]);
      expect(perturbed).toEqual([true, false, true, false, true, false]);
      expect(run.outerCount).toBe(3);
      expect(run.count).toBe(6);
    });
    it(`opaque mode gives rows 2, 4, 6 in three calls (${backend})`, async () => {
      const run = makeRun("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2, opaque_mode=true)", { w: W0 }, backend);
      const traj = await trajectory(run, 3, grad);
      traj.forEach((t, i) => expectClose(t.w, SAM_ROWS_A[2 * i + 1], 1e-6));
    });
  }
  it("the true params are visible while perturbed", async () => {
    const run = makeRun(PAPER, { w: W0 });
    grad(run.params, run.grads);
    await run.step();
    expect(run.perturbed).toBe(true);
    expect(Array.from(run.trueParams.w)).toEqual(W0);
  });
});

describe("§9.8(b) k = 3 with adam", () => {
  const cfg = "sam(adam(0.1), chain(normalize(), adam(0.01)), sync_period=3)";
  it("transparent rows after calls 1, 2, 3 and 6", async () => {
    const traj = await trajectory(makeRun(cfg, { w: W0 }), 6, grad);
    expectClose(traj[0].w, [-1.01, 10.01, 1], 1e-6);
    expectClose(traj[1].w, [-1.0200009, 10.02, 1], 1e-6);
    expectClose(traj[2].w, [-0.9000007, 9.900001, 1], 1e-6);
    // The spec derives in float32; optc's float64 hyperparameter arithmetic drifts ~2e-6 by call 6.
    expectClose(traj[5].w, [-0.8001662, 9.800026, 1], 1e-5);
  });
  it("opaque gives the sync rows after calls 1 and 2", async () => {
    const traj = await trajectory(makeRun("sam(adam(0.1), chain(normalize(), adam(0.01)), sync_period=3, opaque_mode=true)", { w: W0 }), 2, grad);
    expectClose(traj[0].w, [-0.9000007, 9.900001, 1], 1e-6);
    expectClose(traj[1].w, [-0.8001662, 9.800026, 1], 1e-5);
  });
});

describe("§9.8(c) sync_period = 1 (port decision: the plain outer optimizer)", () => {
  it("transparent k=1 equals sgd(0.1) and warns", async () => {
    const opt = compile("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=1)");
    expect(opt.artifact.warnings.join("\n")).toContain("W402");
    const sam = await trajectory(opt.initSync({ w: W0 }), 60, grad);
    const sgd = await trajectory(makeRun("sgd(0.1)", { w: W0 }), 60, grad);
    expect(sam).toEqual(sgd);
    expectClose(sam[3].w, [0.1808, 3.5056, 1], 1e-5);
  });
  it("opaque k=1 is the plain outer optimizer too (and still needs gradFn)", async () => {
    const run = makeRun("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=1, opaque_mode=true)", { w: W0 });
    await expect(run.step()).rejects.toThrow(/R204/);
    const traj = await trajectory(run, 4, grad);
    expectClose(traj[3].w, [0.1808, 3.5056, 1], 1e-5);
  });
});

describe("§9.8(d) zero gradient", () => {
  it("normalize on a zero gradient refuses the step instead of returning NaN; nothing changes", async () => {
    const run = makeRun(PAPER, { w: [1, -1, 1] });
    grad(run.params, run.grads);
    const before = run.saveState();
    await expect(run.step()).rejects.toThrow(/R203.*norm is zero/s);
    expect(run.saveState()).toEqual(before);
    expect(run.phase).toBe("adversarial_first");
  });
  it("normalize(eps=...) allows it", async () => {
    const run = makeRun("sam(sgd(0.1), chain(normalize(eps=1e-12), sgd(0.05)))", { w: [1, -1, 1] });
    grad(run.params, run.grads);
    await run.step();
    expect(Array.from(run.params.w)).toEqual([1, -1, 1]);
  });
});

describe("reset_state and counters", () => {
  it("outer counters advance once per cycle; adversarial state resets at sync unless reset_state=false", async () => {
    for (const reset of [true, false]) {
      const run = makeRun(`sam(adam(0.1), chain(normalize(), adam(0.01)), sync=3, reset_state=${reset})`, { w: W0 });
      await trajectory(run, 6, grad);
      const c = run.counterValues;
      expect(c["sam.optimizer.adam.count"]).toBe(2);
      expect(c["sam.adv_optimizer.chain[1].adam.count"]).toBe(reset ? 0 : 4);
      const mu = run.state("sam.adv_optimizer.chain[1].adam.mu").w;
      expect(Array.from(mu).some((x) => x !== 0)).toBe(!reset);
    }
  });
  it("adamw as the outer optimizer decays the true (cached) params, not the perturbed ones", async () => {
    // One cycle by hand: the outer step must equal adamw applied at θ0 with the gradient at θ1.
    const run = makeRun("sam(adamw(0.1, weight_decay=0.5), chain(normalize(), sgd(0.05)))", { w: W0 });
    grad(run.params, run.grads);
    await run.step();
    const g1 = Array.from(run.params.w, (x, i) => 2 * (x - TARGET.w[i]));
    grad(run.params, run.grads);
    await run.step();
    const plain = makeRun("adamw(0.1, weight_decay=0.5)", { w: W0 });
    plain.grads.w.set(g1);
    await plain.step();
    expectClose(run.params.w, plain.params.w, 1e-6);
  });
});

describe("opaque mode protocol", () => {
  const cfg = "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=3, opaque_mode=true)";
  it("calls gradFn k-1 times with i = 0..k-2, may be async, never exposes perturbed params", async () => {
    const run = makeRun(cfg, { w: W0 });
    const calls: number[] = [];
    grad(run.params, run.grads);
    await run.step({
      gradFn: async (p, i, out) => {
        calls.push(i);
        expect(Array.from(p.w)).not.toEqual(W0);
        await new Promise((r) => setTimeout(r, 1));
        quadGrad(p, out, TARGET);
      },
    });
    expect(calls).toEqual([0, 1]);
    expect(run.perturbed).toBe(false);
    expect(run.phase).toBe("opaque_cycle");
  });
  it("one opaque step equals k transparent steps (k = 2, 3, 4)", async () => {
    for (const k of [2, 3, 4]) {
      const base = `sam(adam(0.05), chain(normalize(), adam(0.01)), sync=${k}`;
      const t = await trajectory(makeRun(`${base})`, model()), 3 * k, wavyGrad);
      const o = await trajectory(makeRun(`${base}, opaque_mode=true)`, model()), 3, wavyGrad);
      for (let c = 0; c < 3; c++) for (const name of Object.keys(o[c])) expectClose(o[c][name], t[k * (c + 1) - 1][name], 2e-6, 1e-7);
    }
  });
  it("batch_axis_name: the allReduce callback averages each gradFn result (fake 2-replica mean)", async () => {
    const cfg2 = 'sam(sgd(0.1), chain(normalize(), sgd(0.05)), opaque_mode=true, batch_axis_name="batch")';
    expect(() => makeRun(cfg2, { w: W0 })).toThrow(/R107/);
    // Replica 0 sees the true gradient, replica 1 a shifted one; their mean is the true gradient + 1.
    const allReduce = (g: Record<string, Float32Array>) => {
      for (let i = 0; i < g.w.length; i++) g.w[i] = (g.w[i] + (g.w[i] + 2)) / 2;
    };
    const run = compile(cfg2).initSync({ w: W0 }, { allReduce });
    grad(run.params, run.grads);
    await run.step({ gradFn: (p, _i, out) => quadGrad(p, out, TARGET) });
    // Equivalent: a gradFn returning the averaged gradient directly.
    const ref = makeRun(cfg2.replace(', batch_axis_name="batch"', ""), { w: W0 });
    grad(ref.params, ref.grads);
    await ref.step({ gradFn: (p, _i, out) => { quadGrad(p, out, TARGET); for (let i = 0; i < 3; i++) out.w[i] += 1; } });
    expect(Array.from(run.params.w)).toEqual(Array.from(ref.params.w));
  });
});

describe("optax's SAM test (spec §9.7), as a long run", () => {
  for (const adv of ["chain(normalize(), sgd(1e-5))", "chain(normalize(), adam(1e-4))"]) {
    for (const opaque of [false, true]) {
      it(`sgd(1e-3) outer, ${adv}, opaque=${opaque}: 50,000 calls reach [1,-1,1]`, async () => {
        const cfg = `sam(sgd(1e-3), ${adv}, sync_period=2, opaque_mode=${opaque})`;
        const run = compile(cfg).initSync({ w: W0 });
        const calls = opaque ? 25000 : 50000;
        for (let c = 0; c < calls; c++) {
          grad(run.params, run.grads);
          if (opaque) await run.step({ gradFn: (p, _i, out) => grad(p, out) });
          else run.stepSync();
        }
        expectClose(run.params.w, TARGET.w, 3e-2, 3e-2);
      });
    }
  }
});

describe("property: random outer/adversarial optimizers and k", () => {
  const outers = ["sgd(0.05)", "adam(0.02)", "adamw(0.02, weight_decay=0.1)", "lamb(0.02)", "sgd(cosine_decay_schedule(0.05, 10), momentum=0.9)", "chain(clip_by_global_norm(1.0), rmsprop(0.01))"];
  const advs = ["chain(normalize(), sgd(0.05))", "chain(normalize(), adam(0.01))", "sgd(0.01)", "chain(clip(0.5), sgd(0.02, momentum=0.5))"];
  it("opaque = transparent, and snapshot/restore mid-cycle is bit-identical", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...outers), fc.constantFrom(...advs), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.integer({ min: 1, max: 5 }), async (o, a, k, reset, cut) => {
        const base = `sam(${o}, ${a}, sync=${k}, reset_state=${reset}`;
        if (k > 1) {
          const t = await trajectory(makeRun(`${base})`, model()), 2 * k, wavyGrad);
          const q = await trajectory(makeRun(`${base}, opaque_mode=true)`, model()), 2, wavyGrad);
          for (const name of Object.keys(q[1])) expectClose(q[1][name], t[2 * k - 1][name], 1e-5, 1e-6);
        }
        // Save after `cut` calls (often mid-cycle), restore into a fresh run, continue: identical.
        const full = makeRun(`${base})`, model());
        const ref = await trajectory(full, cut + 4, wavyGrad);
        const first = makeRun(`${base})`, model());
        await trajectory(first, cut, wavyGrad);
        const resumed = makeRun(`${base})`, { "a.weight": new Array(7).fill(0), "a.bias": new Array(5).fill(0), "b.weight": new Array(9).fill(0), "b.bias": [0] });
        resumed.loadState(first.saveStateBinary());
        const rest = await trajectory(resumed, 4, wavyGrad);
        expect(rest).toEqual(ref.slice(cut));
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});
