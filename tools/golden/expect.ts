/**
 * Golden files in a test suite: `await expectGolden(file, config, options)` checks the file's
 * trajectory on each backend and throws G105 (with the table) on drift. A missing file is
 * recorded (never under CI=true, where it is G106), and OPTC_UPDATE_GOLDEN=1 re-records.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { compileArtifact } from "../../index.js";
import { checkGolden, driftError, recordGolden, type CheckOptions, type GoldenReport, type RecordOptions } from "./check.js";
import { GoldenError, readGoldenFile, serializeGolden, type GoldenFile } from "./format.js";
import { formatGoldenReport } from "./report.js";

/** Creates missing parent folders one level at a time (Node 20's recursive mkdir spins forever under /proc). */
function ensureParents(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    if (dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) mkdirSync(d);
}

/** Writes a golden file (one row per line) atomically: a temporary file beside it, then a rename. A failed write is G107. */
export function writeGolden(path: string, golden: GoldenFile): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    if (existsSync(path) && !statSync(path).isFile()) throw Object.assign(new Error("not a regular file"), { code: "not a regular file" });
    ensureParents(dirname(path));
    writeFileSync(tmp, serializeGolden(golden));
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new GoldenError("G107", `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, "check the path, its permissions and the free space");
  }
}

/** G103 unless the file was recorded for this config (compared in canonical form) and these record options. */
export function expectSameRecording(golden: GoldenFile, config: string, options: RecordOptions, file: string): void {
  const canonical = compileArtifact(config).config;
  const hint = "record it again (OPTC_UPDATE_GOLDEN=1, or optc golden record) if the change is intended";
  if (canonical !== golden.config) throw new GoldenError("G103", `${file} was recorded for another config:\n  file:   ${golden.config}\n  given:  ${canonical}`, hint);
  const differs: string[] = [];
  if (options.problem !== undefined && options.problem !== golden.problem.name) differs.push(`problem ${golden.problem.name}, not ${options.problem}`);
  if (options.steps !== undefined && options.steps !== golden.steps) differs.push(`${golden.steps} steps, not ${options.steps}`);
  if (options.x0 !== undefined && options.x0.join() !== golden.problem.x0.join()) differs.push(`x0 ${golden.problem.x0.join(",")}, not ${options.x0.join(",")}`);
  if (options.target !== undefined && options.target.join() !== (golden.problem.target ?? []).join()) differs.push(`target ${(golden.problem.target ?? []).join(",")}, not ${options.target.join(",")}`);
  if (differs.length) throw new GoldenError("G103", `${file} was recorded for another problem: ${differs.join("; ")}`, hint);
}

export interface ExpectGoldenOptions extends RecordOptions, CheckOptions {
  /** Record the file anew (default: OPTC_UPDATE_GOLDEN=1 in the environment). */
  update?: boolean;
}

export async function expectGolden(file: string, config: string, options: ExpectGoldenOptions = {}): Promise<GoldenReport> {
  const update = options.update ?? process.env.OPTC_UPDATE_GOLDEN === "1";
  let golden: GoldenFile | undefined;
  if (!update) {
    try {
      golden = readGoldenFile(file);
    } catch (e) {
      // A new golden file is recorded on the first run, but never in CI: there it would pass unchecked.
      if (!(e instanceof GoldenError && e.code === "G106") || process.env.CI === "true") throw e;
    }
    if (golden) expectSameRecording(golden, config, options, file);
  }
  if (!golden) {
    golden = await recordGolden(config, options);
    writeGolden(file, golden);
  }
  const report = await checkGolden(golden, options);
  if (!report.ok) throw driftError(report, formatGoldenReport(report, file));
  return report;
}
