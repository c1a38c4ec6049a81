/** The step IR's text form (compiler/ir/print.ts) and verifier (compiler/ir/verify.ts). */
import { describe, expect, it } from "vitest";
import { Builder } from "../../compiler/ir/builder.js";
import type { IrNode, StepProgram } from "../../compiler/ir/node.js";
import { printLowered, printProgram } from "../../compiler/ir/print.js";
import { assertValid, verifyLowered, verifyProgram } from "../../compiler/ir/verify.js";
import type { LoweredConfig } from "../../compiler/lower/lower.js";
import { compileSource, setLoweredCheck } from "../../compiler/pipeline.js";
import { verifyEveryLowering } from "../helpers/setup.js";
import { CATALOG_CONFIGS } from "../helpers/catalog.js";

function lowered(config: string): LoweredConfig {
  const c = compileSource(config);
  if (!c.lowered) throw new Error(c.diagnostics.map((d) => d.message).join("\n"));
  return c.lowered;
}

const SAM_CONFIGS: string[] = [];
for (const mode of ["false", "true"]) {
  for (const k of [1, 2, 3]) {
    SAM_CONFIGS.push(`sam(adam(0.01), chain(normalize(), sgd(0.05)), sync_period=${k}, opaque_mode=${mode})`);
    SAM_CONFIGS.push(`sam(sgd(0.1, momentum=0.9), adam(0.01), sync_period=${k}, opaque_mode=${mode}, reset_state=false)`);
  }
}

const EXTRA_CONFIGS = [
  "sgd(0.1)",
  "adam(1e-3)",
  "lamb(1e-3)",
  "chain(lion(1e-3), clip_by_global_norm(1.0))",
  'masked(chain(clip_by_global_norm(1.0), sgd(0.1)), "*.weight")',
  'masked(lamb(1e-3), ["*", "!*.bias"])',
  "apply_if_finite(chain(normalize(), sgd(0.1)), 2)",
];

describe("verifyProgram accepts everything the compiler produces", () => {
  const configs = [...Object.entries(CATALOG_CONFIGS), ...[...SAM_CONFIGS, ...EXTRA_CONFIGS].map((s) => [s, s] as const)];
  it.each(configs)("%s", (_name, config) => {
    const l = lowered(config);
    expect(l.phases.length).toBeGreaterThan(0);
    for (const p of l.phases) {
      expect(verifyProgram(p), p.name).toEqual([]);
      expect(() => assertValid(p)).not.toThrow();
    }
    expect(verifyLowered(l)).toEqual([]);
  });

  it("SAM configs lower to the documented phases", () => {
    const names = (s: string) => lowered(s).phases.map((p) => p.name);
    expect(names(SAM_CONFIGS[0])).toEqual(["outer"]);
    expect(names(SAM_CONFIGS[2])).toEqual(["adversarial_first", "outer"]);
    expect(names(SAM_CONFIGS[4])).toEqual(["adversarial_first", "adversarial", "outer"]);
    expect(names(SAM_CONFIGS[6])).toEqual(["opaque_outer"]);
    expect(names(SAM_CONFIGS[8])).toEqual(["opaque_adversarial_first", "opaque_outer"]);
    expect(names(SAM_CONFIGS[10])).toEqual(["opaque_adversarial_first", "opaque_adversarial", "opaque_outer"]);
  });

  it("a builder program with masks, segment reductions, guards and scalar stores is valid", () => {
    const b = new Builder("hand");
    const g = b.load("grads");
    const m = b.maskflag(0);
    const norm = b.sqrt(b.reduce(b.mul(g, g), "global", m));
    const seg = b.sqrt(b.reduce(b.mul(g, g), "segment"));
    b.guard(b.binary("ne", norm, b.const(0)), "R203", "zero norm", "hint");
    b.store("params", b.f32(b.mul(b.div(g, norm), seg)));
    b.store("state", b.const(0));
    b.storeCounter("count", b.add(b.counter("count"), b.const(1)));
    expect(verifyProgram(b.program())).toEqual([]);
    expect(verifyProgram(b.program(), { arenas: [{ name: "grads" }, { name: "params" }, { name: "state" }], counters: [{ name: "count" }], masks: [{}] })).toEqual([]);
  });
});

/** A small valid program: params ← f32(params + (-0.1) * grads), count ← count + 1. */
function base(): StepProgram {
  const nodes: IrNode[] = [
    { op: "load", arena: "params", rank: "element" },
    { op: "load", arena: "grads", rank: "element" },
    { op: "const", value: -0.1, rank: "scalar" },
    { op: "mul", a: 2, b: 1, rank: "element" },
    { op: "add", a: 0, b: 3, rank: "element" },
    { op: "f32", a: 4, rank: "element" },
    { op: "counter", counter: "count", rank: "scalar" },
    { op: "const", value: 1, rank: "scalar" },
    { op: "add", a: 6, b: 7, rank: "scalar" },
  ];
  return { name: "step", nodes, reductions: [], stores: [{ arena: "params", value: 5 }], counterStores: [{ counter: "count", value: 8 }], guards: [] };
}

describe("verifyProgram rejects invalid programs", () => {
  it("the base program is valid", () => {
    expect(verifyProgram(base())).toEqual([]);
  });

  it("a forward reference", () => {
    const p = base();
    p.nodes[3] = { op: "mul", a: 2, b: 4, rank: "element" };
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("%3") && x.includes("forward reference"))).toBe(true);
  });

  it("a self reference and an operand that names no node", () => {
    const p = base();
    p.nodes[4] = { op: "add", a: 4, b: 99, rank: "element" };
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("%4 add operand a = %4") && x.includes("forward reference"))).toBe(true);
    expect(problems.some((x) => x.includes("%99") && x.includes("not a node"))).toBe(true);
  });

  it("the wrong arity", () => {
    const p = base();
    p.nodes[5] = { op: "f32", a: 4, b: 3, rank: "element" } as unknown as IrNode;
    p.nodes[3] = { op: "mul", a: 2, rank: "element" } as unknown as IrNode;
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("%5 f32 takes 1 operand") && x.includes("wrong arity"))).toBe(true);
    expect(problems.some((x) => x.includes("%3 mul takes 2 operands") && x.includes("wrong arity"))).toBe(true);
  });

  it("an unknown op", () => {
    const p = base();
    p.nodes[5] = { op: "frobnicate", a: 4, rank: "element" } as unknown as IrNode;
    expect(verifyProgram(p).some((x) => x.includes("unknown op") && x.includes("frobnicate"))).toBe(true);
  });

  it("an element value stored into a counter", () => {
    const p = base();
    p.counterStores = [{ counter: "count", value: 5 }];
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("counter store count") && x.includes("element rank") && x.includes("scalar"))).toBe(true);
  });

  it("a reduction of a scalar", () => {
    const p = base();
    p.reductions = [{ value: 2, scope: "global" }];
    p.nodes.push({ op: "reduce", reduction: 0, rank: "scalar" });
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("r0") && x.includes("scalar rank") && x.includes("element-rank"))).toBe(true);
  });

  it("a mask that is not segment rank, and a mask on a segment reduction", () => {
    const p = base();
    p.reductions = [
      { value: 5, scope: "global", mask: 2 },
      { value: 5, scope: "segment", mask: 2 },
    ];
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("r0 mask %2 has scalar rank"))).toBe(true);
    expect(problems.some((x) => x.includes("r1 is a segment reduction with a mask"))).toBe(true);
  });

  it("a reduce node before its reduction's value, and a reduction that does not exist", () => {
    const p = base();
    p.reductions = [{ value: 5, scope: "global" }];
    p.nodes[2] = { op: "reduce", reduction: 0, rank: "scalar" };
    p.nodes.push({ op: "reduce", reduction: 3, rank: "scalar" });
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("%2 reads r0 before its value %5") && x.includes("forward reference"))).toBe(true);
    expect(problems.some((x) => x.includes("%9 reads reduction 3"))).toBe(true);
  });

  it("a double store", () => {
    const p = base();
    p.stores.push({ arena: "params", value: 4 });
    expect(verifyProgram(p).some((x) => x.includes("arena params stored twice"))).toBe(true);
    const q = base();
    q.counterStores.push({ counter: "count", value: 7 });
    expect(verifyProgram(q).some((x) => x.includes("counter count stored twice"))).toBe(true);
  });

  it("a segment value stored into an arena (a scalar is fine)", () => {
    const p = base();
    p.nodes.push({ op: "maskflag", mask: 0, rank: "segment" });
    p.stores.push({ arena: "state", value: 9 });
    p.stores.push({ arena: "zeroed", value: 7 });
    const problems = verifyProgram(p);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("store state ← %9: value has segment rank");
  });

  it("wrong ranks: on a leaf, and on an ALU node (an element operand under a scalar node)", () => {
    const p = base();
    p.nodes[0] = { op: "load", arena: "params", rank: "scalar" };
    p.nodes[8] = { op: "add", a: 6, b: 1, rank: "scalar" };
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("%0 load has rank scalar, expected element"))).toBe(true);
    expect(problems.some((x) => x.includes("%8 add has rank scalar, expected element"))).toBe(true);
  });

  it("a guard on an element condition, and a store of no node", () => {
    const p = base();
    p.guards.push({ cond: 5, code: "R999", message: "m", hint: "h" });
    p.stores.push({ arena: "other", value: 42 });
    const problems = verifyProgram(p);
    expect(problems.some((x) => x.includes("guard 0 (R999): condition %5 has element rank"))).toBe(true);
    expect(problems.some((x) => x.includes("store other ← %42") && x.includes("not a node"))).toBe(true);
  });

  it("names missing from the layout", () => {
    const p = base();
    p.nodes.push({ op: "maskflag", mask: 1, rank: "segment" });
    const problems = verifyProgram(p, { arenas: [{ name: "params" }], counters: [], masks: [{}] });
    expect(problems.some((x) => x.includes("loads arena grads, which the layout does not declare"))).toBe(true);
    expect(problems.some((x) => x.includes("reads counter count, which the layout does not declare"))).toBe(true);
    expect(problems.some((x) => x.includes("the layout does not declare counter count"))).toBe(true);
    expect(problems.some((x) => x.includes("reads mask m1"))).toBe(true);
  });

  it("assertValid throws an internal error naming the phase and listing the problems", () => {
    const p = base();
    p.stores.push({ arena: "params", value: 4 });
    p.counterStores = [{ counter: "count", value: 5 }];
    expect(() => assertValid(p)).toThrow(/^internal: invalid IR in phase step: .*stored twice.*; .*counter store count/);
  });
});

describe("printProgram", () => {
  it("sgd(0.1), exactly", () => {
    expect(printProgram(lowered("sgd(0.1)").phases[0])).toBe(
      [
        "phase step",
        "  %0 element = load params",
        "  %1 element = load grads",
        "  %2 scalar  = const -0.1",
        "  %3 element = mul %2, %1",
        "  %4 element = add %0, %3",
        "  %5 element = f32 %4",
        "  store params ← %5",
        "",
      ].join("\n"),
    );
  });

  it("adam(1e-3): one line per node, the moments and params stored as float32, the counter saturating", () => {
    const prog = lowered("adam(1e-3)").phases[0];
    const text = printProgram(prog);
    expect(text).toBe(printProgram(lowered("adam(1e-3)").phases[0]));
    const lines = text.split("\n");
    expect(lines[0]).toBe("phase step");
    expect(lines.filter((l) => /^ {2}%\d+ +(scalar|segment|element) +=/.test(l))).toHaveLength(prog.nodes.length);
    const line = (id: string) => lines.find((l) => l.startsWith(`  %${id} `)) ?? "";
    const stores = [...text.matchAll(/^ {2}store (\S+) ← %(\d+)$/gm)].map((m) => [m[1], m[2]]);
    expect(stores.map((s) => s[0])).toEqual(["adam.mu", "adam.nu", "params"]);
    for (const [, id] of stores) expect(line(id)).toMatch(/element = f32 %\d+$/);
    const count = /^ {2}counter adam\.count ← %(\d+)$/m.exec(text);
    expect(count).not.toBeNull();
    expect(line(count![1])).toMatch(/scalar {2}= select %\d+, %\d+, %\d+$/);
    expect(text).toContain("= counter adam.count\n");
    expect(text).toContain("= const 1e-8\n");
    expect(text).toContain("= const -0.001\n");
  });

  it("reductions, masks and guards", () => {
    const b = new Builder("hand");
    const g = b.load("grads");
    const m = b.maskflag(0);
    const r = b.reduce(b.mul(g, g), "global", m);
    b.reduce(g, "segment");
    b.guard(b.binary("ne", r, b.const(-0)), "R203", 'say "hi"', "h");
    b.store("filled", b.const(2));
    b.storeCounter("n", b.counter("n"));
    expect(printProgram(b.program())).toBe(
      [
        "phase hand",
        "  %0 element = load grads",
        "  %1 segment = maskflag m0",
        "  %2 element = mul %0, %0",
        "  %3 scalar  = reduce r0",
        "  %4 segment = reduce r1",
        "  %5 scalar  = const -0",
        "  %6 scalar  = ne %3, %5",
        "  %7 scalar  = const 2",
        "  %8 scalar  = counter n",
        "  r0 = global sum %2 mask %1",
        "  r1 = segment sum %0",
        '  guard %6 else R203 "say \\"hi\\"" hint "h"',
        "  store filled ← %7",
        "  counter n ← %8",
        "",
      ].join("\n"),
    );
  });

  it("printLowered: a header, the layout, then every phase", () => {
    const l = lowered("sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=3)");
    const text = printLowered(l);
    expect(text.split("\n")[0]).toBe(
      "lowered: protocol sam (sam, sync_period=3, transparent, reset_state=true; the runtime picks each step's phase on the host), 3 phases (adversarial_first, adversarial, outer)",
    );
    expect(text).toContain("  arena sam.cache: state, copy params\n");
    expect(text).toContain("  counter sam.steps_since_sync: init 0\n");
    for (const p of l.phases) expect(text).toContain(`\n${printProgram(p)}`);
    expect(printLowered(lowered("sgd(0.1)"))).toBe(
      "lowered: protocol plain (plain: one phase per step), 1 phase (step)\n  arena params: params, copy params\n  arena grads: grads, fill 0\n\n" + printProgram(lowered("sgd(0.1)").phases[0]),
    );
  });
});

describe("constants stay distinct in the builder's hash-consing", () => {
  // Found by the IR verifier's author: nodes were keyed by JSON.stringify, which writes NaN and
  // ±Infinity as null and -0 as 0, so distinct constants became one node.
  it("NaN, Infinity, -Infinity, 0 and -0 are five nodes", () => {
    const b = new Builder("consts");
    const ids = [Number.NaN, Infinity, -Infinity, 0, -0].map((v) => b.const(v));
    expect(new Set(ids).size).toBe(5);
    const values = ids.map((id) => (b.program().nodes[id] as { value: number }).value);
    expect(Object.is(values[4], -0)).toBe(true);
    expect(Number.isNaN(values[0])).toBe(true);
  });
  it("folding keeps them apart: inf - inf is NaN, not 0", () => {
    const b = new Builder("fold");
    const inf = b.binary("div", b.const(1), b.const(0));
    const folded = b.binary("sub", inf, b.binary("div", b.const(1), b.const(0)));
    expect(Number.isNaN((b.program().nodes[folded] as { value: number }).value)).toBe(true);
  });
  it("scale(-0.0) after adam multiplies by -0, not by adam's +0", () => {
    const c = compileSource("chain(adam(0.01), scale(-0.0))");
    const consts = c.lowered!.phases[0].nodes.filter((n) => n.op === "const").map((n) => (n as { value: number }).value);
    expect(consts.some((v) => Object.is(v, -0))).toBe(true);
  });
});

describe("the suite verifies every compilation", () => {
  it("the IR verifier runs between lower and fuse of every compileSource in the tests", () => {
    const seen: string[] = [];
    setLoweredCheck((lowered) => {
      seen.push(lowered.phases.map((p) => p.name).join(","));
      verifyEveryLowering(lowered);
    });
    try {
      compileSource("sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=3)");
    } finally {
      setLoweredCheck(verifyEveryLowering);
    }
    expect(seen).toEqual(["adversarial_first,adversarial,outer"]);
    const broken = lowered("adam(1e-3)");
    broken.phases[0].stores.push({ ...broken.phases[0].stores[0] });
    expect(() => verifyEveryLowering(broken)).toThrow(/internal: invalid IR: phase step: .*stored/);
  });
});
