/** A model of several tensors equals each tensor alone, except where a global norm couples them. */
import { describe, expect, it } from "vitest";
import { expectClose, makeRun, trajectory } from "../helpers/run.js";
import { model, wavyGrad } from "../helpers/catalog.js";

const PER_ELEMENT = ["sgd(0.05, momentum=0.9)", "adam(0.01)", "adamw(0.01, weight_decay=0.1)", "lion(0.01)", "adagrad(0.1)", "rmsprop(0.01)", "adabelief(0.01)", "adamax(0.01)", "chain(clip(0.5), nadam(0.01))"];
// Per-tensor norms (lamb's trust ratio) are per tensor too, so lamb decouples as well.
const PER_TENSOR = ["lamb(0.01)", "chain(scale_by_adam(), scale_by_trust_ratio(), scale(-0.01))"];

describe("tensors are independent unless a global norm couples them", () => {
  for (const cfg of [...PER_ELEMENT, ...PER_TENSOR]) {
    it(cfg, async () => {
      const together = await trajectory(makeRun(cfg, model()), 5, wavyGrad);
      for (const [name, values] of Object.entries(model())) {
        const alone = await trajectory(makeRun(cfg, { [name]: values }), 5, wavyGrad);
        expect(together.map((t) => t[name])).toEqual(alone.map((t) => t[name]));
      }
    });
  }
  it("clip_by_global_norm couples them: the norm is over all tensors", async () => {
    const cfg = "chain(clip_by_global_norm(1.0), sgd(1.0))";
    const m = model();
    const run = makeRun(cfg, m);
    wavyGrad(run.params, run.grads);
    const g = Object.fromEntries(Object.entries(run.grads).map(([k, v]) => [k, Array.from(v)]));
    const norm = Math.sqrt(Object.values(g).flat().reduce((s, x) => s + x * x, 0));
    await run.step();
    for (const [k, v] of Object.entries(m)) expectClose(run.params[k], v.map((x, i) => x - (g[k][i] / norm) * 1.0), 1e-6, 1e-7);
    const alone = makeRun(cfg, { "a.bias": m["a.bias"] });
    wavyGrad(alone.params, alone.grads);
    await alone.step();
    expect(Array.from(alone.params["a.bias"])).not.toEqual(Array.from(run.params["a.bias"]));
  });
  it("normalize couples them the same way", async () => {
    const run = makeRun("chain(normalize(), sgd(1.0))", model());
    wavyGrad(run.params, run.grads);
    const g = Object.values(run.grads).flatMap((v) => Array.from(v));
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    const before = Object.values(run.params).flatMap((v) => Array.from(v));
    await run.step();
    const after = Object.values(run.params).flatMap((v) => Array.from(v));
    expectClose(after, before.map((x, i) => x - g[i] / norm), 1e-6, 1e-7);
  });
});
