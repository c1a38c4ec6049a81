import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultTarget } from "../../index.js";
import { tfjsOptimizer } from "../../tfjs.js";
import { CASES, fit, makeModel, maxUlps, STEPS, weightsOf } from "./fixture.js";

beforeAll(async () => {
  await import("@tensorflow/tfjs-backend-wasm");
  await tf.setBackend("wasm");
});

describe("tfjsOptimizer on tfjs-wasm", () => {
  it("runs on wasm", () => expect(tf.getBackend()).toBe("wasm"));
  for (const c of CASES) {
    it(`${c.name}: model.fit ends where tf.train's ends`, async () => {
      const a = makeModel();
      const b = makeModel();
      await fit(a, c.tfjs());
      const opt = tfjsOptimizer(c.optc);
      const losses = await fit(b, opt);
      expect(losses.at(-1)!).toBeLessThan(losses[0]);
      // The same tolerance as on cpu: 2 float32 ulps per step, relative to max(1, |w|).
      expect(maxUlps(weightsOf(b), weightsOf(a))).toBeLessThanOrEqual(2 * STEPS);
      expect(opt.describe()).toMatch(defaultTarget() === "wasm" ? /wasm target .* tfjs-wasm/ : /JS target .* tfjs-wasm/);
      expect(opt.lastStep.directReads).toBe(4);
      expect(opt.lastStep.syncReads).toBe(0);
      expect(opt.lastStep.assigns).toBe(4);
    });
  }

  it("heap growth between steps does not break the copies (views are made per copy)", () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, "wasm/w");
    const opt = tfjsOptimizer("sgd(0.5)");
    opt.applyGradients({ [w.name]: tf.tensor1d([1, 1, 1]) });
    const big = tf.zeros([16 * 1024 * 1024]); // 64 MB: grows the wasm heap
    opt.applyGradients({ [w.name]: tf.tensor1d([1, 1, 1]) });
    big.dispose();
    expect(Array.from(w.dataSync())).toEqual([0, 1, 2]);
  });
});
