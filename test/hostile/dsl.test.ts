/**
 * The language front end and its printers under hostile input: comments kept by the formatter,
 * strings with control characters, spans of lists and maps, diagnostics that are safe to print
 * and bounded in size, and generated modules that carry nothing raw and type-check.
 */
import fc from "fast-check";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../build.js";
import { jsString } from "../../compiler/codegen/to_source.js";
import { checkModuleName, GLOBAL_NAMES, MODULE_NAMES, RESERVED_NAMES } from "../../compiler/codegen/ts_module.js";
import { MAX_LINE_COLUMNS, renderDiagnostic, renderDiagnostics } from "../../compiler/diagnostics.js";
import type { Expr, Program } from "../../dsl/ast.js";
import { error } from "../../dsl/diagnostic.js";
import { escapeUnsafe, formatProgram, formatString } from "../../dsl/format.js";
import { parse } from "../../dsl/parse.js";
import { lexComments } from "../../dsl/tokens.js";

/** The AST without spans, for comparing parses of different texts. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).filter(([k]) => !k.toLowerCase().endsWith("span")).map(([k, v]) => [k, strip(v)]));
  return x;
}

function parseOk(src: string): Program {
  const r = parse(src);
  if (!r.program || r.diagnostics.some((d) => d.severity === "error")) throw new Error(`parse failed: ${JSON.stringify(r.diagnostics)}\n${src}`);
  return r.program;
}

const fmt = (src: string) => formatProgram(parseOk(src), src);
const commentTexts = (src: string) => lexComments(src).map((c) => c.text.trimEnd());
const UNSAFE_RAW = /[\0-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

/** fmt is stable, keeps the AST and keeps every comment's text, in order. */
function expectGoodFormat(src: string): string {
  const once = fmt(src);
  expect(fmt(once), `not stable:\n${src}\n---\n${once}`).toBe(once);
  expect(strip(parseOk(once))).toEqual(strip(parseOk(src)));
  expect(commentTexts(once)).toEqual(commentTexts(src));
  return once;
}

describe("fmt keeps comments", () => {
  it.each([
    ["own-line comments above statements, trailing ones after them", "# head\nlr = 0.1 # rate\n\n// last\nadam(lr)  # done\n# tail\n", "# head\nlr = 0.1  # rate\n// last\nadam(lr)  # done\n# tail\n"],
    ["a comment inside a call breaks it, one element per line", "adam(0.1, # lr\n b1=0.9)", "adam(\n    0.1,  # lr\n    b1=0.9,\n)\n"],
    ["own-line comments inside brackets go above the next element", "adam(\n # the rate\n 0.1, b1=0.9)", "adam(\n    # the rate\n    0.1,\n    b1=0.9,\n)\n"],
    ["a comment before the closing bracket stays there", "adam(0.1,\n # nothing after\n)", "adam(\n    0.1,\n    # nothing after\n)\n"],
    ["an empty call with a comment", "f(\n# only\n)", "f(\n    # only\n)\n"],
    ["nested: every bracket around a comment breaks", "chain(clip(1.0), adam(0.1, mask=['*', # all\n '!b']))", 'chain(\n    clip(1.0),\n    adam(\n        0.1,\n        mask=[\n            "*",  # all\n            "!b",\n        ],\n    ),\n)\n'],
    ["a comment in the middle of an element moves above it", "f(a= # why\n 1, b=2)", "f(\n    # why\n    a=1,\n    b=2,\n)\n"],
    ["after the opening bracket: above the first element", "f( # first\n 1)", "f(\n    # first\n    1,\n)\n"],
    ["maps", "f({1000: 0.1, # a\n 2000: 0.01})", "f(\n    {\n        1000: 0.1,  # a\n        2000: 0.01,\n    },\n)\n"],
    ["after a broken element, after its bracket", "f(g(1, # x\n), # y\n 2)", "f(\n    g(\n        1,  # x\n    ),  # y\n    2,\n)\n"],
    ["; separated statements", "a = 1; # one\nb = 2 // two\nf(a, b)", "a = 1  # one\nb = 2  // two\nf(a, b)\n"],
    ["CRLF line ends, # inside strings", 'lr = 0.1 # r\r\nadam(lr, mask="#not") # c\r\n', 'lr = 0.1  # r\nadam(lr, mask="#not")  # c\n'],
  ])("%s", (_, src, want) => {
    expect(expectGoodFormat(src)).toBe(want);
  });

  it("without the source, formatProgram prints no comments (as before)", () => {
    expect(formatProgram(parseOk("adam(0.1) # c"))).toBe("adam(0.1)\n");
  });

  // Programs from the canonical printer with comments added at random line ends and lines.
  const config = fc.constantFrom(
    "sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)",
    "lr = cosine_decay_schedule(1e-3, 10000)\nadamw(lr, weight_decay=1e-4, mask=['*', '!*.bias'])",
    "MultiSteps(apply_if_finite(lamb(1e-3), 3), every_k_schedule=piecewise_constant_schedule(2, {10: 2, 20: 3}))",
    "chain(clip_by_global_norm(1.0), adamw(learning_rate=warmup_cosine_decay_schedule(0, 1e-3, 100, 10000), weight_decay=1e-4, mask=['*', '!*.bias', '!*.scale']))",
    "f([[1, 2], [3, [4, 5]]], {1: [6], 2: {3: 4}}, x=g(h(i(j()))))",
  );
  it("property: comments anywhere a line can end (or begin) survive, in order, and fmt is stable", () => {
    fc.assert(
      fc.property(config, fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.constantFrom("#", "//"), fc.stringMatching(/^[ a-z0-9#/()=,]{0,12}$/)), { minLength: 1, maxLength: 6 }), (cfg, edits) => {
        // A line break after every ( and , first, so that comments land inside brackets too.
        const out = cfg.replace(/\(/g, "(\n").replace(/,/g, ",\n").split("\n");
        for (const [pos, ownLine, mark, text] of edits) {
          const at = pos % out.length;
          if (ownLine) out.splice(at, 0, `${mark}${text}`);
          else if (!/#|\/\//.test(out[at])) out[at] = `${out[at]} ${mark}${text}`;
        }
        expectGoodFormat(out.join("\n"));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("fuzz: any source that parses formats stably, with its comments", () => {
    const alphabet = ["(", ")", "[", "]", "{", "}", ",", "=", ":", ";", "\n", "-", "1", "0.5", '"s"', "'#'", "# c", "// d", " ", "x", "sgd", "None", "True", "a=", "\r\n"];
    let parsed = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), (toks) => {
        const src = toks.join("");
        const r = parse(src);
        if (!r.program || r.diagnostics.some((d) => d.severity === "error")) return;
        parsed++;
        expectGoodFormat(src);
      }),
      { numRuns: 3000, seed: 12 },
    );
    expect(parsed).toBeGreaterThan(50);
  });
});

describe("strings: control characters are printed as \\u{..} escapes and read back", () => {
  it("property: format then parse gives the same string, with nothing unsafe raw", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 12 }), (s) => {
        const text = formatString(s);
        expect(text).not.toMatch(UNSAFE_RAW);
        const body = parseOk(`f(${text})`).body as Extract<Expr, { kind: "call" }>;
        expect((body.args[0].value as Extract<Expr, { kind: "string" }>).value).toBe(s);
      }),
      { numRuns: 1000, seed: 13 },
    );
  });
  it("\\u{..} escapes, and bad ones are E107", () => {
    const value = (src: string) => ((parseOk(src).body as Extract<Expr, { kind: "call" }>).args[0].value as Extract<Expr, { kind: "string" }>).value;
    expect(value('f("\\u{1b}[\\u{1F600}]")')).toBe("\u001b[\u{1F600}]");
    for (const bad of ['f("\\u12")', 'f("\\u{}")', 'f("\\u{110000}")', 'f("\\u{1234567}")', 'f("\\u")']) {
      expect(parse(bad).diagnostics.map((d) => d.code), bad).toContain("E107");
    }
  });
});

describe("spans of lists and maps come from their brackets", () => {
  it("a list or map (and the program) spans from bracket to bracket", () => {
    const src = "x = 1\nf([1, 2], {3: 4})";
    const p = parseOk(src);
    const call = p.body as Extract<Expr, { kind: "call" }>;
    const [list, map] = call.args.map((a) => a.value);
    expect(src.slice(list.span.start, list.span.end)).toBe("[1, 2]");
    expect(src.slice(map.span.start, map.span.end)).toBe("{3: 4}");
    expect(p.span).toEqual({ start: 0, end: src.length });
  });
});

describe("rendered diagnostics", () => {
  const at = (src: string, needle: string, len = needle.length) => error("E999", "message", { start: src.indexOf(needle), end: src.indexOf(needle) + len }, "hint");
  const body = (r: string) => r.split("\n").slice(3, 5);
  it("escape control characters and keep the caret under what is printed", () => {
    const src = "a\u001bb\u202ec(x)";
    const caret = (spaces: number, carets: number) => `  | ${" ".repeat(spaces)}${"^".repeat(carets)}`;
    // a \u{1b} b \u{202e} c ( : 1 + 6 + 1 + 8 + 1 + 1 columns before the x.
    expect(body(renderDiagnostic(at(src, "x"), src))).toEqual(["1 | a\\u{1b}b\\u{202e}c(x)", caret(18, 1)]);
    expect(body(renderDiagnostic(at(src, "\u202e"), src))).toEqual(["1 | a\\u{1b}b\\u{202e}c(x)", caret(8, 8)]);
  });
  it("tabs are copied to the caret line; wide characters and emoji count two columns, never half", () => {
    const tab = "\t\tadam(x)";
    expect(body(renderDiagnostic(at(tab, "x"), tab))).toEqual(["1 | \t\tadam(x)", "  | \t\t     ^"]);
    const wide = "中文 😀 x";
    expect(body(renderDiagnostic(at(wide, "x"), wide))).toEqual(["1 | 中文 😀 x", `  | ${" ".repeat(8)}^`]);
    // A span on the high surrogate alone still covers the whole emoji.
    expect(body(renderDiagnostic(at(wide, "😀", 1), wide))[1]).toBe(`  | ${" ".repeat(5)}^^`);
  });
  it("messages, hints and file names are escaped", () => {
    const r = renderDiagnostic(error("E1", "bad '\u001b[2J'", { start: 0, end: 1 }, "try \u202e"), "x", "f\u0007.opt");
    expect(r).not.toMatch(UNSAFE_RAW);
    expect(r).toContain("bad '\\u{1b}[2J'");
    expect(r).toContain("--> f\\u{7}.opt:1:1");
  });
  it("a long line is cut to a window around the caret, with … at the cuts", () => {
    const src = `${"a".repeat(500_000)}X${"b".repeat(500_000)}`;
    const t0 = Date.now();
    const r = renderDiagnostic(at(src, "X"), src);
    expect(Date.now() - t0).toBeLessThan(500);
    const [line, caret] = body(r);
    expect(line.length).toBeLessThanOrEqual(MAX_LINE_COLUMNS + 10);
    expect(line.startsWith("1 | …") && line.endsWith("…")).toBe(true);
    expect(line[caret.indexOf("^")]).toBe("X");
    expect(r.length).toBeLessThan(1000);
    const head = "adam(" + "1, ".repeat(100_000);
    const end = renderDiagnostic(error("E1", "m", { start: head.length, end: head.length + 1 }), head);
    expect(body(end)[0].endsWith("1, 1, ")).toBe(true);
  });
  it("thousands of diagnostics render a bounded report", () => {
    const src = "@ ".repeat(5000);
    const diags = Array.from({ length: 5000 }, (_, i) => error("E101", "unexpected '@'", { start: 2 * i, end: 2 * i + 1 }));
    const t0 = Date.now();
    const r = renderDiagnostics(diags, src);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toContain("more diagnostics (not shown)");
    expect(r.length).toBeLessThan(200_000);
  });
});

describe("generated modules", () => {
  it("string constants escape what JSON leaves raw (C1, bidi, separators, BOM)", () => {
    for (const s of ["\u202e", "\u2066x\u2069", "\u0085", "\u007f", "\ufeff", "\u2028", "\u200f", "a\u001bb", "\ud800"]) {
      const lit = jsString(s);
      expect(lit).not.toMatch(UNSAFE_RAW);
      expect(JSON.parse(lit)).toBe(s);
    }
  });
  it("carry no raw control or bidi character from the config, in comments or strings", () => {
    const r = compileToModule('adamw(1e-3, mask="\u202e*/\u0007\u2028")');
    expect(r.code, JSON.stringify(r.diagnostics)).toBeDefined();
    expect(r.code).not.toMatch(UNSAFE_RAW);
    expect(r.code).toContain("// config:");
    expect(r.code).not.toMatch(/\*\/\\u\{7\}/); // the doc comment is not closed early
  });
  it("names: every refused name is refused, with a hint", () => {
    for (const n of [...RESERVED_NAMES, ...MODULE_NAMES, ...GLOBAL_NAMES, "", "1x", "a b", "é", "x".repeat(201)]) {
      const d = checkModuleName(n);
      expect(d?.code, n).toBe("E402");
      expect(d?.hint).toBeTruthy();
    }
    expect(checkModuleName("createOptimizer")).toBeUndefined();
  });

  it("modules with accepted names type-check under tsc --strict; a refused module name would not", () => {
    const root = new URL("../../", import.meta.url).pathname;
    const dir = join(root, "test/.generated/hostile");
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const write = (file: string, code: string) => {
      writeFileSync(join(dir, file), code);
      files.push(join(dir, file));
    };
    const names = ["create", "$", "_opt", "type", "async", "of", "constructor", "module", "require", "window", "self"];
    for (const [i, name] of names.entries()) {
      const target = i % 3 === 0 ? "webgpu" : i % 3 === 1 ? "gpujs" : "js";
      const r = compileToModule("chain(clip_by_global_norm(1.0), adam(1e-3))", { name, target, runtimeImport: "../../../runtime/index.js" });
      expect(r.code, name).toBeDefined();
      write(`ok_${i}.ts`, r.code!);
    }
    // What E402 prevents: the same module with a refused name in place of the factory's.
    const base = compileToModule("adam(1e-3)", { name: "createOptimizer", runtimeImport: "../../../runtime/index.js" }).code!;
    const refused = ["artifact", "kernels", "load", "Run", "Math", "default", "class", "eval", "arguments", "await", "yield", "enum"];
    for (const [i, name] of refused.entries()) write(`bad_${i}.ts`, base.replaceAll("createOptimizer", name));
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      types: ["node"],
      skipLibCheck: true,
    });
    const problems = (f: string) => ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).filter((d) => d.file?.fileName === f).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    for (const f of files.filter((x) => x.includes("/ok_"))) expect(problems(f), f).toEqual([]);
    for (const [i, f] of files.filter((x) => x.includes("/bad_")).entries()) expect(problems(f).length, refused[i]).toBeGreaterThan(0);
  });
});

describe("escapeUnsafe", () => {
  it("keeps newlines, tabs and printable text, escapes the rest", () => {
    expect(escapeUnsafe("a\tb\nc 😀 é")).toBe("a\tb\nc 😀 é");
    expect(escapeUnsafe("\u001b\u009b\u202a\u2066\ud83d")).toBe("\\u{1b}\\u{9b}\\u{202a}\\u{2066}\\u{d83d}");
  });
});
