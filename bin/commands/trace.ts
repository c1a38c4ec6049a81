import { compileArtifact, compileReference, GpuJsRun, GpuRun } from "../../index.js";
import { load } from "../../runtime/optimizer.js";
import { evalKernels } from "../../runtime/eval_kernels.js";
import { OptcError } from "../../compiler/diagnostics.js";
import type { Parsed } from "../args.js";
import { f32String, readSource, UsageError } from "../io.js";
import { nodeGpuDevice } from "../gpu_device.js";
import { makeProblem, type Problem } from "../problems.js";

export const traceHelp = `optc trace '<config>' [--problem quadratic|sphere|rosenbrock] [--x0=a,b,..]
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

async function traceGpu(backend: "webgpu" | "gpujs", source: string, file: string, problem: Problem, x0: number[], steps: number, every: number): Promise<number> {
  let artifact;
  try {
    artifact = compileArtifact(source, { target: backend });
  } catch (e) {
    if (e instanceof OptcError) {
      process.stderr.write(e.message.replaceAll("--> config:", `--> ${file}:`) + "\n");
      return 1;
    }
    throw e;
  }
  const device = backend === "webgpu" ? await nodeGpuDevice() : undefined;
  try {
    const run = device ? await GpuRun.create(artifact, { x: x0 }, { device }) : await GpuJsRun.create(artifact, { x: x0 }, { mode: "cpu" });
    const isSam = artifact.protocol.kind === "sam";
    const grads = new Float32Array(x0.length);
    const gradFn = (params: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => problem.grad(params.x, out.x);
    for (let step = 1; step <= steps; step++) {
      const phase = run.phase;
      problem.grad((await run.readParams()).x, grads);
      run.writeGrads({ x: grads });
      await run.step({ gradFn });
      if (step % every !== 0 && step !== steps) continue;
      const x = (await run.readParams()).x;
      const row: Record<string, unknown> = { step };
      if (isSam) row.phase = phase;
      row.loss = problem.loss(x);
      process.stdout.write(`${JSON.stringify(row).slice(0, -1)},"params":[${Array.from(x, f32String).join(",")}]}\n`);
    }
    run.destroy();
  } finally {
    device?.destroy();
  }
  return 0;
}

function numbers(s: string | true | undefined, what: string): number[] | undefined {
  if (s === undefined) return undefined;
  if (s === true) throw new UsageError(`--${what} needs values`);
  const xs = s.split(",").map((x) => Number(x.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw new UsageError(`--${what} takes comma-separated numbers, got '${s}'`);
  return xs;
}

function positiveInt(s: string | true | undefined, what: string, def: number): number {
  if (s === undefined) return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${what} takes a positive integer, got '${String(s)}'`);
  return n;
}

export async function runTrace(p: Parsed): Promise<number> {
  const src = readSource(p);
  const problem = makeProblem(typeof p.options.problem === "string" ? p.options.problem : "quadratic", numbers(p.options.target, "target"));
  if (typeof problem === "string") throw new UsageError(problem);
  const x0 = numbers(p.options.x0, "x0") ?? problem.x0;
  if (problem.name === "rosenbrock" && x0.length !== 2) throw new UsageError("rosenbrock needs --x0 with 2 values");
  const steps = positiveInt(p.options.steps, "steps", 10);
  const every = positiveInt(p.options.every, "every", 1);
  const backend = typeof p.options.backend === "string" ? p.options.backend : "js";
  if (backend !== "js" && backend !== "interp" && backend !== "webgpu" && backend !== "gpujs") throw new UsageError(`unknown backend '${backend}' (backends: js, webgpu, gpujs, interp)`);
  if (backend === "webgpu" || backend === "gpujs") return traceGpu(backend, src.text, src.file, problem, x0, steps, every);
  let opt;
  try {
    opt = backend === "js" ? load(compileArtifact(src.text), evalKernels) : compileReference(src.text);
  } catch (e) {
    if (e instanceof OptcError) {
      process.stderr.write(e.message.replaceAll("--> config:", `--> ${src.file}:`) + "\n");
      return 1;
    }
    throw e;
  }
  for (const w of opt.artifact.warnings) process.stderr.write(w + "\n");
  const run = await opt.init({ x: x0 });
  const isSam = opt.artifact.protocol.kind === "sam";
  const gradFn = (params: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => problem.grad(params.x, out.x);
  for (let step = 1; step <= steps; step++) {
    const phase = run.phase;
    problem.grad(run.params.x, run.grads.x);
    await run.step({ gradFn });
    if (step % every !== 0 && step !== steps) continue;
    const x = run.params.x;
    const row: Record<string, unknown> = { step };
    if (isSam) row.phase = phase;
    row.loss = problem.loss(x);
    process.stdout.write(`${JSON.stringify(row).slice(0, -1)},"params":[${Array.from(x, f32String).join(",")}]}\n`);
  }
  return 0;
}
