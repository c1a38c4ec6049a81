/**
 * The layers and their one-way imports (README, "Working on optc"): each source file may import
 * only its own layer and the layers listed for it, no file-level import cycle exists, and the
 * top-level folders do not import each other in a circle. Imports are read from the source text
 * (static, `export … from` and literal dynamic imports), type-only ones included.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);

/** A layer and what it may import besides itself. */
const ALLOWED: Record<string, string[]> = {
  format: [],
  dsl: [],
  targets: ["format"],
  runtime: ["format"],
  compiler: ["format", "dsl", "targets"],
  entry: ["format", "dsl", "targets", "runtime", "compiler"],
  tools: ["format", "dsl", "targets", "runtime", "compiler", "entry"],
  "golden-entry": ["format", "dsl", "targets", "runtime", "compiler", "entry", "tools"],
  // optc/tfjs: tfjs/ joins a compiled optimizer to tfjs's (optional peer) and only tfjs.ts imports it.
  tfjs: ["format", "runtime", "entry"],
  "tfjs-entry": ["tfjs"],
  bin: ["format", "dsl", "targets", "runtime", "compiler", "entry", "tools", "golden-entry", "tfjs-entry"],
};
const ENTRIES = new Set(["index.ts", "build.ts", "vite.ts", "reference.ts"]);

function layerOf(file: string): string {
  if (ENTRIES.has(file)) return "entry";
  if (file === "golden.ts") return "golden-entry";
  if (file === "tfjs.ts") return "tfjs-entry";
  return file.split("/")[0];
}

function sourceFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((f) => {
      const rel = dir ? `${dir}/${f}` : f;
      if (statSync(join(ROOT, rel)).isDirectory()) return walk(rel);
      return rel.endsWith(".ts") && !rel.endsWith(".d.ts") ? [rel] : [];
    });
  return [...["index.ts", "build.ts", "vite.ts", "reference.ts", "golden.ts", "tfjs.ts"], ...Object.keys(ALLOWED).filter((l) => !l.includes("entry")).flatMap((d) => walk(d))];
}

/** Every relative import of a file, resolved to a repository path (`.js` → `.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.[^"']+)["']/gm)].map((m) => m[1]);
  return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, ".ts"));
}

type Graph = Map<string, string[]>;

function layerViolations(graph: Graph): string[] {
  const wrong: string[] = [];
  for (const [file, deps] of graph) {
    const from = layerOf(file);
    for (const dep of deps) {
      const to = layerOf(dep);
      if (to !== from && !ALLOWED[from]?.includes(to)) wrong.push(`${file} (${from}) imports ${dep} (${to})`);
    }
  }
  return wrong;
}

/** Tarjan's strongly connected components: every component of two or more files is a cycle. */
function cycles(graph: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const f of graph.keys()) if (!idx.has(f)) visit(f);
  return found;
}

/** Pairs of layers that import each other (a cycle between top-level folders). */
function mutualLayers(graph: Graph): string[] {
  const edges = new Set<string>();
  for (const [file, deps] of graph) for (const dep of deps) if (layerOf(file) !== layerOf(dep)) edges.add(`${layerOf(file)} → ${layerOf(dep)}`);
  return [...edges].filter((e) => edges.has(e.split(" → ").reverse().join(" → ")));
}

/** Every bare (package) import of a file. */
function packagesOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^."'][^"']*)["']/gm)].map((m) => m[1]);
}

const files = sourceFiles();
const graph: Graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("layers", () => {
  it("reads a graph of the whole source tree", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get("compiler/pipeline.ts")).toContain("targets/index.ts");
  });

  it("every import stays in its layer or goes down to one the layer may use", () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it("every import names a file that exists", () => {
    const missing = [...graph].flatMap(([file, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${file} → ${d}`));
    expect(missing).toEqual([]);
  });

  it("no file-level import cycle", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("no two layers import each other", () => {
    expect(mutualLayers(graph)).toEqual([]);
  });

  it("tfjs reaches only optc/tfjs (and the CLI's demo): tfjs/ and tfjs.ts import @tensorflow/tfjs-core and nothing else of tfjs; no library source imports @tensorflow/*", () => {
    const inTfjs = (f: string) => f === "tfjs.ts" || f.startsWith("tfjs/");
    const wrong = files.flatMap((f) =>
      packagesOf(f)
        .filter((p) => (inTfjs(f) ? p.startsWith("@tensorflow/") && p !== "@tensorflow/tfjs-core" : layerOf(f) !== "bin" && p.startsWith("@tensorflow/")))
        .map((p) => `${f} imports ${p}`),
    );
    expect(wrong).toEqual([]);
    expect(files.filter(inTfjs).length).toBeGreaterThan(1);
  });

  it("the checks catch a wrong-way import, a cycle and two layers importing each other (made-up graphs)", () => {
    const bad: Graph = new Map([
      ["runtime/a.ts", ["compiler/b.ts"]],
      ["compiler/b.ts", ["compiler/c.ts"]],
      ["compiler/c.ts", ["compiler/b.ts", "runtime/a.ts"]],
    ]);
    expect(layerViolations(bad)).toEqual(["runtime/a.ts (runtime) imports compiler/b.ts (compiler)", "compiler/c.ts (compiler) imports runtime/a.ts (runtime)"]);
    expect(cycles(bad)).toEqual([["compiler/b.ts", "compiler/c.ts", "runtime/a.ts"]]);
    expect(mutualLayers(bad).sort()).toEqual(["compiler → runtime", "runtime → compiler"]);
    expect(layerViolations(new Map([["targets/x.ts", ["format/kernel.ts"]]]))).toEqual([]);
  });
});
