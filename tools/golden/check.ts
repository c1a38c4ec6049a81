/**
 * Recording a golden trajectory and checking backends against it.
 *
 * The recording is the reference interpreter's (compiler/ir/interp.ts, the definition of the
 * IR). A check re-runs the trajectory on each backend, feeding it the problem's gradients at its
 * own params, and measures every value's distance from the recording in float32 ulps of
 * max(1, |recorded|). The tolerance is the documented one: js, wasm and interp exact (bit for bit),
 * webgpu and gpujs 4 ulps per optimizer phase, accumulated over the steps taken.
 */
import { phasesPerStep } from "../../runtime/protocol.js";
import { OptcError } from "../../compiler/diagnostics.js";
import { OptcRuntimeError } from "../../runtime/errors.js";
import { OPTC_VERSION } from "../../compiler/version.js";
import { makeProblem, PROBLEMS, type Problem } from "../problems.js";
import { isBackend, startTrajectory, type Backend, type TrajectoryOptions } from "../trajectory.js";
import { GOLDEN_FORMAT, GOLDEN_VERSION, GoldenError, sealGolden, unknownBackend, type GoldenFile, type GoldenProblem } from "./format.js";

/** Ulps per phase a backend may drift from the recording; 0 means bit for bit. */
export const TOLERANCE_ULPS: Record<Backend, number> = { js: 0, interp: 0, webgpu: 4, gpujs: 4, wasm: 0 };
const ULP = 2 ** -23;
const MAX_STEPS = 100_000;
const MAX_VALUES = 10_000_000;

export interface RecordOptions {
  /** What `golden check` re-runs by default (default ["js"]). */
  backends?: readonly string[];
  problem?: string;
  x0?: readonly number[];
  /** quadratic only: the minimum (default 1,-1,1). */
  target?: readonly number[];
  steps?: number;
}

export interface CheckOptions extends TrajectoryOptions {
  /** The backends to run (default: the file's). */
  backends?: readonly string[];
}

export interface StepResult {
  step: number;
  phase?: string;
  /** The worst distance from the recording over the step's values, in float32 ulps of max(1, |recorded|). */
  ulps: number;
  /** The tolerance at this step (0: bit for bit). */
  limit: number;
  /** Some value differs at all (what an exact backend may not do). */
  differs: boolean;
  /** The step ran another phase than the recording's. */
  phaseMismatch?: string;
  /** Index of the worst value. */
  worstIndex: number;
}

export interface BackendResult {
  backend: Backend;
  ok: boolean;
  steps: StepResult[];
  /** The first step past the tolerance. */
  firstFailure?: number;
  /** The backend could not run here (its message). */
  error?: string;
}

export interface GoldenReport {
  ok: boolean;
  golden: GoldenFile;
  results: BackendResult[];
  /** Things worth saying that are not failures (another optc version recorded it). */
  notes: string[];
}

function checkedBackends(names: readonly string[], where: string): Backend[] {
  if (names.length === 0) throw new GoldenError("G104", `no backends ${where}`, "name at least one, e.g. --backends js");
  for (const b of names) if (!isBackend(b)) throw unknownBackend(b, where);
  return [...new Set(names as Backend[])];
}

function problemOf(p: GoldenProblem): Problem {
  const problem = makeProblem(p.name, p.target);
  if (typeof problem === "string") throw new GoldenError("G101", problem, "record the golden file again");
  return problem;
}

/** Runs the reference interpreter on the problem and returns the sealed golden file (not yet written). */
export async function recordGolden(config: string, options: RecordOptions = {}): Promise<GoldenFile> {
  const backends = checkedBackends(options.backends ?? ["js"], "to record");
  const name = options.problem ?? "quadratic";
  if (!(PROBLEMS as readonly string[]).includes(name)) throw new GoldenError("G107", `unknown problem '${name}'`, `problems: ${PROBLEMS.join(", ")}`);
  const template = makeProblem(name, options.target ? [...options.target] : undefined) as Problem;
  const x0 = [...(options.x0 ?? template.x0)];
  const steps = options.steps ?? 10;
  const bad = (why: string): never => {
    throw new GoldenError("G107", `cannot record this golden file: ${why}`, "golden files are for small problems: a few values, up to 100,000 steps");
  };
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) bad(`steps must be an integer from 1 to ${MAX_STEPS}, got ${steps}`);
  if (x0.length === 0 || !x0.every(Number.isFinite)) bad("x0 must be finite numbers");
  if (options.target && !options.target.every(Number.isFinite)) bad("target must be finite numbers");
  if (name === "rosenbrock" && x0.length !== 2) bad("rosenbrock has 2 parameters (x0 with 2 values)");
  if (x0.length * steps > MAX_VALUES) bad(`${x0.length} params × ${steps} steps is more than ${MAX_VALUES} values`);
  const problem: GoldenProblem = { name: name as GoldenProblem["name"], x0 };
  if (name === "quadratic") problem.target = [...(options.target ?? [1, -1, 1])];
  const { artifact, rows } = await startTrajectory(config, "interp", problemOf(problem), x0, steps);
  const trajectory: GoldenFile["trajectory"] = [];
  for await (const r of rows) trajectory.push({ step: r.step, ...(r.phase === undefined ? {} : { phase: r.phase }), params: Array.from(r.params) });
  return sealGolden({ format: GOLDEN_FORMAT, version: GOLDEN_VERSION, optc: OPTC_VERSION, config: artifact.config, backends, problem, steps, trajectory });
}


function compare(got: Float32Array, want: readonly number[]): { ulps: number; differs: boolean; worstIndex: number } {
  let ulps = 0;
  let differs = false;
  let worstIndex = 0;
  for (let i = 0; i < want.length; i++) {
    if (Object.is(got[i], want[i])) continue;
    differs = true;
    const d = Number.isFinite(got[i]) ? Math.abs(got[i] - want[i]) / (ULP * Math.max(1, Math.abs(want[i]))) : Infinity;
    if (!(d <= ulps)) {
      ulps = d;
      worstIndex = i;
    }
  }
  return { ulps, differs, worstIndex };
}

async function checkBackend(golden: GoldenFile, backend: Backend, options: TrajectoryOptions): Promise<BackendResult> {
  const steps: StepResult[] = [];
  try {
    const { artifact, rows } = await startTrajectory(golden.config, backend, problemOf(golden.problem), golden.problem.x0, golden.steps, options);
    // One step of opaque SAM runs a whole cycle: sync_period phases, each allowed its ulps.
    const perStep = TOLERANCE_ULPS[backend] * phasesPerStep(artifact.protocol);
    for await (const r of rows) {
      const want = golden.trajectory[r.step - 1];
      const c = compare(r.params, want.params);
      const s: StepResult = { step: r.step, ...(want.phase === undefined ? {} : { phase: want.phase }), ulps: c.ulps, limit: perStep * r.step, differs: c.differs, worstIndex: c.worstIndex };
      if (r.phase !== want.phase) s.phaseMismatch = r.phase ?? "(none)";
      steps.push(s);
    }
  } catch (e) {
    if (e instanceof OptcError || e instanceof OptcRuntimeError) return { backend, ok: false, steps, error: e.message };
    throw e;
  }
  const failed = steps.find((s) => s.phaseMismatch !== undefined || (s.limit === 0 ? s.differs : !(s.ulps <= s.limit)));
  return { backend, ok: failed === undefined, steps, ...(failed ? { firstFailure: failed.step } : {}) };
}

/** Re-runs the golden trajectory on each backend; the report says, per backend and step, how far each drifted. */
export async function checkGolden(golden: GoldenFile, options: CheckOptions = {}): Promise<GoldenReport> {
  const backends = checkedBackends(options.backends ?? golden.backends, options.backends ? "to check" : "in the golden file");
  const results: BackendResult[] = [];
  for (const b of backends) results.push(await checkBackend(golden, b, options));
  const notes = golden.optc === OPTC_VERSION ? [] : [`recorded by optc ${golden.optc}; this is optc ${OPTC_VERSION}`];
  return { ok: results.every((r) => r.ok), golden, results, notes };
}

/** The G105 error for a failed report (the table is in the message). */
export function driftError(report: GoldenReport, table: string): GoldenError {
  const failed = report.results.filter((r) => !r.ok);
  const what = failed.map((r) => (r.error ? `${r.backend} could not run` : `${r.backend} from step ${r.firstFailure}`)).join(", ");
  return new GoldenError("G105", `the trajectory drifted past its tolerance: ${what}\n\n${table}`, "if the change is intended (a new optc version, a changed config), record the golden file again and review the diff");
}
