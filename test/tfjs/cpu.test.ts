import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultTarget } from "../../index.js";
import { tfjsOptimizer } from "../../tfjs.js";
import { CASES, codeOf, fit, makeModel, maxUlps, STEPS, weightsOf } from "./fixture.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("tfjsOptimizer on tfjs-cpu", () => {
  for (const c of CASES) {
    it(`${c.name}: model.fit ends where tf.train's ends`, async () => {
      const a = makeModel();
      const b = makeModel();
      const la = await fit(a, c.tfjs());
      const opt = tfjsOptimizer(c.optc);
      const lb = await fit(b, opt);
      const ulps = maxUlps(weightsOf(b), weightsOf(a));
      console.log(c.name, "max ulps", ulps, "loss", la.at(-1), lb.at(-1));
      expect(lb.at(-1)!).toBeLessThan(lb[0]);
      // Tolerance (README, "TensorFlow.js"): 2 float32 ulps per step, relative to max(1, |w|).
      expect(ulps).toBeLessThanOrEqual(2 * STEPS);
      expect(opt.describe()).toMatch(defaultTarget() === "wasm" ? /wasm target .* tfjs-cpu/ : /JS target .* tfjs-cpu/);
      expect(opt.lastStep.directReads).toBe(4);
      expect(opt.lastStep.inPlaceWrites).toBe(4);
    });
  }
});

describe("tfjsOptimizer's other entry points and refusals", () => {
  it("minimize(f) and applyGradients (NamedTensorMap or NamedTensor[]) match tf.train.adam", () => {
    const w0 = Float32Array.from({ length: 10 }, (_, i) => Math.sin(i));
    const target = tf.tensor1d(Float32Array.from({ length: 10 }, (_, i) => Math.cos(i)));
    const run = (opt: tf.Optimizer, tag: string, how: "minimize" | "map" | "list") => {
      const w = tf.variable(tf.tensor1d(w0), true, `${tag}/w`);
      const loss = () => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar;
      for (let s = 0; s < 10; s++) {
        if (how === "minimize") opt.minimize(loss);
        else {
          const { grads } = tf.variableGrads(loss, [w]);
          opt.applyGradients(how === "map" ? grads : [{ name: w.name, tensor: grads[w.name] }]);
          tf.dispose(grads);
        }
      }
      return w.dataSync().slice() as Float32Array;
    };
    const ref = run(tf.train.adam(0.05, 0.9, 0.999, 1e-7), "ref", "minimize");
    for (const how of ["minimize", "map", "list"] as const) {
      const got = run(tfjsOptimizer("adam(0.05, 0.9, 0.999, eps=1e-7)"), `optc-${how}`, how);
      expect(maxUlps([got], [ref])).toBeLessThan(2 * 10 * 4);
    }
  });

  it("chain(clip_by_global_norm(1.0), adamw(1e-3)) lowers the loss in model.fit", async () => {
    const losses = await fit(makeModel(), tfjsOptimizer("chain(clip_by_global_norm(1.0), adamw(1e-2))"));
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.9);
  });

  it("a config that does not compile throws OptcError at tfjsOptimizer(), with its code and caret", () => {
    let err: unknown;
    try {
      tfjsOptimizer("adam(1e-3, bogus=1)");
    } catch (e) {
      err = e;
    }
    expect((err as Error).name).toBe("OptcError");
    expect((err as { diagnostics: { code: string }[] }).diagnostics[0].code).toBe("E202");
    expect((err as Error).message).toContain("^^^^^");
    expect(codeOf(() => tfjsOptimizer(42 as never))).toBe("E100");
    // gpujs must be gpu.js's GPU class (or false): anything else is R112 at once, not a TypeError on tfjs-webgl.
    for (const bad of [42, "gpu.js", {}, () => 1, null]) expect(codeOf(() => tfjsOptimizer("sgd(0.1)", { gpujs: bad }))).toBe("R112");
    expect(codeOf(() => tfjsOptimizer("sgd(0.1)", { gpujs: false }))).toBe("no error");
  });

  it("refuses a changed variable set (R114), non-float32 variables (R115) and malformed gradients (R114), never with a TypeError", () => {
    const a = tf.variable(tf.zeros([3]), true, "r/a");
    const b = tf.variable(tf.zeros([2]), true, "r/b");
    const opt = tfjsOptimizer("sgd(0.1)");
    const g = (n: number) => tf.ones([n]);
    opt.applyGradients({ "r/a": g(3), "r/b": g(2) });
    expect(Array.from(a.dataSync())).toEqual([-0.1, -0.1, -0.1].map(Math.fround));
    expect(codeOf(() => opt.applyGradients({ "r/a": g(3) }))).toBe("R114");
    expect(codeOf(() => opt.applyGradients({ "r/a": g(3), "r/b": g(2), "r/c": g(1) }))).toBe("R114");
    expect(codeOf(() => opt.applyGradients({ "r/a": g(3), "r/b": g(3) }))).toBe("R114");
    expect(codeOf(() => opt.applyGradients({ "r/a": g(3), "r/b": tf.ones([2], "int32") }))).toBe("R115");
    for (const bad of [null, undefined, 7, "x", tf.ones([3]), [{ name: 3, tensor: g(3) }], [null], { "r/a": [1, 2, 3] }, {}]) {
      expect(codeOf(() => opt.applyGradients(bad as never))).toMatch(/^R114$/);
    }
    // Nothing above changed anything.
    expect(Array.from(a.dataSync())).toEqual([-0.1, -0.1, -0.1].map(Math.fround));
    expect(opt.count).toBe(1);
    const fresh = tfjsOptimizer("sgd(0.1)");
    expect(codeOf(() => fresh.applyGradients({ "r/none": g(3) }))).toBe("R114");
    const i = tf.variable(tf.zeros([2], "int32"), true, "r/int");
    expect(codeOf(() => fresh.applyGradients({ "r/int": tf.ones([2], "int32") }))).toBe("R115");
    expect(codeOf(() => fresh.applyGradients({ "r/int": tf.ones([2]) }))).toBe("R115");
    i.dispose();
  });

  it("a refused step (R201) changes no variable; a variable assigned from outside is picked up", () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, "ext/w");
    const opt = tfjsOptimizer("sgd(0.5)");
    opt.applyGradients({ "ext/w": tf.tensor1d([1, 1]) });
    expect(Array.from(w.dataSync())).toEqual([0.5, 1.5]);
    expect(codeOf(() => opt.applyGradients({ "ext/w": tf.tensor1d([NaN, 1]) }))).toBe("R201");
    expect(Array.from(w.dataSync())).toEqual([0.5, 1.5]);
    w.assign(tf.tensor1d([10, 20]));
    opt.applyGradients({ "ext/w": tf.tensor1d([2, 2]) });
    expect(Array.from(w.dataSync())).toEqual([9, 19]);
    // A clone shares the variable's memory: optc then assigns a fresh tensor instead of writing in place.
    const kept = tf.clone(w);
    opt.applyGradients({ "ext/w": tf.tensor1d([2, 2]) });
    expect(Array.from(kept.dataSync())).toEqual([9, 19]);
    expect(Array.from(w.dataSync())).toEqual([8, 18]);
    expect(opt.lastStep.assigns).toBe(1);
  });
});
