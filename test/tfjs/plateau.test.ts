/**
 * optc/tfjs with reduce_on_plateau, which reads each step's loss: minimize(f) (and so model.fit)
 * passes f's cost to the step as step({ loss }), on tfjs-cpu with real tfjs-core. Checked against
 * an optc run stepped by hand with the same cost and gradients (tfjs-cpu is deterministic, so
 * both see the same bits).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../index.js";
import { tfjsOptimizer } from "../../tfjs.js";
import { codeOf, fit, makeModel } from "./fixture.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const CONFIG = "chain(sgd(0.2), reduce_on_plateau(factor=0.5, patience=1))";
const W0 = Float32Array.from({ length: 6 }, (_, i) => Math.sin(1 + i));
const TARGET = Float32Array.from({ length: 6 }, (_, i) => Math.cos(i));

/** A loss that stops improving: the variable oscillates around the target with sgd(0.2) on |w - t|. */
const lossOf = (w: tf.Variable, t: tf.Tensor) => () => tf.sum(tf.abs(tf.sub(w, t))) as tf.Scalar;

describe("reduce_on_plateau through optc/tfjs: minimize passes its cost as step({ loss })", () => {
  it("minimize(f) steps as an optc run given the same cost and gradients, and the plateau really lowers the scale", () => {
    const t = tf.tensor1d(TARGET);
    const w = tf.variable(tf.tensor1d(W0), true, "plateau/w");
    const opt = tfjsOptimizer(CONFIG);
    const mirror = tf.variable(tf.tensor1d(W0), true, "plateau/mirror");
    const ref = compile(CONFIG).initSync({ w: { shape: [6], data: W0.slice() } });
    for (let s = 0; s < 12; s++) {
      // The reference: tfjs's cost and gradient at the same params, stepped by hand.
      const { value, grads } = tf.variableGrads(lossOf(mirror, t), [mirror]);
      ref.grads.w.set(grads[mirror.name].dataSync());
      ref.stepSync({ loss: value.dataSync()[0] });
      mirror.assign(tf.tensor1d(ref.params.w));
      tf.dispose([value, grads[mirror.name]]);
      const cost = opt.minimize(lossOf(w, t), true);
      cost?.dispose();
      expect(Array.from(w.dataSync()), `step ${s + 1}`).toEqual(Array.from(ref.params.w));
    }
    const scale = Object.entries(ref.counterValues).find(([k]) => k.endsWith(".scale"))?.[1];
    expect(scale).toBeLessThan(1);
    tf.dispose([t, w, mirror]);
    opt.dispose();
  });

  it("model.fit runs (it calls minimize with returnCost), and its loss goes down", async () => {
    const losses = await fit(makeModel(), tfjsOptimizer("chain(adam(0.01), reduce_on_plateau(patience=2))"));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
  });

  it("applyGradients() has no loss: R133; a NaN cost is R133 with the variable unchanged", () => {
    const t = tf.tensor1d(TARGET);
    const w = tf.variable(tf.tensor1d(W0), true, "plateau/w2");
    const opt = tfjsOptimizer(CONFIG);
    const { value, grads } = tf.variableGrads(lossOf(w, t), [w]);
    expect(codeOf(() => opt.applyGradients(grads))).toBe("R133");
    expect(codeOf(() => opt.minimize(() => tf.mul(tf.sum(w), NaN) as tf.Scalar))).toBe("R133");
    expect(Array.from(w.dataSync())).toEqual(Array.from(W0));
    // And the optimizer still steps after the refusals.
    opt.minimize(lossOf(w, t));
    expect(Array.from(w.dataSync())).not.toEqual(Array.from(W0));
    tf.dispose([t, w, value, grads[w.name]]);
    opt.dispose();
  });
});
