import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../index.js";
import { tfjsOptimizer } from "../../tfjs.js";
import { codeOf, fit, makeModel } from "./fixture.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("SAM through tfjsOptimizer", () => {
  it("transparent mode lowers the loss in model.fit (each applyGradients is one optax call)", async () => {
    const opt = tfjsOptimizer("sam(adam(0.01), sgd(0.01), sync_period=2)");
    const losses = await fit(makeModel(), opt, 30);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.9);
    expect(opt.count).toBe(30);
  });

  it("opaque mode lowers the loss in model.fit: minimize evaluates f at the perturbed params itself", async () => {
    const opt = tfjsOptimizer("sam(adam(0.01), sgd(0.01), sync_period=3, opaque_mode=true)");
    const losses = await fit(makeModel(), opt, 20);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.9);
    expect(opt.iterations).toBe(20);
  });

  it("opaque mode's minimize(f) equals optc's own run.stepSync({ grads, gradFn }) bit for bit", () => {
    const config = "sam(sgd(0.1), sgd(0.05), sync_period=3, opaque_mode=true)";
    const w0 = [0.5, -1, 2];
    const t = tf.tensor1d([1, 2, 3]);
    const w = tf.variable(tf.tensor1d(w0), true, "sam/w");
    const f = () => tf.sum(tf.mul(tf.square(tf.sub(w, t)), tf.add(w, 3))) as tf.Scalar;
    const opt = tfjsOptimizer(config);
    for (let s = 0; s < 4; s++) opt.minimize(f);

    // The same gradient by hand: d/dw Σ (w-t)²(w+3) = 2(w-t)(w+3) + (w-t)².
    const grad = (p: Float32Array) => Array.from(p, (x, i) => Math.fround(2 * (x - [1, 2, 3][i]) * (x + 3) + (x - [1, 2, 3][i]) ** 2));
    const run = compile(config).initSync({ w: Float32Array.from(w0) });
    for (let s = 0; s < 4; s++) run.stepSync({ grads: { w: grad(run.params.w) }, gradFn: (p) => ({ w: grad(p.w) }) });
    const got = Array.from(w.dataSync());
    Array.from(run.params.w).forEach((x, i) => expect(Math.abs(got[i] - x)).toBeLessThanOrEqual(4e-6 * Math.max(1, Math.abs(x))));
  });

  it("a throwing f (R205) leaves the variables and optimizer state as they were; applyGradients alone is R204", () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, "sam/throw");
    const opt = tfjsOptimizer("sam(sgd(0.1), sgd(0.05), sync_period=2, opaque_mode=true)");
    let calls = 0;
    const f = () => {
      if (++calls === 2) throw new Error("boom");
      return tf.sum(tf.square(w)) as tf.Scalar;
    };
    expect(codeOf(() => opt.minimize(f))).toBe("R205");
    expect(Array.from(w.dataSync())).toEqual([1, 2]);
    expect(opt.count).toBe(0);
    opt.minimize(f);
    expect(opt.count).toBe(1);
    expect(codeOf(() => opt.applyGradients({ [w.name]: tf.ones([2]) }))).toBe("R204");
  });

  it("batch_axis_name takes an allReduce option (R107 without one)", () => {
    const config = "sam(sgd(0.1), sgd(0.05), sync_period=2, opaque_mode=true, batch_axis_name='batch')";
    expect(codeOf(() => tfjsOptimizer(config))).toBe("R107");
    let reduced = 0;
    const opt = tfjsOptimizer(config, {
      allReduce: (g) => {
        reduced++;
        for (const v of Object.values(g)) v.forEach((x, i) => (v[i] = x / 2));
      },
    });
    const w = tf.variable(tf.tensor1d([1, 2]), true, "sam/ar");
    opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    expect(reduced).toBe(1);
  });
});

describe("run.stepSync({ gradFn }): opaque SAM without a promise (runtime)", () => {
  const config = "sam(adam(0.01), sgd(0.05), sync_period=3, opaque_mode=true)";
  const grad = (p: Float32Array) => Array.from(p, (x) => Math.sin(3 * x) + x);
  it("equals await run.step({ grads, gradFn }) bit for bit", async () => {
    const a = compile(config).initSync({ w: [0.3, -0.7, 1.1] });
    const b = compile(config).initSync({ w: [0.3, -0.7, 1.1] });
    for (let s = 0; s < 5; s++) {
      a.stepSync({ grads: { w: grad(a.params.w) }, gradFn: (p) => ({ w: grad(p.w) }) });
      await b.step({ grads: { w: grad(b.params.w) }, gradFn: (p, _i, out) => void out.w.set(grad(p.w)) });
    }
    expect(Array.from(a.params.w)).toEqual(Array.from(b.params.w));
    expect(a.saveState()).toEqual(b.saveState());
    expect(a.outerCount).toBe(5);
  });

  it("refuses a gradFn that returns a promise (R112) or throws (R205), and one missing (R204), changing nothing", () => {
    const run = compile(config).initSync({ w: [0.3, -0.7, 1.1] });
    const before = run.saveState();
    expect(codeOf(() => run.stepSync({ grads: { w: [1, 1, 1] }, gradFn: async () => ({ w: [1, 1, 1] }) }))).toBe("R112");
    expect(codeOf(() => run.stepSync({ grads: { w: [1, 1, 1] }, gradFn: () => { throw new Error("no"); } }))).toBe("R205");
    expect(codeOf(() => run.stepSync({ grads: { w: [1, 1, 1] } }))).toBe("R204");
    expect(run.saveState()).toEqual(before);
  });
});
