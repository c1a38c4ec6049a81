/**
 * Every catalog entry: the generated JS kernels match the reference interpreter bit for bit,
 * over several steps, on a multi-tensor model with awkward sizes (not multiples of 4).
 */
import { describe, expect, it } from "vitest";
import { allNames, lookup } from "../../compiler/registry/index.js";
import { CATALOG_CONFIGS, model, wavyGrad } from "../helpers/catalog.js";
import { makeRun, trajectory } from "../helpers/run.js";

describe("the registry is fully covered here", () => {
  it("every catalog name has a config below", () => {
    expect(allNames().filter((n) => !(n in CATALOG_CONFIGS))).toEqual([]);
  });
});

describe("JS kernels = reference interpreter, bit for bit", () => {
  const configs = { ...CATALOG_CONFIGS, sam_opaque: "sam(sgd(0.1), chain(normalize(), adam(0.01)), sync=3, opaque_mode=true, reset_state=false)", sam_k2: "sam(lamb(0.01), chain(normalize(), sgd(0.05)), sync=2, reset_state=false)" };
  for (const [name, config] of Object.entries(configs)) {
    it(`${name}: ${config}`, async () => {
      expect(lookup(name) !== undefined || name.startsWith("sam_")).toBe(true);
      const js = await trajectory(makeRun(config, model(), "js"), 7, wavyGrad);
      const ref = await trajectory(makeRun(config, model(), "interp"), 7, wavyGrad);
      expect(js).toEqual(ref);
      // The run really moved the params (a transform that did nothing would pass trivially).
      const moved = Object.entries(js[6]).some(([k, v]) => v.some((x, i) => x !== model()[k][i] && Math.fround(model()[k][i]) !== x));
      expect(moved || name === "set_to_zero").toBe(true);
    });
  }
});
