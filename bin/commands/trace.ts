import { OptcError } from "../../compiler/diagnostics.js";
import { makeProblem } from "../../tools/problems.js";
import { BACKENDS, isBackend, startTrajectory } from "../../tools/trajectory.js";
import { numbers, positiveInt, UsageError, type Parsed } from "../args.js";
import { f32String, readSource } from "../io.js";

export const help = `optc trace '<config>' [--problem quadratic|sphere|rosenbrock] [--x0=a,b,..]
           [--target=a,b,..] [--steps N] [--every K] [--backend js|webgpu|gpujs|interp]

Runs the optimizer on a toy problem and prints one JSON object per step:
{"step":1,"loss":...,"params":[...]} with params as the caller holds them after the step
(SAM configs add "phase"; opaque SAM gets the problem's gradient as gradFn).
  quadratic   L(w) = Σ(w - target)²   (x0 -1,10,1; target 1,-1,1)
  sphere      L(x) = Σx²              (x0 1,2,3)
  rosenbrock  (1-x)² + 100(y-x²)²     (x0 -1.2,1)
Backends: js (generated kernels, default), webgpu (WGSL on Node's Dawn; set VK_ICD_FILENAMES
to a Vulkan driver such as Chromium's SwiftShader), gpujs (the gpu.js kernels in gpu.js's cpu
mode, which Node has without WebGL), interp (the reference interpreter).`;

export async function run(p: Parsed): Promise<number> {
  const src = readSource(p);
  const problem = makeProblem(typeof p.options.problem === "string" ? p.options.problem : "quadratic", numbers(p.options.target, "target"));
  if (typeof problem === "string") throw new UsageError(problem);
  const x0 = numbers(p.options.x0, "x0") ?? problem.x0;
  if (problem.name === "rosenbrock" && x0.length !== 2) throw new UsageError("rosenbrock needs --x0 with 2 values");
  const steps = positiveInt(p.options.steps, "steps", 10);
  const every = positiveInt(p.options.every, "every", 1);
  const backend = typeof p.options.backend === "string" ? p.options.backend : "js";
  if (!isBackend(backend)) throw new UsageError(`unknown backend '${backend}' (backends: ${BACKENDS.join(", ")})`);
  let trajectory;
  try {
    trajectory = await startTrajectory(src.text, backend, problem, x0, steps);
  } catch (e) {
    if (e instanceof OptcError) {
      process.stderr.write(e.message.replaceAll("--> config:", `--> ${src.file}:`) + "\n");
      return 1;
    }
    throw e;
  }
  for (const w of trajectory.artifact.warnings) process.stderr.write(w + "\n");
  for await (const row of trajectory.rows) {
    if (row.step % every !== 0 && row.step !== steps) continue;
    const head: Record<string, unknown> = { step: row.step };
    if (row.phase !== undefined) head.phase = row.phase;
    head.loss = row.loss;
    process.stdout.write(`${JSON.stringify(head).slice(0, -1)},"params":[${Array.from(row.params, f32String).join(",")}]}\n`);
  }
  return 0;
}
