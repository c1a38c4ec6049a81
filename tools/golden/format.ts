/**
 * The golden file: a trajectory of params, recorded by the reference interpreter, with what is
 * needed to re-run it (config, problem, steps, backends) and a digest, so that a file that was
 * cut short, merged badly or edited by hand is refused (G101) instead of compared.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { OptcRuntimeError } from "../../runtime/errors.js";
import { shortestFloat32 } from "../../targets/print_number.js";
import { PROBLEMS } from "../problems.js";
import { BACKENDS, isBackend, type Backend } from "../trajectory.js";

export const GOLDEN_FORMAT = "optc-golden";
/** The file layout this optc reads and writes; a file of another layout is G102. */
export const GOLDEN_VERSION = 1;
/** Larger files are refused before they are read (a golden file holds steps × params numbers). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface GoldenRow {
  step: number;
  /** SAM configs: the phase the step ran. */
  phase?: string;
  /** The params after the step, float32 values (as numbers that are exactly float32). */
  params: number[];
}

export interface GoldenProblem {
  name: (typeof PROBLEMS)[number];
  x0: number[];
  target?: number[];
}

export interface GoldenFile {
  format: typeof GOLDEN_FORMAT;
  version: number;
  /** The optc version that recorded it (a note when it differs, not an error: that is what goldens are for). */
  optc: string;
  /** The config's canonical form. */
  config: string;
  /** The backends `golden check` re-runs by default. */
  backends: Backend[];
  problem: GoldenProblem;
  steps: number;
  trajectory: GoldenRow[];
  sha256: string;
}

/** Errors about golden files and their checks: a code (G1xx), a message and a hint, like every optc error. */
export class GoldenError extends OptcRuntimeError {}

/** A float32 value as JSON: the shortest decimal that reads back as the same float32, sign of zero kept. */
function f32(x: number): string {
  return Object.is(x, -0) ? "-0" : shortestFloat32(x);
}

/** The file's text without its digest line: the digest covers exactly these bytes' meaning. */
function body(g: Omit<GoldenFile, "sha256">): string[] {
  const rows = g.trajectory.map((r) => `    {"step":${r.step},${r.phase === undefined ? "" : `"phase":${JSON.stringify(r.phase)},`}"params":[${r.params.map(f32).join(",")}]}`);
  return [
    "{",
    `  "format": ${JSON.stringify(g.format)},`,
    `  "version": ${g.version},`,
    `  "optc": ${JSON.stringify(g.optc)},`,
    `  "config": ${JSON.stringify(g.config)},`,
    `  "backends": ${JSON.stringify(g.backends)},`,
    `  "problem": ${JSON.stringify(g.problem)},`,
    `  "steps": ${g.steps},`,
    `  "trajectory": [\n${rows.join(",\n")}\n  ],`,
  ];
}

function digest(g: Omit<GoldenFile, "sha256">): string {
  return createHash("sha256").update(body(g).join("\n")).digest("hex");
}

/** Seals a recording with its digest. */
export function sealGolden(g: Omit<GoldenFile, "sha256">): GoldenFile {
  return { ...g, sha256: digest(g) };
}

/** The file's text: one row per line, so a diff of two recordings shows the steps that changed. */
export function serializeGolden(g: GoldenFile): string {
  return `${body(g).join("\n")}\n  "sha256": ${JSON.stringify(g.sha256)}\n}\n`;
}

const corrupt = (file: string, why: string): never => {
  throw new GoldenError("G101", `${file} is not a valid golden file: ${why}`, "record it again with `optc golden record` (golden files are written by optc, not by hand)");
};

const isFiniteNumbers = (v: unknown, max: number): v is number[] => Array.isArray(v) && v.length > 0 && v.length <= max && v.every((x) => typeof x === "number" && Number.isFinite(x));

/** Parses and validates a golden file's text; every failure is a G1xx error naming `file`. */
export function parseGolden(text: string, file = "golden file"): GoldenFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return corrupt(file, `it is not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return corrupt(file, "it is not a JSON object");
  const g = raw as Record<string, unknown>;
  if (g.format !== GOLDEN_FORMAT) return corrupt(file, `"format" is ${JSON.stringify(g.format) ?? "missing"}, not "${GOLDEN_FORMAT}"`);
  if (g.version !== GOLDEN_VERSION) {
    throw new GoldenError("G102", `${file} has golden format version ${JSON.stringify(g.version)}; this optc reads version ${GOLDEN_VERSION}`, Number(g.version) > GOLDEN_VERSION ? "it was written by a newer optc: upgrade optc, or record it again with this one" : "record it again with `optc golden record`");
  }
  if (typeof g.optc !== "string" || g.optc.length > 100) return corrupt(file, '"optc" (the version that recorded it) is missing');
  if (typeof g.config !== "string" || g.config.length === 0 || g.config.length > 100_000) return corrupt(file, '"config" is missing or not a string');
  if (!Array.isArray(g.backends) || g.backends.length === 0 || !g.backends.every((b) => typeof b === "string")) return corrupt(file, '"backends" is not a list of backend names');
  for (const b of g.backends as string[]) if (!isBackend(b)) throw unknownBackend(b, `in ${file}`);
  const p = g.problem as Record<string, unknown> | null;
  if (typeof p !== "object" || p === null || !(PROBLEMS as readonly string[]).includes(p.name as string)) return corrupt(file, `"problem" must name one of ${PROBLEMS.join(", ")}`);
  if (!isFiniteNumbers(p.x0, 1_000_000)) return corrupt(file, '"problem.x0" must be a list of finite numbers');
  if (p.target !== undefined && !isFiniteNumbers(p.target, 1_000_000)) return corrupt(file, '"problem.target" must be a list of finite numbers');
  if (!Number.isInteger(g.steps) || (g.steps as number) < 1) return corrupt(file, '"steps" must be a positive integer');
  if (!Array.isArray(g.trajectory) || g.trajectory.length !== g.steps) return corrupt(file, `"trajectory" must hold one row per step (${String(g.steps)})`);
  const n = (p.x0 as number[]).length;
  (g.trajectory as unknown[]).forEach((row, i) => {
    const r = row as Record<string, unknown> | null;
    if (typeof r !== "object" || r === null || r.step !== i + 1) return corrupt(file, `row ${i + 1} of "trajectory" is not step ${i + 1}`);
    if (r.phase !== undefined && typeof r.phase !== "string") return corrupt(file, `row ${i + 1}'s "phase" is not a string`);
    const params = r.params;
    if (!isFiniteNumbers(params, n) || params.length !== n) return corrupt(file, `row ${i + 1} must hold ${n} finite params`);
    // The file holds each float32 as its shortest decimal; that reads back as the float32 itself.
    r.params = params.map(Math.fround);
    if (!(r.params as number[]).every(Number.isFinite)) return corrupt(file, `row ${i + 1} holds a value outside float32's range`);
  });
  const golden = g as unknown as GoldenFile;
  if (typeof g.sha256 !== "string" || g.sha256 !== digest(golden)) return corrupt(file, "its digest does not match its contents (cut short, merged, or edited by hand)");
  return golden;
}

export function unknownBackend(name: string, where: string): GoldenError {
  return new GoldenError("G104", `unknown backend '${name}' ${where}`, `backends: ${BACKENDS.join(", ")}`);
}

/** Reads a golden file without trusting it: only regular files, at most 64 MB (never /dev/zero forever). */
export function readGoldenFile(path: string): GoldenFile {
  let fd: number;
  try {
    // stat first: opening a named pipe for reading would wait for a writer forever.
    if (!statSync(path).isFile()) return corrupt(path, "it is not a regular file");
    fd = openSync(path, "r");
  } catch (e) {
    if (e instanceof GoldenError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new GoldenError("G106", `there is no golden file ${path}`, "record it first: optc golden record '<config>' --out " + path);
    throw new GoldenError("G101", `cannot read ${path} (${code ?? String(e)})`, "check the path and its permissions");
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return corrupt(path, "it is not a regular file");
    if (st.size > MAX_FILE_BYTES) return corrupt(path, `it is ${st.size} bytes, more than the ${MAX_FILE_BYTES} a golden file may have`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return parseGolden(buf.subarray(0, off).toString("utf8"), path);
  } finally {
    closeSync(fd);
  }
}
