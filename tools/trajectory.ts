/**
 * Runs a config on a toy problem on one backend and yields the params after every step, as the
 * caller holds them (SAM's perturbed params included). `optc trace` prints these rows; golden
 * files record and re-check them.
 */
import { compileArtifact, compileReference } from "../index.js";
import type { CompiledStep } from "../format/artifact.js";
import { GpuJsRun, type GpuJsInstance } from "../runtime/backends/gpujs/run.js";
import { GpuRun } from "../runtime/backends/webgpu/run.js";
import { evalKernels } from "../runtime/eval_kernels.js";
import { load } from "../runtime/optimizer.js";
import { loadWasm } from "../runtime/backends/wasm/index.js";
import { nodeGpuDevice } from "./node_device.js";
import type { Problem } from "./problems.js";

/** Where a trajectory runs: the JS kernels, the reference interpreter, WebGPU, gpu.js, or the wasm kernels. */
export const BACKENDS = ["js", "interp", "webgpu", "gpujs", "wasm"] as const;
export type Backend = (typeof BACKENDS)[number];

export function isBackend(name: string): name is Backend {
  return (BACKENDS as readonly string[]).includes(name);
}

export interface TrajectoryRow {
  step: number;
  /** The phase this step ran (SAM configs only). */
  phase?: string;
  loss: number;
  /** The params after the step (a copy). */
  params: Float32Array;
}

export interface TrajectoryOptions {
  /** WebGPU: the device to run on; without it, Node's Dawn (the `webgpu` package) gives one. */
  device?: GPUDevice;
  /** gpu.js: the GPU instance; without it, gpu.js's cpu mode (what Node has without WebGL). */
  gpu?: GpuJsInstance;
}

export interface Trajectory {
  artifact: CompiledStep;
  rows: AsyncGenerator<TrajectoryRow>;
}

/** What every backend's run offers a trajectory: the phase, a step with the problem's gradients, the params. */
interface Stepper {
  phase(): string;
  step(): Promise<void>;
  params(): Promise<Float32Array>;
  close(): void;
}

/** Compiles `source` for `backend` (throws OptcError on a bad config) and returns its rows, run lazily. */
export async function startTrajectory(source: string, backend: Backend, problem: Problem, x0: readonly number[], steps: number, options: TrajectoryOptions = {}): Promise<Trajectory> {
  const target = backend === "webgpu" || backend === "gpujs" || backend === "wasm" ? backend : "js";
  const artifact = compileArtifact(source, { target });
  const stepper = await openStepper(source, artifact, backend, problem, x0, options);
  const sam = artifact.protocol.owner !== "plain";
  async function* rows(): AsyncGenerator<TrajectoryRow> {
    try {
      for (let step = 1; step <= steps; step++) {
        const phase = stepper.phase();
        await stepper.step();
        const params = await stepper.params();
        yield { step, ...(sam ? { phase } : {}), loss: problem.loss(params), params };
      }
    } finally {
      stepper.close();
    }
  }
  return { artifact, rows: rows() };
}

async function openStepper(source: string, artifact: CompiledStep, backend: Backend, problem: Problem, x0: readonly number[], options: TrajectoryOptions): Promise<Stepper> {
  const gradFn = (params: Record<string, Float32Array>, _i: number, out: Record<string, Float32Array>) => problem.grad(params.x, out.x);
  if (backend === "js" || backend === "interp" || backend === "wasm") {
    const run = (backend === "js" ? load(artifact, evalKernels) : backend === "wasm" ? loadWasm(artifact) : compileReference(source)).initSync({ x: [...x0] });
    return {
      phase: () => run.phase,
      step: async () => {
        problem.grad(run.params.x, run.grads.x);
        await run.step({ gradFn });
      },
      params: async () => run.params.x.slice(),
      close: () => {},
    };
  }
  const ownDevice = backend === "webgpu" && !options.device ? await nodeGpuDevice() : undefined;
  try {
    const run =
      backend === "webgpu"
        ? await GpuRun.create(artifact, { x: [...x0] }, { device: options.device ?? ownDevice! })
        : await GpuJsRun.create(artifact, { x: [...x0] }, options.gpu ? { gpu: options.gpu } : { mode: "cpu" });
    const grads = new Float32Array(x0.length);
    return {
      phase: () => run.phase,
      step: async () => {
        problem.grad((await run.readParams()).x, grads);
        run.writeGrads({ x: grads });
        await run.step({ gradFn });
      },
      params: async () => (await run.readParams()).x.slice(),
      close: () => {
        run.destroy();
        ownDevice?.destroy();
      },
    };
  } catch (e) {
    ownDevice?.destroy();
    throw e;
  }
}
