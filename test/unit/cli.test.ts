/** The CLI as people run it: exit codes, output, diagnostics with carets, trace rows. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectClose } from "../helpers/run.js";
import { SAM_PHASES_A, SAM_ROWS_A } from "../helpers/spec_rows.js";

const BIN = new URL("../../bin/optc.js", import.meta.url).pathname;

function optc(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const rows = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l));

describe("optc check", () => {
  it("accepts the paper's SAM and prints the canonical form and state", () => {
    const r = optc("check", "sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync=2)");
    expect(r.code).toBe(0);
    expect(r.out).toContain("sam(sgd(0.01), chain(normalize(), sgd(0.1)), sync_period=2)");
    expect(r.out).toMatch(/sam\.cache\s+per-parameter float32\s+init copy of params/);
    expect(r.out).toMatch(/sam\.steps_since_sync\s+scalar int32/);
  });
  it("rejects a misspelt keyword with a caret and a suggestion, exit 1", () => {
    const r = optc("check", "adam(learning_rte=1e-3)");
    expect(r.code).toBe(1);
    expect(r.err).toContain("error[E202]");
    expect(r.err).toContain("1 | adam(learning_rte=1e-3)\n  |      ^^^^^^^^^^^^");
    expect(r.err).toContain("did you mean 'learning_rate'?");
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });
  it("reads -f files and names them in diagnostics", () => {
    const dir = mkdtempSync(join(tmpdir(), "optc-"));
    const file = join(dir, "train.opt");
    writeFileSync(file, "lr = 1e-3\nadamw(lr, weight_decay=-1, b1=2)\n");
    const r = optc("check", "-f", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`--> ${file}:2:31`);
  });
  it("usage errors exit 2; --help exits 0", () => {
    expect(optc("check").code).toBe(2);
    expect(optc("frobnicate").code).toBe(2);
    expect(optc("check", "--help").out).toContain("optc check");
    expect(optc("--help").code).toBe(0);
  });
});

describe("optc trace", () => {
  it("reproduces the §12 adam(0.003) sphere row", () => {
    const r = optc("trace", "adam(0.003)", "--problem", "sphere", "--x0=1,2,3", "--steps", "5");
    expect(r.code).toBe(0);
    expect(rows(r.out).map((x) => x.loss.toExponential(2))).toEqual(["1.40e+1", "1.39e+1", "1.39e+1", "1.39e+1", "1.38e+1"]);
  });
  it("prints the §9.8(a) rows with phases, and opaque mode rows 2, 4, 6 in three steps", () => {
    const t = rows(optc("trace", "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2)", "--problem", "quadratic", "--x0=-1,10,1", "--target=1,-1,1", "--steps", "6").out);
    expect(t.map((x) => x.phase)).toEqual(SAM_PHASES_A);
    // Within 2 float32 ulps of the spec's float32 derivation (the last row's -0.0196 comes from
    // cancellation, so it is compared with an absolute 3e-8).
    t.forEach((x, i) => expectClose(x.params, SAM_ROWS_A[i], 2.4e-7, 3e-8));
    const o = rows(optc("trace", "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2, opaque_mode=true)", "--problem", "quadratic", "--x0", "-1,10,1", "--target", "1,-1,1", "--steps", "3", "--backend", "interp").out);
    expect(o.map((x) => x.params)).toEqual([t[1].params, t[3].params, t[5].params]);
  });
  it("--backend gpujs (gpu.js's cpu mode in Node) prints the same §9.8(a) rows", () => {
    const cfg = "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2)";
    const r = optc("trace", cfg, "--problem", "quadratic", "--x0=-1,10,1", "--target=1,-1,1", "--steps", "6", "--backend", "gpujs");
    expect(r.code).toBe(0);
    const t = rows(r.out);
    expect(t.map((x) => x.phase)).toEqual(SAM_PHASES_A);
    t.forEach((x, i) => expectClose(x.params, SAM_ROWS_A[i], 2.4e-7, 3e-8));
  });
  it("rosenbrock with --every prints every 100th step", () => {
    const t = rows(optc("trace", "adam(0.02)", "--problem", "rosenbrock", "--x0=-1.2,1", "--steps", "1000", "--every", "100").out);
    expect(t.map((x) => x.step)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(t[9].loss).toBeLessThan(t[0].loss);
  });
  it("a step refused at run time is a clean error", () => {
    const r = optc("trace", "sam(sgd(0.1), chain(normalize(), sgd(0.05)))", "--x0=1,-1,1");
    expect(r.code).toBe(1);
    expect(r.err).toContain("error[R203]");
  });
});

describe("optc explain and fmt", () => {
  it("explain shows passes and bytes for clip + adamw", () => {
    const r = optc("explain", "chain(clip_by_global_norm(1.0), adamw(1e-3))");
    expect(r.code).toBe(0);
    expect(r.out).toContain("phase step: 2 passes, 32 bytes per parameter per step");
    expect(r.out).toContain("chain[1].adamw.mu");
    expect(r.out).toContain("return function build(arenas, seg, sv, U, R, RS)");
  });
  it("explain --target webgpu shows the WGSL shaders", () => {
    const r = optc("explain", "lamb(1e-3)", "--target", "webgpu");
    expect(r.code).toBe(0);
    expect(r.out).toContain("@compute @workgroup_size(64)");
    expect(r.out).toContain("device program before pass 2");
    expect(r.out).toContain("array<vec4<f32>>");
    expect(r.out).toContain("(finiteness check only: validate: false skips it)");
  });
  it("fmt prints the canonical layout", () => {
    expect(optc("fmt", "adam( 1e-3 ,b1 = .9 )").out).toBe("adam(0.001, b1=0.9)\n");
  });
});

describe("files, formatting and docs from the CLI", () => {
  it("fmt --check fails on an unformatted file and --write fixes it; check reads -f -", () => {
    const dir = mkdtempSync(join(tmpdir(), "optc-fmt-"));
    const file = join(dir, "train.opt");
    writeFileSync(file, "lr=1e-3\nadam( lr ,b1=.9)\n");
    expect(optc("fmt", "-f", file, "--check").code).toBe(1);
    expect(optc("fmt", "-f", file, "--write").code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("lr = 0.001\nadam(lr, b1=0.9)\n");
    expect(optc("fmt", "-f", file, "--check").code).toBe(0);
    const r = spawnSync(process.execPath, [BIN, "check", "-f", "-"], { input: "sgd(0.1)", encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("sgd(0.1)");
  });
  it("docs --check passes on the README and fails on a stale copy", () => {
    const readme = new URL("../../README.md", import.meta.url).pathname;
    expect(optc("docs", "--check", readme).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "optc-docs-"));
    const stale = join(dir, "README.md");
    writeFileSync(stale, readFileSync(readme, "utf8").replace("- `adam(", "- `adamm("));
    expect(optc("docs", "--check", stale).code).toBe(1);
  });
});
