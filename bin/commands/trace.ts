import { OptcError, renderDiagnostics } from "../../compiler/diagnostics.js";
import { makeProblem, PROBLEMS } from "../../tools/problems.js";
import { BACKENDS, isBackend, startTrajectory } from "../../tools/trajectory.js";
import { positiveInt, problemOptions, show, UsageError, type Parsed } from "../args.js";
import { f32String, out, readSource } from "../io.js";

export const help = `optc trace '<config>' [--problem quadratic|sphere|rosenbrock] [--x0=a,b,..]
           [--target=a,b,..] [--steps N] [--every K] [--backend js|webgpu|gpujs|wasm|interp]

Runs the optimizer on a toy problem and prints one JSON object per step:
{"step":1,"loss":...,"params":[...]} with params as the caller holds them after the step
(SAM configs add "phase"; opaque SAM gets the problem's gradient as gradFn).
  quadratic   L(w) = Σ(w - target)²   (x0 -1,10,1; target 1,-1,1)
  sphere      L(x) = Σx²              (x0 1,2,3)
  rosenbrock  (1-x)² + 100(y-x²)²     (x0 -1.2,1)
Backends: js (generated kernels, default), webgpu (WGSL on Node's Dawn; set VK_ICD_FILENAMES
to a Vulkan driver such as Chromium's SwiftShader), gpujs (the gpu.js kernels in gpu.js's cpu
mode, which Node has without WebGL), wasm (the WebAssembly SIMD kernels), interp (the
reference interpreter).
Numbers are plain decimals: --x0 and --target comma-separated without spaces (--x0=-1,10,1),
--steps and --every positive integers; --target (quadratic only) has one value per param.
Stopping the reader (optc trace ... | head -1) ends the run quietly. A config is at most
1 MiB (-f FILE, or -f - for stdin).`;

export async function run(p: Parsed): Promise<number> {
  const src = readSource(p);
  const opts = problemOptions(p, PROBLEMS);
  const problem = makeProblem(opts.problem, opts.target);
  if (typeof problem === "string") throw new UsageError(problem);
  const x0 = opts.x0 ?? problem.x0;
  const steps = positiveInt(p.options.steps, "steps", 10);
  const every = positiveInt(p.options.every, "every", 1);
  const backend = typeof p.options.backend === "string" ? p.options.backend : "js";
  if (!isBackend(backend)) throw new UsageError(`unknown backend '${show(backend)}' (backends: ${BACKENDS.join(", ")})`);
  let trajectory;
  try {
    trajectory = await startTrajectory(src.text, backend, problem, x0, steps);
  } catch (e) {
    if (e instanceof OptcError) {
      process.stderr.write(renderDiagnostics(e.diagnostics, e.source, src.file) + "\n");
      return 1;
    }
    throw e;
  }
  for (const w of trajectory.artifact.warnings) process.stderr.write(w + "\n");
  for await (const row of trajectory.rows) {
    // Let stream events through now and then (where stdout is asynchronous, a closed pipe shows up so).
    if (row.step % 256 === 0) await new Promise((r) => setImmediate(r));
    if (row.step % every !== 0 && row.step !== steps) continue;
    const head: Record<string, unknown> = { step: row.step };
    if (row.phase !== undefined) head.phase = row.phase;
    head.loss = row.loss;
    out(`${JSON.stringify(head).slice(0, -1)},"params":[${Array.from(row.params, f32String).join(",")}]}\n`);
  }
  return 0;
}
