/** The runtime: API errors as diagnostics, steps that fail leave everything as it was, snapshots, wrappers. */
import { describe, expect, it } from "vitest";
import { compile, OptcError } from "../../index.js";
import { OptcRuntimeError } from "../../runtime/errors.js";
import type { Run } from "../../runtime/optimizer.js";
import { makeRun, quadGrad, trajectory } from "../helpers/run.js";

/** Everything a step could change: params, grads, every saved slot and counter. */
function fullState(run: Run) {
  return { state: run.saveState(), grads: Object.fromEntries(Object.entries(run.grads).map(([k, v]) => [k, Array.from(v)])) };
}

describe("init and step API errors", () => {
  it("a config that fails to check throws OptcError with rendered diagnostics", () => {
    expect(() => compile("adam(learning_rte=1e-3)")).toThrow(OptcError);
    try {
      compile("adam(learning_rte=1e-3)");
    } catch (e) {
      expect((e as OptcError).diagnostics[0].code).toBe("E202");
      expect((e as OptcError).message).toContain("^^^^^^^^^^^^");
    }
  });
  it.each([
    [{}, "R101"],
    [{ w: { shape: [2, -1] } }, "R102"],
    [{ w: { shape: [2, 2], data: [1, 2, 3] } }, "R103"],
    [{ w: { shape: [2], data: [1, NaN] } }, "R104"],
  ])("bad tensors %j → %s", (params, code) => {
    expect(() => compile("sgd(0.1)").initSync(params as never)).toThrow(new RegExp(code));
  });
  it("views are zero-copy and shaped per tensor, sorted by name", () => {
    const run = compile("sgd(0.5)").initSync({ w: { shape: [2, 2], data: [1, 2, 3, 4] }, b: { shape: [2] } });
    expect(run.tensors.map((t) => [t.name, t.offset, t.size])).toEqual([["b", 0, 2], ["w", 2, 4]]);
    run.grads.w.set([2, 2, 2, 2]);
    const view = run.params.w;
    run.stepSync();
    expect(Array.from(view)).toEqual([0, 1, 2, 3]);
    expect(run.params.w).toBe(view);
  });
  it("step({ grads }) with a wrong name or size changes nothing", async () => {
    const run = makeRun("adam(0.1)", { w: [1, 2] });
    run.grads.w.set([1, 1]);
    const before = fullState(run);
    await expect(run.step({ grads: { v: [1, 2] } })).rejects.toThrow(/R105.*'v'/s);
    await expect(run.step({ grads: { w: [1, 2, 3] } })).rejects.toThrow(/R106/);
    expect(fullState(run)).toEqual(before);
  });
});

describe("steps that fail leave params, grads and state exactly as they were", () => {
  const configs = ["adam(0.1)", "chain(clip_by_global_norm(1.0), lamb(0.1))", "sam(adam(0.1), chain(normalize(), adam(0.1)), sync=3)"];
  for (const cfg of configs) {
    for (const bad of [NaN, Infinity, -Infinity]) {
      it(`${cfg} with a ${bad} gradient`, async () => {
        const run = makeRun(cfg, { w: [1, 2, 3], b: [0.5] });
        await trajectory(run, 2, (p, o) => quadGrad(p, o));
        quadGrad(run.params, run.grads);
        run.grads.w[1] = bad;
        const before = fullState(run);
        const err = await run.step().catch((e) => e);
        expect(err).toBeInstanceOf(OptcRuntimeError);
        expect(err.message).toMatch(/R201.*w\[1\]/s);
        expect(fullState(run)).toEqual(before);
      });
    }
  }
  it("opaque SAM: a gradFn that throws, returns a wrong shape or NaN restores everything", async () => {
    const cfg = "sam(sgd(0.1), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true, reset_state=false)";
    const run = makeRun(cfg, { w: [1, 2, 3] });
    await trajectory(run, 2, (p, o) => quadGrad(p, o));
    quadGrad(run.params, run.grads);
    const before = fullState(run);
    const bads = [
      () => {
        throw new Error("boom");
      },
      (_p: unknown, i: number) => (i === 1 ? { w: [1, 2] } : { w: [1, 1, 1] }),
      (_p: unknown, i: number) => ({ w: [1, i === 1 ? NaN : 1, 1] }),
    ];
    const codes = ["R205", "R106", "R201"];
    for (const [j, gradFn] of bads.entries()) {
      const err = await run.step({ gradFn: gradFn as never }).catch((e) => e);
      expect(err.message).toContain(codes[j]);
      expect(fullState(run)).toEqual(before);
    }
    await expect(run.step()).rejects.toThrow(/R204/);
  });
  it("validate: false lets a NaN through, as optax would", async () => {
    const run = compile("sgd(0.1)").initSync({ w: [1] }, { validate: false });
    run.grads.w[0] = NaN;
    await run.step();
    expect(run.params.w[0]).toBeNaN();
  });
});

describe("apply_if_finite", () => {
  it("skips non-finite steps (state kept), counts them, then refuses when it would give up", async () => {
    const run = makeRun("apply_if_finite(adam(0.1), max_consecutive_errors=2)", { w: [1, 2] });
    run.grads.w.set([1, 1]);
    await run.step();
    const afterGood = fullState(run).state;
    for (let i = 0; i < 2; i++) {
      run.grads.w.set([NaN, 1]);
      await run.step();
      expect(Array.from(run.params.w)).toEqual(Array.from(afterGood.arenas.params));
      expect(Array.from(run.state("apply_if_finite.inner.adam.mu").w)).toEqual(Array.from(afterGood.arenas["apply_if_finite.inner.adam.mu"]));
    }
    expect(run.counterValues).toMatchObject({ "apply_if_finite.notfinite_count": 2, "apply_if_finite.total_notfinite": 2, "apply_if_finite.last_finite": 0, "apply_if_finite.inner.adam.count": 1 });
    const before = fullState(run);
    await expect(run.step()).rejects.toThrow(/R202/);
    expect(fullState(run)).toEqual(before);
    run.grads.w.set([1, 1]);
    await run.step();
    expect(run.counterValues).toMatchObject({ "apply_if_finite.notfinite_count": 0, "apply_if_finite.total_notfinite": 2, "apply_if_finite.inner.adam.count": 2 });
  });
});

describe("gradient accumulation and masks", () => {
  it("apply_every(3) emits the sum every third step; chained state keeps advancing", async () => {
    const run = makeRun("chain(apply_every(3), sgd(1.0))", { w: [0] });
    const seen: number[] = [];
    for (const g of [1, 2, 3, 4, 5, 6]) {
      run.grads.w[0] = g;
      await run.step();
      seen.push(run.params.w[0]);
    }
    expect(seen).toEqual([0, 0, -6, -6, -6, -21]);
  });
  it("MultiSteps(adam, 3) equals adam on the mean of every 3 gradients", async () => {
    const ms = makeRun("MultiSteps(adam(0.1), 3)", { w: [1, 2] });
    const plain = makeRun("adam(0.1)", { w: [1, 2] });
    const grads = [[1, 2], [3, -1], [2, 2], [0.5, 1], [1, 1], [-1, 3]];
    for (const [i, g] of grads.entries()) {
      ms.grads.w.set(g);
      await ms.step();
      if (i % 3 === 2) {
        const chunk = grads.slice(i - 2, i + 1);
        // Welford's running mean, as optax computes it, in float32 steps.
        let acc = [0, 0];
        chunk.forEach((gg, j) => (acc = acc.map((a, d) => Math.fround(a + (gg[d] - a) / (j + 1)))));
        plain.grads.w.set(acc);
        await plain.step();
        expect(Array.from(ms.params.w)).toEqual(Array.from(plain.params.w));
      }
    }
    expect(ms.counterValues["MultiSteps.gradient_step"]).toBe(2);
  });
  it('adamw(mask=["*", "!*.bias"]) decays weights but not biases; adam runs on both', async () => {
    const masked = makeRun('adamw(0.1, weight_decay=0.5, mask=["*", "!*.bias"])', { "l.weight": [1, 2], "l.bias": [1, 2] });
    const nodecay = makeRun("adamw(0.1, weight_decay=0.0)", { "l.weight": [1, 2], "l.bias": [1, 2] });
    const decay = makeRun("adamw(0.1, weight_decay=0.5)", { "l.weight": [1, 2], "l.bias": [1, 2] });
    for (const r of [masked, nodecay, decay]) {
      r.grads["l.weight"].set([1, -1]);
      r.grads["l.bias"].set([1, -1]);
      await r.step();
    }
    expect(Array.from(masked.params["l.bias"])).toEqual(Array.from(nodecay.params["l.bias"]));
    expect(Array.from(masked.params["l.weight"])).toEqual(Array.from(decay.params["l.weight"]));
  });
});

describe("snapshots", () => {
  it("plain object and binary forms restore bit-identically and refuse foreign snapshots", async () => {
    const cfg = "chain(clip_by_global_norm(1.0), adamw(cosine_decay_schedule(0.1, 20)))";
    const a = makeRun(cfg, { w: [1, 2, 3] });
    await trajectory(a, 3, (p, o) => quadGrad(p, o));
    const plainSnap = a.saveState();
    const binSnap = a.saveStateBinary();
    const rest = await trajectory(a, 3, (p, o) => quadGrad(p, o));
    for (const snap of [plainSnap, binSnap]) {
      const b = makeRun(cfg, { w: [0, 0, 0] });
      b.loadState(snap);
      expect(b.count).toBe(3);
      expect(await trajectory(b, 3, (p, o) => quadGrad(p, o))).toEqual(rest);
    }
    expect(() => makeRun("adam(0.1)", { w: [0, 0, 0] }).loadState(plainSnap)).toThrow(/R303.*another config/s);
    expect(() => makeRun(cfg, { w: [0, 0] }).loadState(plainSnap)).toThrow(/R304/);
    expect(() => makeRun(cfg, { w: [0, 0, 0] }).loadState({ ...plainSnap, version: 99 })).toThrow(/R302/);
    expect(() => makeRun(cfg, { w: [0, 0, 0] }).loadState(new Uint8Array([1, 2, 3]))).toThrow(/R301/);
    const corrupt = binSnap.slice(0, binSnap.length - 4);
    expect(() => makeRun(cfg, { w: [0, 0, 0] }).loadState(corrupt)).toThrow(/R306/);
  });
});

describe("masks over global norms", () => {
  it("masked(clip_by_global_norm) takes the norm over masked-in tensors only; others pass through", async () => {
    const run = makeRun('chain(masked(clip_by_global_norm(1.0), "a*"), sgd(1.0))', { a1: [3, 0], a2: [4], b: [100] });
    run.grads.a1.set([3, 0]);
    run.grads.a2.set([4]);
    run.grads.b.set([100]);
    await run.step();
    // ‖(3, 0, 4)‖ = 5: a* grads become (0.6, 0, 0.8); b is untouched by the clip.
    expect(Array.from(run.params.a1)).toEqual([Math.fround(3 - 0.6), 0]);
    expect(Array.from(run.params.a2)).toEqual([Math.fround(4 - 0.8)]);
    expect(Array.from(run.params.b)).toEqual([0]);
  });
  it("nested masks intersect", async () => {
    const run = makeRun('masked(masked(sgd(1.0), "*.w"), "l1.*")', { "l1.w": [1], "l1.b": [1], "l2.w": [1] });
    for (const t of Object.values(run.grads)) t.fill(1);
    await run.step();
    expect([run.params["l1.w"][0], run.params["l1.b"][0], run.params["l2.w"][0]]).toEqual([0, 2, 2]);
  });
});
