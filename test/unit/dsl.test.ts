/** The language front end: parser goldens, numbers and literals, the canonical printer, fuzzing. */
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Expr, Program } from "../../dsl/ast.js";
import { formatProgram } from "../../dsl/format.js";
import { parse } from "../../dsl/parse.js";
import { compileSource } from "../../compiler/pipeline.js";
import { allNames } from "../../compiler/registry/index.js";
import { expectGolden } from "../helpers/golden.js";

/** The AST without spans, for comparing parses of different texts. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).filter(([k]) => !k.toLowerCase().endsWith("span")).map(([k, v]) => [k, strip(v)]));
  return x;
}

function parseOk(src: string): Program {
  const r = parse(src);
  if (!r.program || r.diagnostics.some((d) => d.severity === "error")) throw new Error(`parse failed: ${JSON.stringify(r.diagnostics)}`);
  return r.program;
}

const goldenDir = new URL("../golden/parse/", import.meta.url).pathname;

describe("parser goldens (test/golden/parse)", () => {
  for (const f of readdirSync(goldenDir).filter((x) => x.endsWith(".opt"))) {
    it(f, () => {
      const src = readFileSync(join(goldenDir, f), "utf8");
      const program = parseOk(src);
      expectGolden(join(goldenDir, f.replace(".opt", ".ast.json")), JSON.stringify(program, null, 1) + "\n");
      expectGolden(join(goldenDir, f.replace(".opt", ".fmt")), formatProgram(program));
      // Every golden also checks cleanly.
      expect(compileSource(src).artifact).toBeDefined();
    });
  }
});

describe("literals", () => {
  const num = (s: string) => (parseOk(s).body as Extract<Expr, { kind: "number" }>);
  it.each([
    ["3", 3, true],
    ["0.1", 0.1, false],
    [".5", 0.5, false],
    ["1e-3", 0.001, false],
    ["-2.5E+4", -25000, false],
    ["10_000", 10000, true],
    ["+7", 7, true],
  ])("%s", (src, value, isInt) => {
    expect(num(src).value).toBe(value);
    expect(num(src).isInt).toBe(isInt);
  });
  it("booleans, None/null, strings with escapes, lists and maps", () => {
    const call = parseOk(`f(True, false, None, null, "a\\"b", 'c', [1, 2,], {1: 0.5, 2: 0.1})`).body as Extract<Expr, { kind: "call" }>;
    expect(strip(call.args.map((a) => a.value))).toEqual([
      { kind: "bool", value: true },
      { kind: "bool", value: false },
      { kind: "none" },
      { kind: "none" },
      { kind: "string", value: 'a"b' },
      { kind: "string", value: "c" },
      { kind: "list", items: [{ kind: "number", value: 1, isInt: true }, { kind: "number", value: 2, isInt: true }] },
      { kind: "map", entries: [{ key: { kind: "number", value: 1, isInt: true }, value: { kind: "number", value: 0.5, isInt: false } }, { key: { kind: "number", value: 2, isInt: true }, value: { kind: "number", value: 0.1, isInt: false } }] },
    ]);
  });
  it("tuples as Python writes them: (a, b) and (a,) are tuples (lists printed with parentheses), (a) is a, () is empty", () => {
    const call = parseOk(`f(("heuristic", 1e-6), (3,), (0.5), ())`).body as Extract<Expr, { kind: "call" }>;
    expect(strip(call.args.map((a) => a.value))).toEqual([
      { kind: "list", tuple: true, items: [{ kind: "string", value: "heuristic" }, { kind: "number", value: 1e-6, isInt: false }] },
      { kind: "list", tuple: true, items: [{ kind: "number", value: 3, isInt: true }] },
      { kind: "number", value: 0.5, isInt: false },
      { kind: "list", tuple: true, items: [] },
    ]);
    expect(formatProgram(parseOk(`f(("heuristic", 1e-6), (3,), (0.5), ())`))).toBe('f(("heuristic", 0.000001), (3,), 0.5, ())\n');
    const tupleSpan = call.args[0].value.span;
    expect(`f(("heuristic", 1e-6), (3,), (0.5), ())`.slice(tupleSpan.start, tupleSpan.end)).toBe('("heuristic", 1e-6)');
    expect(parse("f((1 2))").diagnostics[0]?.severity).toBe("error");
  });
  it("a tuple parameter prints canonically as a tuple, whichever brackets were written", () => {
    for (const src of ['dog(0.5, ["distance", 1e-3])', 'dog(0.5, ("distance", 1e-3))']) expect(compileSource(src).canonical).toBe('dog(learning_rate=0.5, init_step=("distance", 0.001))');
  });
  it("spans point at the source", () => {
    const src = "adam(learning_rte=1e-3)";
    const call = parseOk(src).body as Extract<Expr, { kind: "call" }>;
    const s = call.args[0].nameSpan!;
    expect(src.slice(s.start, s.end)).toBe("learning_rte");
  });
  it("newlines inside brackets do not end a statement; ; and newlines separate bindings", () => {
    expect(strip(parseOk("lr = 0.1; adam(\n  lr,\n)"))).toEqual(strip(parseOk("lr = 0.1\nadam(lr)")));
  });
});

describe("canonical printer", () => {
  it("is stable and re-parses to the same AST", () => {
    for (const src of ["sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)", "x = 3.0\ny = -0.0\nf(x, [y], {1: 2}, s='q\\\\')", "adamw(" + "a=1, ".repeat(30) + ")"]) {
      const once = formatProgram(parseOk(src));
      expect(formatProgram(parseOk(once))).toBe(once);
      expect(strip(parseOk(once))).toEqual(strip(parseOk(src)));
    }
  });

  // Random well-formed programs built from names, numbers, strings, lists, maps and calls.
  const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/).filter((s) => !["true", "false", "null"].includes(s));
  const num = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }).map((v) => ({ kind: "number" as const, value: v, isInt: true })), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }).map((v) => ({ kind: "number" as const, value: v, isInt: false })));
  const { expr } = fc.letrec<{ expr: unknown }>((tie) => ({
    expr: fc.oneof(
      { depthSize: "small" },
      num,
      fc.boolean().map((b) => ({ kind: "bool", value: b })),
      fc.constant({ kind: "none" }),
      fc.string({ maxLength: 6 }).map((s) => ({ kind: "string", value: s })),
      name.map((n) => ({ kind: "name", path: [n] })),
      fc.array(tie("expr"), { maxLength: 3 }).map((items) => ({ kind: "list", items })),
      fc.array(tie("expr"), { maxLength: 3 }).map((items) => ({ kind: "list", items, tuple: true })),
      fc.tuple(name, fc.array(fc.tuple(fc.option(name, { nil: undefined }), tie("expr")), { maxLength: 4 })).map(([callee, args]) => {
        // Positional arguments first, as the grammar's checker expects (the parser accepts both).
        const sorted = [...args].sort((a, b) => Number(a[0] !== undefined) - Number(b[0] !== undefined));
        return { kind: "call", callee: { kind: "name", path: [callee] }, args: sorted.map(([n, v]) => (n === undefined ? { value: v } : { name: n, value: v })) };
      }),
    ),
  }));
  it("property: random programs print, re-parse to the same AST, and print identically", () => {
    fc.assert(
      fc.property(expr, (e) => {
        const program = { bindings: [], body: e, span: { start: 0, end: 0 } } as unknown as Program;
        const text = formatProgram(program);
        const back = parseOk(text);
        expect(strip(back.body)).toEqual(strip(e));
        expect(formatProgram(back)).toBe(text);
      }),
      { numRuns: 400, seed: 1 },
    );
  });
});

describe("fuzzing: any input yields diagnostics, never an exception", () => {
  const seeds = ["sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)", "lr = cosine_decay_schedule(1e-3, 10000)\nadamw(lr, weight_decay=1e-4, mask=['*'])", "MultiSteps(apply_if_finite(lamb(1e-3), 3), every_k_schedule=piecewise_constant_schedule(2, {10: 2}))"];
  const alphabet = ["(", ")", "[", "]", "{", "}", ",", "=", ":", ".", ";", "\n", "-", "1e", "0.", '"', "'", "#", "x", "sgd", "None", "sam", "True", " ", "\\", "1e999"];
  const check = (src: string) => {
    const c = compileSource(src);
    for (const d of c.diagnostics) {
      expect(typeof d.code).toBe("string");
      // A diagnostic about the config always points into it.
      expect(d.span).toBeDefined();
      expect(d.span!.start).toBeGreaterThanOrEqual(0);
      expect(d.span!.end).toBeLessThanOrEqual(src.length + 1);
    }
    if (!c.artifact) expect(c.diagnostics.some((d) => d.severity === "error")).toBe(true);
  };
  it("random strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => check(s)), { numRuns: 1500, seed: 3 });
  });
  it("random token soups", () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...alphabet, ...allNames()), { maxLength: 25 }), (toks) => check(toks.join(""))), { numRuns: 1500, seed: 4 });
  });
  it("mutations of valid configs (insert, delete, replace)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 4 }), (seed, edits) => {
        let s = seed;
        for (const [pos, kind, tok] of edits) {
          const at = pos % (s.length + 1);
          s = kind === 0 ? s.slice(0, at) + tok + s.slice(at) : kind === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + tok + s.slice(at + tok.length);
        }
        check(s);
      }),
      { numRuns: 1500, seed: 5 },
    );
  });
});
