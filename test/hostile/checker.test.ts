/**
 * Hostile configs against the checker: the work any config asks for is bounded (size, nesting,
 * bindings that expand, diagnostics, "did you mean"), numerically unsafe configs are refused
 * (compiler/check/numerics.ts), and a property over the catalog with edge-value
 * hyperparameters: every config is refused, or runs 5 finite steps, or a step is refused with an
 * R-code — or its non-finite values come from a float32 overflow of a finite value (huge data or
 * a huge hyperparameter times moderate data), which is the runtime's to refuse, not the checker's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Expr } from "../../dsl/ast.js";
import { MAX_DIAGNOSTICS, MAX_NESTING, MAX_SOURCE_LENGTH, parse } from "../../dsl/parse.js";
import { renderDiagnostics } from "../../compiler/diagnostics.js";
import { canonical } from "../../compiler/check/canonical.js";
import { MAX_CALLS, MAX_REDUCTIONS } from "../../compiler/check/limits.js";
import { scheduleRange } from "../../compiler/check/numerics.js";
import type { Value } from "../../compiler/check/types.js";
import { closest, editDistance } from "../../compiler/check/suggest.js";
import { compileSource, type Compilation } from "../../compiler/pipeline.js";
import { allNames, lookup } from "../../compiler/registry/index.js";
import { compileReference } from "../../index.js";
import { evalHost } from "../../runtime/host.js";
import { OptcRuntimeError } from "../../runtime/errors.js";
import { CATALOG_CONFIGS, model } from "../helpers/catalog.js";

const BOUND_MS = 2000;

/** compileSource, timed; it must return (never throw) within BOUND_MS. */
function timed(source: string, bound = BOUND_MS): Compilation {
  const t0 = performance.now();
  const c = compileSource(source);
  const ms = performance.now() - t0;
  expect(ms, `compileSource took ${ms.toFixed(0)} ms`).toBeLessThan(bound);
  return c;
}

function codes(c: Compilation): string[] {
  return c.diagnostics.map((d) => d.code);
}

function refused(source: string, code: string): Compilation {
  const c = timed(source);
  expect(c.artifact).toBeUndefined();
  expect(codes(c)).toContain(code);
  return c;
}

const rep = (s: string, n: number, sep = ", ") => Array(n).fill(s).join(sep);

describe("bounded work", () => {
  it(`a source longer than ${MAX_SOURCE_LENGTH} characters is E105, before it is lexed`, () => {
    expect(codes(timed(`sgd(0.1)${" ".repeat(MAX_SOURCE_LENGTH - 8)}`))).toEqual([]);
    const c = refused(`sgd(0.1)${" ".repeat(MAX_SOURCE_LENGTH - 7)}`, "E105");
    expect(c.diagnostics).toHaveLength(1);
    expect(c.diagnostics[0].span).toBeUndefined();
    refused(`sgd(${"a".repeat(1_000_000)})`, "E105");
  });

  it(`nesting deeper than ${MAX_NESTING} brackets is E108 (chevrotain overflowed its stack at about 300)`, () => {
    expect(timed(`${"chain(".repeat(MAX_NESTING - 1)}sgd(0.1)${")".repeat(MAX_NESTING - 1)}`).artifact).toBeDefined();
    for (const n of [MAX_NESTING, 400, 5000]) {
      const c = refused(`${"chain(".repeat(n)}sgd(0.1)${")".repeat(n)}`, "E108");
      const src = `${"chain(".repeat(n)}sgd(0.1)${")".repeat(n)}`;
      let at = -1;
      for (let k = 0; k <= MAX_NESTING; k++) at = src.indexOf("(", at + 1);
      expect(c.diagnostics[0].span?.start).toBe(at);
    }
    refused(`sgd(${"[".repeat(400)}1${"]".repeat(400)})`, "E108");
    refused(`sgd(${"{1: ".repeat(400)}1${"}".repeat(400)})`, "E108");
    // Unbalanced: still E108, not a crash.
    refused("(".repeat(10_000), "E108");
  });

  it(`a flat chain of 10,000 arguments is refused (the fuser recursed along it); ${MAX_CALLS} calls compile`, () => {
    refused(`chain(${rep("sgd(0.1)", 10_000)})`, "E105");
    const c = refused(`chain(${rep("sgd(1)", 7000)})`, "E105");
    expect(c.diagnostics[0].message).toContain("7,001 calls");
    expect(timed(`chain(${rep("adam(1)", MAX_CALLS - 1)})`, 5000).artifact).toBeDefined();
    refused(`chain(${rep("adam(1)", MAX_CALLS)})`, "E105");
  });

  it(`at most ${MAX_REDUCTIONS} reductions (each ends a fused pass)`, () => {
    const mix = (n: number) => `chain(${rep(`clip_by_global_norm(1), ${rep("adam(1)", 14)}`, n)})`;
    expect(timed(mix(MAX_REDUCTIONS), 5000).artifact).toBeDefined();
    const c = refused(mix(MAX_REDUCTIONS + 1), "E105");
    expect(c.diagnostics[0].message).toContain("65 global reductions");
    refused(`chain(${rep("normalize(1e-9)", 500)})`, "E105");
  });

  it("a binding doubled 22 times (4M calls once expanded, 450 bytes) is refused in linear time", () => {
    let src = "a0 = sgd(0.1)\n";
    for (let i = 1; i <= 22; i++) src += `a${i} = chain(a${i - 1}, a${i - 1})\n`;
    src += "a22";
    expect(src.length).toBeLessThan(500);
    const c = refused(src, "E105");
    // Reported once, at the first binding that is too large.
    expect(c.diagnostics.map((d) => [d.code, src.slice(d.span!.start, d.span!.end)])).toEqual([["E105", "a9"]]);
  });

  it("a binding used many times is checked once (linear), and each use gets its own state", () => {
    const src = `m = adam(warmup_cosine_decay_schedule(0, 1e-3, 10, 100))\nchain(${rep("m", 300)})`;
    const c = timed(src);
    expect(codes(c)).toEqual([]);
    const paths = new Set((c.tree!.args.transforms as { items: { path: string }[] }).items.map((x) => x.path));
    expect(paths.size).toBe(300);
  });

  it("bindings nested through each other deeper than the limit are E108", () => {
    let src = "a0 = sgd(0.1)\n";
    for (let i = 1; i <= 3000; i++) src += `a${i} = chain(a${i - 1})\n`;
    src += "a3000";
    const c = refused(src, "E108");
    expect(c.diagnostics).toHaveLength(1);
  });

  it("lists and maps are copied like calls: 40,000 values through bindings are E105", () => {
    const src = `l = [${rep("0.5", 2000)}]\nb = [${Array.from({ length: 1999 }, (_, i) => i + 1).join(", ")}]\nchain(${rep("sgd(join_schedules(l, b))", 10)})`;
    refused(src, "E105");
  });

  it("a name must be bound before it is used (as in Python): self-reference and cycles are E201 at the use", () => {
    const at = (src: string) => {
      const c = refused(src, "E201");
      return c.diagnostics.filter((d) => d.code === "E201").map((d) => [d.span!.start, d.message]);
    };
    expect(at("lr = lr; sgd(lr)")).toEqual([[5, "'lr' is used in its own binding"]]);
    expect(at("a = b; b = a; sgd(a)")).toEqual([[4, "'b' is used before it is bound"]]);
    expect(at("x = sgd(lr); lr = 0.1; x")).toEqual([[8, "'lr' is used before it is bound"]]);
    expect(at("a = chain(b, sgd(1)); b = chain(a); a")).toEqual([[10, "'b' is used before it is bound"]]);
    // A binding's value is still checked at each use, against the kind the use needs.
    const c = refused('lr = "abc"; sgd(lr)', "E301");
    expect(c.diagnostics[0].span).toEqual({ start: 16, end: 18 });
    refused('mode = "smoth"; chain(scale_by_lion(mode=mode), scale(-0.01))', "E304");
    refused('l = [1, "a"]; sgd(join_schedules([0.1, 0.2, 0.3], l))', "E301");
  });

  it(`at most ${MAX_DIAGNOSTICS} diagnostics, then a count (40 KB of repeated keywords is not hundreds of MB)`, () => {
    const src = `adam(1, ${rep("learning_rte=1", 2800)})`;
    expect(src.length).toBeGreaterThan(40_000);
    const c = refused(src, "E110");
    expect(c.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(c.diagnostics[MAX_DIAGNOSTICS].message).toBe("2,750 more errors not shown");
    expect(renderDiagnostics(c.diagnostics, src).length).toBeLessThan(4_000_000);
    const lex = refused("$ ".repeat(30_000), "E110");
    expect(lex.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    const unused = timed(`${Array.from({ length: 200 }, (_, i) => `u${i} = ${i}`).join("\n")}\nsgd(0.1)`);
    expect(unused.artifact).toBeDefined();
    expect(codes(unused).at(-1)).toBe("W404");
  });

  it("did-you-mean is bounded: long words and candidates get no suggestion, and the distance exits early", () => {
    const t0 = performance.now();
    expect(closest("a".repeat(1_000_000), allNames())).toBeUndefined();
    expect(closest("adma", ["a".repeat(1_000_000), "adam"])).toBe("adam");
    expect(performance.now() - t0).toBeLessThan(100);
    expect(closest("lerning_rate", ["learning_rate", "b1"])).toBe("learning_rate");
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("kitten", "sitting", 1)).toBe(2);
    const c = refused(`sgd(${"a".repeat(60_000)})`, "E201");
    expect(c.diagnostics[0].message.length).toBeLessThan(100);
  });

  it("random hostile sources: never a throw, always within the bound", () => {
    const atoms = ["chain(", "sgd(", "[", "{", "(", ")", "]", "}", "a = ", "a", "b = a", "1e999", "1e-400", "1e39", ",", ";", "\n", "x=", "0", "adam(", "#"];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...atoms), fc.integer({ min: 1, max: 400 })), { maxLength: 6 }), (parts) => {
        const src = parts.map(([a, n]) => a.repeat(n)).join("");
        const c = timed(src);
        expect(c.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe("numerics refusals", () => {
  const refusedCases: [string, string, string][] = [
    // Representable numbers.
    ["sgd(1e308)", "E308", "beyond float32's range"],
    ["scale(1e39)", "E308", "beyond float32's range"],
    ["sgd(constant_schedule(-1e39))", "E308", "beyond float32's range"],
    ["sgd(1e-400)", "E109", "too small to represent"],
    ["sgd(1e999)", "E106", "too large to represent"],
    ["sgd(piecewise_constant_schedule(0.1, {1e300: 0.5}))", "E308", "exact whole number"],
    // Counts are int32.
    ["sam(sgd(0.1), sgd(0.1), sync_period=1e300)", "E308", "exact whole number"],
    ["sam(sgd(0.1), sgd(0.1), sync_period=3000000000)", "E302", "[1, 2147483647]"],
    ["apply_if_finite(sgd(1), max_consecutive_errors=1e300)", "E308", "exact whole number"],
    ["apply_if_finite(sgd(1), max_consecutive_errors=2147483648)", "E302", "[0, 2147483647]"],
    ["chain(apply_every(k=2147483648), sgd(1))", "E302", "[1, 2147483647]"],
    ["MultiSteps(sgd(1), 1e300)", "E308", "beyond float32's range"],
    ["MultiSteps(sgd(1), 3e9)", "E302", "[1, 2147483647]"],
    ["MultiSteps(sgd(1), 1.5)", "E302", "whole number"],
    ["MultiSteps(sgd(1), 0)", "E302", "whole number"],
    ["MultiSteps(sgd(1), constant_schedule(0))", "E302", "can give 0"],
    ["MultiSteps(sgd(1), constant_schedule(0.5))", "E302", "can give 0.5"],
    ["MultiSteps(sgd(1), linear_schedule(4, 0, 100))", "E302", "can give 0"],
    ["MultiSteps(sgd(1), piecewise_constant_schedule(4, {10: 0.1}))", "E302", "can give 0.4"],
    ["k = join_schedules([constant_schedule(2), constant_schedule(0)], [5]); MultiSteps(sgd(1), k)", "E302", "can give 0"],
    // Denominators that can be 0.
    ["adam(1e-3, eps=0)", "E302", "eps and eps_root cannot both be 0"],
    ["adam(1e-3, eps=0, eps_root=0)", "E302", "eps and eps_root cannot both be 0"],
    ["adam(1e-3, eps=1e-45)", "E302", "eps and eps_root cannot both be 0"],
    ["adamw(1e-3, eps=0)", "E302", "eps and eps_root"],
    ["nadam(1e-3, eps=0)", "E302", "eps and eps_root"],
    ["nadamw(1e-3, eps=0)", "E302", "eps and eps_root"],
    ["lamb(1e-3, eps=0)", "E302", "eps and eps_root"],
    ["chain(scale_by_adam(eps=0), scale(-1))", "E302", "eps and eps_root"],
    ["adabelief(1e-3, eps=0, eps_root=0)", "E302", "eps and eps_root"],
    ["chain(scale_by_belief(eps=0, eps_root=0), scale(-1))", "E302", "eps and eps_root"],
    ["rmsprop(1e-3, eps=0)", "E302", "eps must be > 0"],
    ["rmsprop(1e-3, eps=0, initial_scale=1)", "E302", "eps must be > 0"],
    ["rmsprop(1e-3, eps=0, eps_in_sqrt=false)", "E302", "eps must be > 0"],
    ["rmsprop(1e-3, eps=0, centered=true, initial_scale=1)", "E302", "eps must be > 0"],
    ["chain(scale_by_rms(eps=0), scale(-1))", "E302", "eps must be > 0"],
    ["chain(scale_by_stddev(eps=0), scale(-1))", "E302", "eps must be > 0"],
    ["rmsprop(1e-3, initial_scale=-1)", "E302", "initial_scale must be >= 0"],
    ["adamax(1e-3, eps=0)", "E302", "eps must be > 0"],
    ["chain(scale_by_adamax(eps=0), scale(-1))", "E302", "eps must be > 0"],
    ["chain(normalize_by_update_norm(eps=0), sgd(1))", "E302", "eps must be > 0"],
    ["chain(normalize(eps=1e-45), sgd(1))", "E302", "eps must be 0 or at least"],
    // Bias corrections that can be 0.
    ["chain(ema(1.0), scale(-1))", "E302", "with debias=True"],
    ["chain(ema(-1), scale(-1))", "E302", "with debias=True"],
    ["chain(ema(1.5, debias=false), scale(-1))", "E302", "grows geometrically"],
    ["rmsprop(1e-3, decay=1, bias_correction=true)", "E302", "decay must be < 1 with bias_correction"],
    ["chain(scale_by_stddev(decay=1, bias_correction=true), scale(-1))", "E302", "decay must be < 1"],
    // Unbounded growth.
    ["sgd(0.1, momentum=1.5)", "E302", "momentum must be in [-1, 1]"],
    ["rmsprop(0.1, momentum=-2)", "E302", "momentum must be in [-1, 1]"],
    ["chain(trace(2), scale(-1))", "E302", "decay must be in [-1, 1]"],
    // Schedules.
    ["sgd(exponential_decay(0.1, 10, -0.5))", "E302", "decay_rate must be >= 0"],
    ["sgd(warmup_exponential_decay_schedule(0, 0.1, 10, 10, -0.5))", "E302", "decay_rate must be >= 0"],
    ["sgd(exponential_decay(1.0, 2, 2.0))", "E308", "exponential_decay reaches Infinity"],
    ["sgd(exponential_decay(0.0, 2, 2.0))", "E308", "NaN"],
    ["sgd(exponential_decay(1.0, 1000, 2.0, end_value=1e39))", "E308", "beyond float32's range"],
    ["sgd(exponential_decay(-1.0, 2, 2.0, end_value=-1e10))", "E308", "reaches -Infinity"],
    ["sgd(warmup_exponential_decay_schedule(0, 1, 10, 2, 2.0))", "E308", "reaches Infinity"],
    ["sgd(polynomial_schedule(1, 0, -1, 100))", "E302", "power must be >= 0"],
    ["sgd(polynomial_schedule(1, 0, 1, 0))", "E302", "transition_steps must be > 0"],
    ["sgd(cosine_decay_schedule(1, 0))", "E302", "decay_steps must be > 0"],
    ["sgd(cosine_decay_schedule(1, 100, exponent=-0.5))", "E302", "exponent must be >= 0"],
    ["sgd(warmup_cosine_decay_schedule(0, 1, 10, 100, exponent=-1))", "E302", "exponent must be >= 0"],
    ["sgd(warmup_cosine_decay_schedule(0, 1, -1, 100))", "E302", "warmup_steps must be >= 0"],
    ["sgd(warmup_constant_schedule(0, 1, -5))", "E302", "warmup_steps must be >= 0"],
    ["sgd(warmup_exponential_decay_schedule(0, 1, -5, 10, 0.5))", "E302", "warmup_steps must be >= 0"],
    ["sgd(cosine_decay_schedule(1e30, 100, alpha=1e10))", "E308", "beyond float32's range"],
    ["sgd(join_schedules([0.1, 0.2, 0.3], [5, 5]))", "E302", "strictly increasing"],
    ["sgd(join_schedules([0.1, 0.2, 0.3], [5, 3]))", "E302", "strictly increasing"],
    ["sgd(join_schedules([0.1, 0.2], [-1]))", "E302", ">= 0"],
    ["sgd(piecewise_constant_schedule(1e30, {10: 1e5, 20: 1e5}))", "E308", "beyond float32's range"],
    // issue 18's entries.
    ["amsgrad(1e-3, eps=0)", "E302", "eps and eps_root cannot both be 0"],
    ["chain(scale_by_amsgrad(eps=1e-45), scale(-1))", "E302", "eps and eps_root cannot both be 0"],
    ["yogi(1e-3, eps=0)", "E302", "eps and eps_root cannot both be 0"],
    ["chain(scale_by_yogi(initial_accumulator_value=-1), scale(-1))", "E302", "initial_accumulator_value must be >= 0"],
    ["adadelta(1.0, eps=0)", "E302", "eps must be > 0"],
    ["chain(scale_by_adadelta(rho=1.5), scale(-1))", "E302", "rho must be in [0, 1]"],
    ["signum(1e-3, beta=-0.5)", "E302", "beta must be in [0, 1]"],
    ["adamaxw(1e-3, eps=0)", "E302", "eps must be > 0"],
    ['sgd(piecewise_interpolate_schedule("linear", 0.1, {5: -3}))', "E302", "every scale must be >= 0"],
    ['sgd(piecewise_interpolate_schedule("cosine", 0.1, {-5: 2}))', "E302", "every boundary must be >= 0"],
    ['sgd(piecewise_interpolate_schedule("linar", 0.1))', "E304", "is not one of"],
    ['sgd(piecewise_interpolate_schedule("linear", 1e30, {5: 1e10}))', "E308", "beyond float32's range"],
    ["sgd(linear_onecycle_schedule(0, 0.1))", "E302", "transition_steps must be > 0"],
    ["sgd(linear_onecycle_schedule(100, 0.1, div_factor=0))", "E302", "div_factor must be > 0"],
    ["sgd(linear_onecycle_schedule(100, 0.1, pct_final=1.5))", "E302", "pct_final must be in [0, 1]"],
    ["sgd(cosine_onecycle_schedule(100, 0.1, final_div_factor=-1))", "E302", "final_div_factor must be > 0"],
    ["sgd(cosine_onecycle_schedule(100, 0.1, pct_start=-0.1))", "E302", "pct_start must be in [0, 1]"],
    ["sgd(sgdr_schedule([]))", "E302", "at least one cycle"],
    ['sgd(sgdr_schedule([{"init_value": 0, "peak_value": 0.1, "warmup_steps": 10}]))', "E302", '"decay_steps" is required'],
    ['sgd(sgdr_schedule([{"init_value": 0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 100, "alpha": 0.1}]))', "E302", 'unknown key "alpha"'],
    ['sgd(sgdr_schedule([{"init_value": 0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 10}]))', "E302", "decay_steps must be greater than warmup_steps"],
    ['sgd(sgdr_schedule([{"init_value": 0, "peak_value": 0.1, "warmup_steps": 1.5, "decay_steps": 10}]))', "E302", "warmup_steps must be a whole number"],
    ['sgd(sgdr_schedule([{"init_value": 0, "peak_value": 0.1, "warmup_steps": 1, "decay_steps": 10, "exponent": -1}]))', "E302", "exponent must be >= 0"],
    ['sgd(sgdr_schedule([{"init_value": 0, "peak_value": 1e39, "warmup_steps": 1, "decay_steps": 10}]))', "E308", "beyond float32's range"],
    ["radam(1e-3, threshold=3)", "E302", "threshold must be >= 4"],
    ["chain(scale_by_radam(eps=0), scale(-1))", "E302", "eps and eps_root cannot both be 0"],
    ["novograd(1e-3, eps=0)", "E302", "eps and eps_root cannot both be 0"],
    ["novograd(1e-3, b2=1.5)", "E302", "b2 must be in [0, 1]"],
    ["chain(scale_by_novograd(b1=2), scale(-1))", "E302", "b1 must be in [-1, 1]"],
    ["lars(1e-3, momentum=2)", "E302", "momentum must be in [-1, 1]"],
    ["lars(1e-3, eps=-1)", "E302", "eps must be >= 0"],
    ["fromage(1e-3, min_norm=-1)", "E302", "min_norm must be >= 0"],
    ["chain(scale_by_param_block_norm(min_scale=-1), scale(-1))", "E302", "min_scale must be >= 0"],
    ["chain(scale_by_param_block_rms(min_scale=-1), scale(-1))", "E302", "min_scale must be >= 0"],
    ["chain(clip_by_block_rms(0), sgd(1))", "E302", "threshold must be > 0"],
    ["MultiSteps(sgd(1), 2, should_skip_update_fn=skip_large_updates(max_squared_norm=0))", "E302", "max_squared_norm must be > 0"],
    ["MultiSteps(sgd(1), 2, should_skip_update_fn=skip_large_updates)", "E207", "takes max_squared_norm"],
    ["MultiSteps(sgd(1), 2, should_skip_update_fn=skip_not_finite())", "E207", "pass it without calling it"],
    ["adan(1e-3, eps=0, eps_root=0)", "E302", "eps and eps_root cannot both be 0"],
    ["chain(scale_by_adan(b3=1), scale(-1))", "E302", "b3 must be in [0, 1)"],
    ["optimistic_adam(cosine_decay_schedule(1e-3, 100))", "E301", "expected a number"],
    ["rprop(cosine_decay_schedule(1e-3, 100))", "E301", "expected a number"],
    // dog's init_step: a (tag, value) tuple whose tag is a registry enum, never raw text.
    ['dog(init_step=("heurstic", 1e-6))', "E304", "is not one of"],
    ['dog(init_step=("dist\\u{0}ance", 1e-6))', "E304", "is not one of"],
    ['dog(init_step=("heuristic",))', "E301", "found 1 item"],
    ['dog(init_step=("heuristic", 1e-6, 1))', "E301", "found 3 items"],
    ['dog(init_step=["distance"])', "E301", "found 1 item"],
    ['dog(init_step=(1e-6, "heuristic"))', "E301", "expected one of"],
    ["dog(init_step=1e-6)", "E301", "expected a tuple"],
    ['dog(init_step=("learning_rate", 0))', "E302", "init_step's value must be > 0"],
    ['dog(init_step=("distance", -1.0))', "E302", "init_step's value must be > 0"],
    ['dog(init_step=("heuristic", 1e39))', "E308", "beyond float32's range"],
    ['step = ("distance", sgd(1)); dog(init_step=step)', "E301", "expected a number"],
    ["dog(eps=0)", "E302", "eps must be > 0"],
    ['chain(scale_by_dog(("distance", 1.0), eps=-1e-8), scale(-1))', "E302", "eps must be > 0"],
    ["chain(scale_by_dog(), scale(-1))", "E206", "missing the required argument 'init_step'"],
    ["mechanize(sgd(0.1), eps=0)", "E302", "eps must be > 0"],
    ["mechanize(sgd(0.1), eps=-1e-8)", "E302", "eps must be > 0"],
    ["mechanize(sgd(0.1), s_init=0)", "E302", "s_init must be > 0"],
    ["mechanize(sgd(0.1), weight_decay=-0.01)", "E302", "weight_decay must be >= 0"],
    ["mechanize(sgd(0.1), num_betas=0)", "E302", "num_betas must be in [1, 32]"],
    ["mechanize(sgd(0.1), num_betas=33)", "E302", "num_betas must be in [1, 32]"],
    ["mechanize(sgd(0.1), num_betas=1000000000)", "E302", "num_betas must be in [1, 32]"],
    ["mechanize(sgd(0.1), num_betas=2.5)", "E303", "expected an integer"],
    ["mechanize(sgd(0.1), betas=[0.9, 0.99])", "E202", "no parameter 'betas'"],
    ["mechanize(0.1)", "E301", "expected an optimizer"],
    ["mechanize()", "E206", "missing the required argument 'base_optimizer'"],
  ];
  for (const [src, code, fragment] of refusedCases) {
    it(`${src}: ${code}`, () => {
      const c = refused(src, code);
      expect(c.diagnostics.find((d) => d.code === code)!.message).toContain(fragment);
    });
  }

  const accepted = [
    ...Object.values(CATALOG_CONFIGS),
    "adam(1e-3)",
    "adam(1e-3, eps=0, eps_root=1e-8)",
    "adam(1e-3, eps_root=0)",
    "adamw(1e-3)",
    "nadam(1e-3)",
    "nadamw(1e-3)",
    "lamb(1e-3)",
    "adabelief(1e-3)",
    "adabelief(1e-3, eps=0)",
    "adabelief(1e-3, eps_root=0)",
    "adamax(1e-3)",
    "adagrad(1e-3)",
    "adagrad(1e-3, eps=0, initial_accumulator_value=0)",
    "rmsprop(1e-3)",
    "rmsprop(1e-3, centered=true, bias_correction=true)",
    "rmsprop(1e-3, eps=0, decay=1, initial_scale=1)",
    "rmsprop(1e-3, decay=1)",
    "sgd(1e-3, momentum=0.9, nesterov=true)",
    "sgd(1e-3, momentum=-0.5)",
    "sgd(1e-3, momentum=1)",
    "sgd(1e-300)",
    "sgd(3.4028234663852886e38)",
    "lion(1e-3)",
    "chain(normalize(), sgd(1))",
    "chain(normalize(eps=1e-12), sgd(1))",
    "chain(normalize_by_update_norm(), sgd(1))",
    "chain(scale_by_trust_ratio(), sgd(1))",
    "chain(ema(0.999), scale(-1))",
    "chain(ema(0), scale(-1))",
    "chain(ema(1.0, debias=false), scale(-1))",
    "chain(clip(0), sgd(1))",
    "MultiSteps(adam(1e-3), every_k_schedule=4)",
    "MultiSteps(adam(1e-3), 2147483647)",
    "MultiSteps(adam(1e-3), linear_schedule(1, 4, 100))",
    "MultiSteps(adam(1e-3), piecewise_constant_schedule(2, {100: 2, 200: 2}))",
    "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2147483647)",
    "apply_if_finite(sgd(1), max_consecutive_errors=2147483647)",
    "sgd(exponential_decay(1, 100, 0.5))",
    "sgd(exponential_decay(1, 100, 0))",
    "sgd(exponential_decay(1.0, 2, 2.0, end_value=1.5))",
    "sgd(exponential_decay(1.0, 1000000000, 1.01))",
    "sgd(polynomial_schedule(1, 0, 0, 100))",
    "sgd(polynomial_schedule(1, 0, 0.5, 100))",
    "sgd(polynomial_schedule(1, 0, -1, 100, transition_begin=2147483600))",
    "sgd(cosine_decay_schedule(1, 100, exponent=0))",
    "scale_by_schedule(cosine_decay_schedule(1000, decay_steps=10000000000))",
    "sgd(warmup_cosine_decay_schedule(0, 1, 0, 100))",
    "sgd(warmup_constant_schedule(0, 1, 0))",
    "sgd(join_schedules([0.1, 0.2, 0.3], [0, 5]))",
    "sgd(piecewise_constant_schedule(1, {10: 0, 20: 1e30}))",
    // issue 18's entries: optax's defaults and safe edges.
    "amsgrad(1e-3, eps=0, eps_root=1e-8)",
    "yogi(1e-3)",
    "chain(scale_by_yogi(initial_accumulator_value=0), scale(-1))",
    "adadelta()",
    "adadelta(1.0, rho=1)",
    "signum(1e-3, beta=1)",
    "rprop(1e-3)",
    "sgd(linear_onecycle_schedule(1, 0.1))",
    "sgd(cosine_onecycle_schedule(100, 0.1, pct_start=0))",
    'sgd(piecewise_interpolate_schedule("linear", 13.0, {0: 2.0, 5: 3.0}))',
    "radam(1e-3)",
    "novograd(1e-3)",
    "lars(1e-3)",
    "fromage(1e-3)",
    "fromage(cosine_decay_schedule(1e-3, 100))",
    "adan(1e-3)",
    "adan(1e-3, eps=0)",
    "optimistic_adam(1e-3)",
    "optimistic_adam_v2(cosine_decay_schedule(1e-3, 100))",
    "chain(clip_by_block_rms(1e-3), sgd(1))",
    "MultiSteps(adam(1e-3), 4, should_skip_update_fn=skip_large_updates(1e6))",
  ];
  it("optax's defaults, and the edges that are safe, are accepted", () => {
    for (const src of accepted) expect(codes(timed(src)).filter((c) => c.startsWith("E")), src).toEqual([]);
  });

  it("centered RMS clamps ν̂ - μ̂² at 0: decay=0 no longer gives NaN (optax's sqrt of a rounding error)", () => {
    for (const src of ["chain(scale_by_stddev(decay=0), scale(-0.01))", "rmsprop(0.01, centered=true, decay=0, momentum=0.9)"]) {
      expect(runSteps(src, "moderate").outcome, src).toBe("finite");
    }
  });

  it("every schedule's range bounds the values it takes", () => {
    const schedules = Object.values(CATALOG_CONFIGS).filter((s) => /schedule|decay/.test(s));
    const counts = [0, 1, 2, 3, 5, 8, 13, 100, 10_000, 1e6, 2147483647];
    let checked = 0;
    fc.assert(
      fc.property(fc.constantFrom(...schedules), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...EDGES)), { maxLength: 3 }), (tpl, edits) => {
        const src = mutate(tpl, sites(tpl), edits);
        const c = compileSource(src);
        if (!c.artifact || !c.tree) return;
        for (const [sched, values] of scheduleValuesOf(c)) {
          const r = scheduleRange(sched);
          for (const v of values) {
            const tol = 1e-9 * Math.max(1, Math.abs(r.lo), Math.abs(r.hi));
            expect(v >= r.lo - tol && v <= r.hi + tol, `${src}: ${v} outside [${r.lo}, ${r.hi}]`).toBe(true);
            checked++;
          }
        }
      }),
      { numRuns: 400, seed: 5 },
    );
    expect(checked).toBeGreaterThan(1000);

    /** The schedule of the config's first scheduled hyperparameter, and its values at `counts` (read from the host program). */
    function scheduleValuesOf(c: Compilation): [Value, number[]][] {
      const s = compileSource(`scale_by_schedule(${findSchedule(c.tree!)})`);
      if (!s.artifact || !s.tree) return [];
      const phase = s.artifact.phases.step;
      const kernel = phase.passes[0].kernels[0];
      const uniform = kernel.uniforms[0];
      const constant = kernel.kernel.ops.find((o) => o.op === "const") as { value: number } | undefined;
      // A constant 1 folds away (u = g): nothing to read.
      if (uniform === undefined && constant === undefined) return [];
      const values = counts.map((count) => {
        const vals: (number | Float64Array)[] = [];
        evalHost(phase.host, vals, { counter: () => count, reduction: () => 0, maskflags: () => new Float64Array(0), segments: 1 }, 0, Infinity);
        return uniform === undefined ? constant!.value : (vals[uniform] as number);
      });
      return [[s.tree.args.step_size_fn, values]];
    }
  });
});

// ------------------------------------------------------------------ the property

const EDGES = ["0", "1", "-1", "0.5", "2", "1e-45", "1e-300", "1e38", "1e39", "1e300"];

/** Where an edge value can go: a number written in the config, or a defaulted numeric parameter of one of its calls. */
interface Site {
  kind: "replace" | "add";
  at: number;
  end: number;
  name?: string;
  hasArgs?: boolean;
  call: number;
}

function sites(src: string): Site[] {
  const out: Site[] = [];
  let callId = 0;
  const walk = (e: Expr): void => {
    if (e.kind === "number") out.push({ kind: "replace", at: e.span.start, end: e.span.end, call: -1 });
    else if (e.kind === "list") e.items.forEach(walk);
    else if (e.kind === "map") e.entries.forEach((en) => (walk(en.key), walk(en.value)));
    else if (e.kind === "call") {
      const id = callId++;
      const def = lookup(e.callee.path[e.callee.path.length - 1]);
      const positional = e.args.filter((a) => a.name === undefined).length;
      const named = new Set(e.args.map((a) => a.name));
      const pos = def?.params.filter((q) => !q.kwOnly && !q.varargs) ?? [];
      for (const q of def?.params ?? []) {
        if (q.varargs || named.has(q.name) || q.default === undefined) continue;
        if (pos.indexOf(q) >= 0 && pos.indexOf(q) < positional) continue;
        const k = q.kind.t === "optional" ? q.kind.of.t : q.kind.t;
        if (k === "number" || k === "int" || k === "schedule") out.push({ kind: "add", at: e.span.end - 1, end: e.span.end - 1, name: q.name, hasArgs: e.args.length > 0, call: id });
      }
      e.args.forEach((a) => walk(a.value));
    }
  };
  const p = parse(src).program;
  p?.bindings.forEach((b) => walk(b.value));
  if (p?.body) walk(p.body);
  return out;
}

/** The config with each chosen site set to its edge value (the last choice for a site wins). */
function mutate(src: string, all: Site[], edits: [number, string][]): string {
  if (all.length === 0) return src;
  const chosen = new Map<number, string>();
  for (const [i, v] of edits) chosen.set(i % all.length, v);
  const ops: { at: number; end: number; text: string }[] = [];
  const adds = new Map<number, { at: number; hasArgs: boolean; parts: string[] }>();
  for (const [i, v] of chosen) {
    const s = all[i];
    if (s.kind === "replace") ops.push({ at: s.at, end: s.end, text: v });
    else {
      const g = adds.get(s.call) ?? { at: s.at, hasArgs: !!s.hasArgs, parts: [] };
      g.parts.push(`${s.name}=${v}`);
      adds.set(s.call, g);
    }
  }
  for (const g of adds.values()) ops.push({ at: g.at, end: g.at, text: (g.hasArgs ? ", " : "") + g.parts.join(", ") });
  let out = src;
  for (const o of ops.sort((a, b) => b.at - a.at)) out = out.slice(0, o.at) + o.text + out.slice(o.end);
  return out;
}

/** The first schedule call in a tree, as source (the catalog's schedule entries hold one). */
function findSchedule(v: Value): string | undefined {
  if (v.k === "call" && v.category === "schedule") return canonical(v);
  if (v.k === "call") for (const a of Object.values(v.args)) {
    const s = findSchedule(a);
    if (s) return s;
  }
  if (v.k === "list") for (const i of v.items) {
    const s = findSchedule(i);
    if (s) return s;
  }
  return undefined;
}

type Outcome = "refused" | "finite" | "runtime" | "overflow" | "nonfinite";
const FLT_MAX = 3.4028234663852886e38;

/**
 * Five steps with the reference interpreter, gradients moderate (|g| <= 5, changing sign) or all
 * zero. "overflow": non-finite params after a finite value was rounded to float32's ±Inf (a
 * float32 store or an f32 op): the runtime's to refuse, not a checker rule's.
 */
function runSteps(src: string, grads: "moderate" | "zero"): { outcome: Outcome; detail?: string } {
  const c = compileSource(src);
  if (!c.artifact) {
    expect(c.diagnostics.some((d) => d.severity === "error"), `no artifact and no error for ${src}`).toBe(true);
    return { outcome: "refused", detail: c.diagnostics[0].code };
  }
  let overflow = false;
  const fround = Math.fround;
  const set = Float32Array.prototype.set;
  Math.fround = (x: number) => {
    const r = fround(x);
    if (!Number.isFinite(r) && Number.isFinite(x)) overflow = true;
    return r;
  };
  Float32Array.prototype.set = function (this: Float32Array, from: ArrayLike<number>, offset?: number) {
    if (!(from instanceof Float32Array)) for (let i = 0; i < from.length; i++) if (Number.isFinite(from[i]) && Math.abs(from[i]) > FLT_MAX) overflow = true;
    return set.call(this, from, offset);
  } as typeof set;
  try {
    const run = compileReference(src).initSync(Object.fromEntries(Object.entries(model()).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }])));
    for (let s = 1; s <= 5; s++) {
      for (const [k, x] of Object.entries(run.params)) {
        for (let i = 0; i < x.length; i++) run.grads[k][i] = grads === "zero" ? 0 : Math.max(-5, Math.min(5, 2 * x[i] + Math.cos(3 * x[i] + i)));
      }
      try {
        run.stepSync();
      } catch (e) {
        if (e instanceof OptcRuntimeError) return { outcome: "runtime", detail: e.code };
        throw e;
      }
      if (Object.values(run.params).some((v) => v.some((x) => !Number.isFinite(x)))) return { outcome: overflow ? "overflow" : "nonfinite", detail: `step ${s}` };
    }
    return { outcome: "finite" };
  } finally {
    Math.fround = fround;
    Float32Array.prototype.set = set;
  }
}

describe("inject_hyperparams' static_args: names are checked against inner's paths, never trusted", () => {
  const wrap = (names: string) => `inject_hyperparams(chain(clip(1.0), adam(0.01)), static_args=${names})`;
  it("names that only look like paths, object keys, or code are E304 (a prefix must end at a dot)", () => {
    for (const name of ["", ".", "1.", ".b1", "1.b", "1.b1.x", "__proto__", "constructor", "toString", "1.learning_rate.0", '"); alert(1); ("', "b1\u{202e}", "0.max_delta "])
      refused(wrap(`(${JSON.stringify(name)},)`), "E304");
  });
  it("static_args that are not names are E301; a tuple nested inside is not flattened", () => {
    for (const v of ["1", "(1,)", '(("1",),)', "None", "true", '{"a": 1}', "adam(0.1)"]) refused(wrap(v), "E301");
  });
  it("2,000 bad names: the diagnostics are capped and the work is bounded", () => {
    const c = refused(wrap(`(${rep('"learning_ratx"', 2_000)})`), "E304");
    expect(c.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
  });
  it("a name that is static leaves no trace of the user's text in the artifact beyond the path it matched", () => {
    const c = timed(wrap('("1.b1", "0")'));
    expect(c.artifact?.fixedHyperparams).toEqual([
      { name: "0.max_delta", why: "static" },
      { name: "1.b1", why: "static" },
    ]);
  });
});

describe("property: catalog configs with edge-value hyperparameters", () => {
  it("are refused, or run 5 finite steps (or an R-coded refusal, or a float32 overflow of finite values)", () => {
    const templates = Object.values(CATALOG_CONFIGS);
    const stats: Record<string, number> = {};
    const overflows: string[] = [];
    fc.assert(
      fc.property(fc.constantFrom(...templates), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...EDGES)), { minLength: 1, maxLength: 4 }), (tpl, edits) => {
        const src = mutate(tpl, sites(tpl), edits);
        const outcomes = (["moderate", "zero"] as const).map((g) => runSteps(src, g));
        for (const o of outcomes) {
          expect(o.outcome, `${src}: ${o.detail}`).not.toBe("nonfinite");
          stats[o.outcome] = (stats[o.outcome] ?? 0) + 1;
        }
        if (outcomes.some((o) => o.outcome === "overflow")) overflows.push(src);
      }),
      { numRuns: 2500, seed: 17 },
    );
    if (process.env.OPTC_HOSTILE_STATS === "1") console.info(JSON.stringify({ configs: 2500, runs: stats, overflowConfigs: overflows.length, examples: overflows.slice(0, 5) }));
    // Every kind of outcome is reached, so the property is not vacuous.
    expect(stats.refused).toBeGreaterThan(500);
    expect(stats.finite).toBeGreaterThan(500);
    expect(stats.runtime).toBeGreaterThan(0);
    // Every overflow comes from a hyperparameter near float32's largest value (1e38 here) meeting moderate data.
    for (const src of overflows) expect(src, src).toContain("1e38");
  });
});
