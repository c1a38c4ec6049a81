/**
 * optc/golden and `optc golden`: golden trajectories of the spec's SAM rows (§9.8(a) in both
 * modes, §9.8(b)), re-checked on js, interp and gpu.js's cpu mode here (WebGPU in
 * test/backends/webgpu.test.ts); drift detection at the documented tolerances; and every bad
 * golden file or option as a G-code diagnostic, never a stack trace.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkGolden, expectGolden, formatGoldenReport, GoldenError, parseGolden, readGoldenFile, recordGolden, serializeGolden, writeGolden, type GoldenFile } from "../../golden.js";
import { sealGolden } from "../../tools/golden/format.js";
import { expectClose } from "../helpers/run.js";
import { SAM_PHASES_A, SAM_ROWS_A } from "../helpers/spec_rows.js";

const DIR = new URL("../golden/trajectories/", import.meta.url).pathname;
const BIN = new URL("../../bin/optc.js", import.meta.url).pathname;
const PAPER = "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=2)";
const PAPER_FILE = join(DIR, "sam_paper.golden.json");
const HERE: ("js" | "interp" | "gpujs")[] = ["js", "interp", "gpujs"];

/** The float32 `n` representable values away from x. */
function f32Step(x: number, n: number): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  i[0] += x >= 0 ? n : -n;
  return f[0];
}

/** A copy of the golden file with one value moved by `n` float32 steps, sealed again (a valid file that drifts). */
function moved(g: GoldenFile, step: number, index: number, n: number): GoldenFile {
  const trajectory = g.trajectory.map((r) => ({ ...r, params: [...r.params] }));
  trajectory[step - 1].params[index] = f32Step(trajectory[step - 1].params[index], n);
  const { sha256: _, ...rest } = g;
  return sealGolden({ ...rest, trajectory });
}

function errorOf(f: () => unknown): GoldenError {
  try {
    f();
  } catch (e) {
    if (e instanceof GoldenError) return e;
    throw e;
  }
  throw new Error("expected a GoldenError");
}

async function asyncErrorOf(f: () => Promise<unknown>): Promise<GoldenError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof GoldenError) return e;
    throw e;
  }
  throw new Error("expected a GoldenError");
}

describe("golden files of the spec's SAM rows", () => {
  it("§9.8(a): the recording holds the spec's rows and phases, and js, interp and gpu.js follow it", async () => {
    const g = readGoldenFile(PAPER_FILE);
    expect(g.trajectory.map((r) => r.phase)).toEqual(SAM_PHASES_A);
    // Within 2 float32 ulps of the spec's float32 derivation (the last row's -0.0196 by cancellation: absolute 3e-8).
    g.trajectory.forEach((r, i) => expectClose(r.params, SAM_ROWS_A[i], 2.4e-7, 3e-8));
    const report = await expectGolden(PAPER_FILE, PAPER, { backends: HERE, steps: 6 });
    expect(report.results.map((r) => [r.backend, r.ok])).toEqual(HERE.map((b) => [b, true]));
    // js and interp are the definition: bit for bit.
    expect(report.results.filter((r) => r.backend !== "gpujs").every((r) => r.steps.every((s) => !s.differs))).toBe(true);
  });
  it("§9.8(a) opaque: one step per cycle, rows 2, 4 and 6", async () => {
    const file = join(DIR, "sam_paper_opaque.golden.json");
    const g = readGoldenFile(file);
    g.trajectory.forEach((r, i) => expectClose(r.params, SAM_ROWS_A[2 * i + 1], 2.4e-7, 3e-8));
    expect(g.trajectory.map((r) => r.phase)).toEqual(["opaque_cycle", "opaque_cycle", "opaque_cycle"]);
    const report = await expectGolden(file, "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync_period=2, opaque_mode=true)", { backends: HERE });
    // An opaque step is a whole cycle: its tolerance is sync_period phases' worth.
    expect(report.results.find((r) => r.backend === "gpujs")!.steps.map((s) => s.limit)).toEqual([8, 16, 24]);
  });
  it("§9.8(b) k = 3 with adam: calls 1, 2, 3 and 6", async () => {
    const file = join(DIR, "sam_adam_k3.golden.json");
    const rows = readGoldenFile(file).trajectory.map((r) => r.params);
    expectClose(rows[0], [-1.01, 10.01, 1], 1e-6);
    expectClose(rows[1], [-1.0200009, 10.02, 1], 1e-6);
    expectClose(rows[2], [-0.9000007, 9.900001, 1], 1e-6);
    expectClose(rows[5], [-0.8001662, 9.800026, 1], 1e-5);
    await expectGolden(file, "sam(adam(0.1), chain(normalize(), adam(0.01)), sync_period=3)", { backends: HERE });
  });
});

describe("drift is caught at the documented tolerance", () => {
  const g = readGoldenFile(PAPER_FILE);
  it("js and interp are exact: one float32 step anywhere fails, from that step on", async () => {
    const report = await checkGolden(moved(g, 4, 1, 1), { backends: ["js", "interp"] });
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => r.firstFailure)).toEqual([4, 4]);
    const table = formatGoldenReport(report);
    expect(table).toMatch(/^4\s+outer\s+\S+ !\s+\S+ !$/m);
    expect(table).toContain("DRIFT at 4");
  });
  it("gpu.js may drift 4 ulps per phase: 3 float32 steps at step 1 pass, 5 fail", async () => {
    // x[0] = -1.0089443: one float32 step there is 0.99 ulps of max(1, |x|).
    expect((await checkGolden(moved(g, 1, 0, 3), { backends: ["gpujs"] })).ok).toBe(true);
    const r = (await checkGolden(moved(g, 1, 0, 5), { backends: ["gpujs"] })).results[0];
    expect(r.ok).toBe(false);
    expect(r.firstFailure).toBe(1);
    expect(r.steps[0].ulps).toBeCloseTo(5 / 1.0089443, 3);
  });
  it("a changed phase is drift too", async () => {
    const trajectory = g.trajectory.map((row, i) => (i === 1 ? { ...row, phase: "adversarial" } : row));
    const { sha256: _, ...rest } = g;
    const report = await checkGolden(sealGolden({ ...rest, trajectory }), { backends: ["js"] });
    expect(report.results[0].firstFailure).toBe(2);
    expect(formatGoldenReport(report)).toContain("phase outer !");
  });
  it("expectGolden throws G105 with the table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "optc-golden-"));
    const file = join(dir, "drift.golden.json");
    writeGolden(file, moved(g, 2, 0, 2));
    const e = await asyncErrorOf(() => expectGolden(file, PAPER, { backends: ["js"] }));
    expect(e.code).toBe("G105");
    expect(e.message).toContain("js from step 2");
    expect(e.message).toContain("DRIFT at 2");
  });
});

describe("bad golden files and options are G-code diagnostics", () => {
  const text = readFileSync(PAPER_FILE, "utf8");
  const obj = () => JSON.parse(text) as Record<string, unknown>;
  const cases: [string, string, string, string][] = [
    ["not JSON", "{", "G101", "not JSON"],
    ["cut short", text.slice(0, text.length >> 1), "G101", "not JSON"],
    ["a list", "[]", "G101", "not a JSON object"],
    ["another format", JSON.stringify({ ...obj(), format: "jest-snapshot" }), "G101", '"format"'],
    ["a newer format version", JSON.stringify({ ...obj(), version: 2 }), "G102", "newer optc"],
    ["an older format version", JSON.stringify({ ...obj(), version: 0 }), "G102", "version 0"],
    ["no config", JSON.stringify({ ...obj(), config: undefined }), "G101", '"config"'],
    ["a counter instead of steps", JSON.stringify({ ...obj(), steps: 2.5 }), "G101", '"steps"'],
    ["fewer rows than steps", JSON.stringify({ ...obj(), steps: 7 }), "G101", "one row per step"],
    ["an unknown problem", JSON.stringify({ ...obj(), problem: { name: "mnist", x0: [1] } }), "G101", '"problem"'],
    ["an unknown backend", JSON.stringify({ ...obj(), backends: ["js", "cuda"] }), "G104", "'cuda'"],
    ["a NaN param", text.replace("-1.0089443", "NaN"), "G101", "not JSON"],
    ["a string param", text.replace("-1.0089443", '"-1.0089443"'), "G101", "finite params"],
    ["a param past float32", text.replace("-1.0089443", "1e39"), "G101", "float32's range"],
    ["a value edited by hand", text.replace("-1.0089443", "-1.0089442"), "G101", "digest"],
    ["a row out of order", text.replace('"step":2', '"step":3'), "G101", "row 2"],
    ["a stripped digest", text.replace(/"sha256": "[0-9a-f]+"/, '"sha256": ""'), "G101", "digest"],
  ];
  for (const [what, bad, code, fragment] of cases) {
    it(what, () => {
      const e = errorOf(() => parseGolden(bad, "bad.golden.json"));
      expect(e.code).toBe(code);
      expect(e.message).toContain(fragment);
      expect(e.message).toMatch(/\n = hint: /);
    });
  }
  it("files: missing is G106; a device or a folder is G101 without reading it", () => {
    expect(errorOf(() => readGoldenFile(join(DIR, "nope.golden.json"))).code).toBe("G106");
    expect(errorOf(() => readGoldenFile("/dev/zero")).message).toContain("not a regular file");
    expect(errorOf(() => readGoldenFile(DIR)).code).toBe("G101");
  });
  it("the file round-trips through its text form", () => {
    const g = parseGolden(text);
    expect(serializeGolden(g)).toBe(text);
  });
  it("check options: unknown or no backends are G104", async () => {
    const g = readGoldenFile(PAPER_FILE);
    expect((await asyncErrorOf(() => checkGolden(g, { backends: ["cuda"] }))).code).toBe("G104");
    expect((await asyncErrorOf(() => checkGolden(g, { backends: [] }))).code).toBe("G104");
  });
  it("record options out of range are G107; so is a failed write", async () => {
    for (const options of [{ steps: 0 }, { steps: 1.5 }, { x0: [1, Number.NaN] }, { problem: "rosenbrock", x0: [1, 2, 3] }, { problem: "mnist" }, { x0: new Array(1000).fill(1), steps: 100_000 }]) {
      expect((await asyncErrorOf(() => recordGolden("sgd(0.1)", options))).code).toBe("G107");
    }
    const g = await recordGolden("sgd(0.1)", { steps: 2 });
    expect(errorOf(() => writeGolden("/dev/full", g)).message).toContain("not a regular file");
  });
  it("expectGolden: another config or problem is G103; a missing file is recorded, except under CI", async () => {
    expect((await asyncErrorOf(() => expectGolden(PAPER_FILE, "sam(sgd(0.1), chain(normalize(), sgd(0.05)), sync=3)"))).code).toBe("G103");
    expect((await asyncErrorOf(() => expectGolden(PAPER_FILE, PAPER, { steps: 5 }))).message).toContain("6 steps, not 5");
    const dir = mkdtempSync(join(tmpdir(), "optc-golden-"));
    const file = join(dir, "new.golden.json");
    const ci = process.env.CI;
    try {
      process.env.CI = "true";
      expect((await asyncErrorOf(() => expectGolden(file, "adam(0.01)"))).code).toBe("G106");
      expect(existsSync(file)).toBe(false);
      delete process.env.CI;
      const report = await expectGolden(file, "adam(0.01)", { problem: "sphere", steps: 3 });
      expect(report.ok).toBe(true);
      expect(readGoldenFile(file).config).toBe("adam(0.01)");
    } finally {
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
    }
  });
});

describe("optc golden", () => {
  const dir = mkdtempSync(join(tmpdir(), "optc-golden-cli-"));
  const optc = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, "golden", ...args], { encoding: "utf8", cwd: dir });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  it("record writes a file that check passes; a drifted file exits 1 with the table", () => {
    const r = optc("record", "sam(sgd(0.1), chain(normalize(), sgd(0.05)))", "--x0=-1,10,1", "--steps", "6", "--backends", "js,gpujs", "--out", "sam.json");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/result\s+ok\s+ok/);
    const g = readGoldenFile(join(dir, "sam.json"));
    expect(g.backends).toEqual(["js", "gpujs"]);
    g.trajectory.forEach((row, i) => expectClose(row.params, SAM_ROWS_A[i], 2.4e-7, 3e-8));
    expect(optc("check", "sam.json").code).toBe(0);
    writeFileSync(join(dir, "drift.json"), serializeGolden(moved(g, 3, 1, 1)));
    const d = optc("check", "drift.json");
    expect(d.code).toBe(1);
    expect(d.err).toContain("error[G105]");
    expect(d.err).toMatch(/result\s+DRIFT at 3\s+ok/);
  });
  it("bad input: exit 2 for usage (unknown backend, no --out), 1 for bad files; never a stack trace", () => {
    const bad = [
      [2, "G104", optc("check", "x.json", "--backends", "js,tpu")],
      [2, "needs --out", optc("record", "sgd(0.1)")],
      [1, "G106", optc("check", "missing.json")],
      [1, "G101", optc("check", "/dev/zero")],
      [1, "E202", optc("record", "adam(learning_rte=1e-3)", "--out", "x.json")],
      [2, "unknown golden command", optc("frobnicate")],
    ] as const;
    for (const [code, fragment, r] of bad) {
      expect(r.code).toBe(code);
      expect(r.err).toContain(fragment);
      expect(r.err).not.toMatch(/\n\s+at .*:\d+:\d+/);
    }
  });
});
