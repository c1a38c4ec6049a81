/** Fusion plans: pass counts and bytes moved, as goldens (DESIGN.md's fusion rule). */
import { describe, expect, it } from "vitest";
import { compileSource } from "../../compiler/pipeline.js";

function plan(config: string): Record<string, { passes: number; bytes: number }> {
  const c = compileSource(config);
  if (!c.plans) throw new Error(c.diagnostics.map((d) => d.message).join("\n"));
  return Object.fromEntries(c.plans.map((p) => [p.name, { passes: p.passes.length, bytes: p.bytesPerElement }]));
}

describe("pass counts", () => {
  it.each([
    ["sgd(0.1)", 1, 12],
    ["adam(1e-3)", 1, 28],
    ["adamw(1e-3)", 1, 28],
    ["lion(1e-3)", 1, 20],
    ["chain(clip_by_global_norm(1.0), adamw(1e-3))", 2, 32],
    ["lamb(1e-3)", 2, 40],
    ["apply_if_finite(adam(1e-3), 5)", 2, 32],
  ])("%s: %i pass(es), %i bytes per parameter", (config, passes, bytes) => {
    expect(plan(config).step).toEqual({ passes, bytes });
  });

  it("paper SAM: adversarial step = 2 passes (norm | perturb + cache), outer step = 1 pass", () => {
    expect(plan("sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)")).toEqual({
      adversarial_first: { passes: 2, bytes: 4 + 16 },
      outer: { passes: 1, bytes: 16 },
    });
  });

  it("a later pass needing an old value moves that store later instead of materialising it", () => {
    // lion's sign(c) uses the old mu; the global norm after it forces a second pass that needs
    // sign(c) again, so mu is written in pass 1, not pass 0.
    const c = compileSource("chain(lion(1e-3), clip_by_global_norm(1.0))");
    const passes = c.plans![0].passes;
    expect(passes.length).toBe(2);
    expect(passes[0].kernels[0].writes).toEqual([]);
    expect(passes[1].kernels[0].writes.sort()).toEqual(["chain[0].lion.mu", "params"]);
  });

  it("lamb reads its moments back in pass 1 instead of recomputing them from old state", () => {
    const passes = compileSource("lamb(1e-3)").plans![0].passes;
    expect(passes[0].kernels[0].writes.sort()).toEqual(["lamb.mu", "lamb.nu"]);
    expect(passes[1].kernels[0].readsBack.sort()).toEqual(["lamb.mu", "lamb.nu"]);
    expect(passes[1].kernels[0].reads).not.toContain("grads");
  });
});
