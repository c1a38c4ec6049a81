/** Build-time modules: deterministic, typed, eval-free, and bit-identical to runtime-compiled optimizers. */
import { build as esbuild } from "esbuild";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileToModule } from "../../build.js";
import { CATALOG_CONFIGS, model, wavyGrad } from "../helpers/catalog.js";
import { makeRun, trajectory } from "../helpers/run.js";
import { expectGolden } from "../helpers/golden.js";
import type { InitOptions, Run, TensorInit } from "../../runtime/index.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const GEN = join(ROOT, "test/.generated");
const RUNTIME = join(ROOT, "runtime/index.ts");
mkdirSync(GEN, { recursive: true });

type Factory = (params: Record<string, TensorInit>, options?: InitOptions) => Promise<Run>;

async function importModule(name: string, config: string): Promise<Factory> {
  const r = compileToModule(config, { runtimeImport: RUNTIME, name: "create" });
  if (!r.code) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  const file = join(GEN, `${name}.ts`);
  writeFileSync(file, r.code);
  return (await import(/* @vite-ignore */ file)).default as Factory;
}

describe("generated modules", () => {
  it("are deterministic", () => {
    const cfg = "sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)";
    expect(compileToModule(cfg).code).toBe(compileToModule(cfg).code);
  });

  for (const [name, config] of Object.entries(CATALOG_CONFIGS)) {
    it(`${name}: bit-identical to compile() over 7 steps`, async () => {
      const create = await importModule(`catalog_${name}`, config);
      const params = Object.fromEntries(Object.entries(model()).map(([k, v]) => [k, { shape: [v.length], data: Float32Array.from(v) }]));
      const generated = await trajectory(await create(params), 7, wavyGrad);
      const runtime = await trajectory(makeRun(config, model()), 7, wavyGrad);
      expect(generated).toEqual(runtime);
    });
  }

  it("bundle (esbuild) has no compiler, no chevrotain and no eval", async () => {
    const r = compileToModule("sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)", { runtimeImport: RUNTIME });
    const entry = join(GEN, "bundle_entry.ts");
    writeFileSync(entry, r.code!);
    const out = await esbuild({ entryPoints: [entry], bundle: true, write: false, format: "esm", minify: true, platform: "browser" });
    const js = out.outputFiles[0].text;
    expect(js).not.toMatch(/chevrotain|new Function|\beval\(|CstParser|ts-morph/);
    writeFileSync(join(GEN, "bundle_size.txt"), `${js.length}\n`);
    // A regression guard, not a goal: 39.3 KB before issue 17's page threads and issue 18's
    // argument rules (40.8 KB); the README's install table has the built package's sizes.
    expect(js.length).toBeLessThan(44_000);
  });

  it("golden modules type-check under tsc --strict (tsconfig includes test/golden)", () => {
    const dir = join(ROOT, "test/golden/modules");
    const goldens: Record<string, string> = {
      "paper_sam.ts": "sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)",
      "clip_adamw.ts": "chain(clip_by_global_norm(1.0), adamw(learning_rate=warmup_cosine_decay_schedule(0, 1e-3, 100, 10000), weight_decay=1e-4))",
      "lamb_masked.ts": 'lamb(1e-3, weight_decay=0.01, mask=["*", "!*.bias"])',
    };
    mkdirSync(dir, { recursive: true });
    for (const [file, cfg] of Object.entries(goldens)) expectGolden(join(dir, file), compileToModule(cfg, { name: "createOptimizer" }).code!);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(goldens).sort());
  });

  it("optc compile writes a module, --check detects staleness, errors exit 1", () => {
    const bin = join(ROOT, "bin/optc.js");
    const out = join(GEN, "cli_sam.ts");
    const cfg = "sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)";
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
    expect(run("compile", cfg, "--target", "js", "--out", out, "--name", "createSam").status).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("export function createSam(");
    expect(run("compile", cfg, "--out", out, "--name", "createSam", "--check").status).toBe(0);
    writeFileSync(out, readFileSync(out, "utf8") + "// edited\n");
    expect(run("compile", cfg, "--out", out, "--name", "createSam", "--check").status).toBe(1);
    const bad = run("compile", "adam(lr=1)", "--out", out);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("error[E202]");
    expect(run("compile", cfg, "--target", "gpujs").stdout).toContain("return GpuJsRun.create(artifact, params, options);");
    expect(run("compile", cfg, "--target", "vulkan").status).not.toBe(0);
    expect(run("compile", cfg, "--target", "webgpu").stdout).toContain("return GpuRun.create(artifact, params, options);");
  });
});
