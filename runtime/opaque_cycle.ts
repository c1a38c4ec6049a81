/**
 * A step that is a cycle of phases with the caller's gradient evaluations between them (format's
 * PhaseCycle; SAM's opaque mode), for every backend: the first phase, then each evaluation of
 * the caller's gradFn (maybe async, maybe all-reduced) at the perturbed params, each followed by
 * the middle phase except the last, which is followed by the last phase. A failure anywhere
 * restores the cycle's arenas and every counter, so params and state are exactly as before.
 */
import type { PhaseCycle } from "../format/artifact.js";
import { fail, OptcRuntimeError } from "./errors.js";
import { copyNamed, type TensorLayout } from "./tensors.js";

export type Tensors = Record<string, Float32Array>;
export type GradResult = Record<string, ArrayLike<number>> | void;
/** The gradient at the perturbed params `params` for evaluation i; fill `out` or return grads. */
export type GradFn = (params: Tensors, i: number, out: Tensors) => GradResult | Promise<GradResult>;
/** batch_axis_name: averages (or sums) gradients across replicas, in place. */
export type AllReduce = (grads: Tensors) => void | Record<string, ArrayLike<number>> | Promise<void | Record<string, ArrayLike<number>>>;

/**
 * A gradient evaluation on the run's own device (WebGPU): `params` holds the perturbed params and
 * the gradient goes into `grads`, both float32 GPU buffers with every tensor at its `offset`
 * (in elements; tensors are as run.tensors lists them). Submit the work that writes `grads`
 * to `device.queue` before returning (or resolving): optc's next dispatches are queued after it,
 * so nothing is read back.
 */
export interface DeviceGradIo<Device = unknown, Buffer = unknown> {
  device: Device;
  params: Buffer;
  grads: Buffer;
  tensors: TensorLayout["tensors"];
}
export type DeviceGradFn<Device = unknown, Buffer = unknown> = (io: DeviceGradIo<Device, Buffer>, i: number) => void | Promise<void>;

/** Saved arenas: restore() puts them back, release() frees the copy; restoreIfRefused() (GPU runs) restores only if the device refused part of this step. */
export interface SavedArenas {
  restore(): void;
  release(): void;
  restoreIfRefused?(): void;
}

/** What a run lends the cycle. */
export interface CycleIo {
  layout: TensorLayout;
  counters: Map<string, number>;
  runPhase(name: string): void | Promise<void>;
  /** Saves arenas; restore() puts them back, release() frees the copy. */
  saveArenas(arenas: string[]): SavedArenas;
  /** GPU runs: lends the perturbed params and the gradient buffer to a deviceGradFn. */
  deviceGradIo?(perturbedParams: string, gradients: string): DeviceGradIo;
  /** An arena as named tensors gradFn may read (views, or a copy read back from a device). */
  viewArena(name: string): Tensors | Promise<Tensors>;
  /** Where gradFn writes: a flat buffer and named views of it (the arena itself on the CPU). */
  gradientBuffer(name: string): { buffer: Float32Array; views: Tensors };
  /** Hands the written gradient to the kernels (a no-op when the buffer is the arena itself). */
  commitGradients(name: string, buffer: Float32Array): void;
}

/** What the cycle needs of an AbortSignal (run_base.ts's AbortSignalLike). */
interface Abortable {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener?(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

const aborted = (signal: Abortable | undefined, where: string) =>
  new OptcRuntimeError("R208", `the step was aborted ${where}${signal?.reason instanceof Error ? `: ${signal.reason.message}` : ""}`, "params, grads and state are unchanged");

/** gradFn's result, or R208 as soon as the signal fires (a gradFn that never resolves cannot hold the run). */
function untilAborted<T>(work: Promise<T>, signal: Abortable | undefined, where: string): Promise<T> {
  if (!signal?.addEventListener) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal, where));
    signal.addEventListener!("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener?.("abort", onAbort));
  });
}

/** The caller's gradient: a CPU gradFn, or (GPU runs) a deviceGradFn working on the run's buffers. */
export interface CycleGradients {
  gradFn?: GradFn;
  deviceGradFn?: DeviceGradFn;
}

/** R205: the caller's gradient function threw at evaluation i (state is restored by the caller). */
function threw(what: string, i: number, e: unknown): OptcRuntimeError {
  return new OptcRuntimeError("R205", `${what} threw at adversarial step ${i}: ${e instanceof Error ? e.message : String(e)}`, `params and optimizer state are unchanged; fix ${what} and step again`);
}

/** A failed cycle: its arenas and every counter as they were before it. */
function restoreCycle(io: CycleIo, saved: SavedArenas, counters: Map<string, number>): void {
  saved.restore();
  io.counters.clear();
  for (const [c, v] of counters) io.counters.set(c, v);
}

export async function runCycle(cycle: PhaseCycle, io: CycleIo, grads: CycleGradients, allReduce: AllReduce | undefined, signal?: Abortable): Promise<void> {
  const { gradFn, deviceGradFn } = grads;
  if (deviceGradFn !== undefined) {
    if (!io.deviceGradIo) fail("R112", "step({ deviceGradFn }) needs a run on a GPU device (the webgpu target)", "on the CPU pass step({ gradFn })");
    if (allReduce) fail("R112", "step({ deviceGradFn }) cannot be all-reduced by optc (batch_axis_name)", "all-reduce inside deviceGradFn, or pass a CPU gradFn");
    if (gradFn !== undefined) fail("R112", "step() takes gradFn or deviceGradFn, not both", "pass one of them");
  } else if (typeof gradFn !== "function") {
    fail("R204", "this optimizer evaluates gradients itself (sam(..., opaque_mode=true)): step({ gradFn })", "gradFn(params, i) returns the gradient at the perturbed params (it may be async)");
  }
  if (cycle.evaluations === 0) {
    await io.runPhase(cycle.last);
    return;
  }
  const saved = io.saveArenas(cycle.restoreArenas);
  const counters = new Map(io.counters);
  try {
    await io.runPhase(cycle.first);
    for (let i = 0; i < cycle.evaluations; i++) {
      if (signal?.aborted) throw aborted(signal, `before gradient evaluation ${i}`);
      if (deviceGradFn) {
        const onDevice = deviceGradFn;
        const lent = io.deviceGradIo!(cycle.perturbedParams, cycle.gradients);
        try {
          await untilAborted(Promise.resolve().then(() => onDevice(lent, i)), signal, `while deviceGradFn ran (adversarial step ${i})`);
        } catch (e) {
          if (e instanceof OptcRuntimeError && e.code === "R208") throw e;
          throw threw("deviceGradFn", i, e);
        }
        await io.runPhase(i < cycle.evaluations - 1 ? cycle.middle : cycle.last);
        continue;
      }
      const params = await io.viewArena(cycle.perturbedParams);
      const { buffer, views } = io.gradientBuffer(cycle.gradients);
      let result: GradResult;
      try {
        result = await untilAborted(Promise.resolve().then(() => gradFn!(params, i, views)), signal, `while gradFn ran (adversarial step ${i})`);
      } catch (e) {
        if (e instanceof OptcRuntimeError && e.code === "R208") throw e;
        throw threw("gradFn", i, e);
      }
      if (result !== undefined && result !== null) copyNamed(buffer, io.layout, result, `gradFn's result (adversarial step ${i})`);
      if (allReduce) {
        // Reduce in place, or return the reduced tensors (the result is copied in like gradFn's).
        const reduced = await untilAborted(Promise.resolve().then(() => allReduce(views)), signal, `while allReduce ran (adversarial step ${i})`);
        if (reduced !== undefined && reduced !== null) copyNamed(buffer, io.layout, reduced, `allReduce's result (adversarial step ${i})`);
      }
      if (signal?.aborted) throw aborted(signal, `after gradient evaluation ${i}`);
      io.commitGradients(cycle.gradients, buffer);
      await io.runPhase(i < cycle.evaluations - 1 ? cycle.middle : cycle.last);
    }
    // A device that refused a later phase of this cycle leaves the earlier phases' stores: undo them there.
    saved.restoreIfRefused?.();
  } catch (e) {
    restoreCycle(io, saved, counters);
    throw e;
  } finally {
    saved.release();
  }
}

/**
 * The same cycle without a promise, for callers that cannot await (run.stepSync({ gradFn }) on
 * the CPU, GPU runs' stepQueued({ deviceGradFn }): tfjs's model.fit calls its optimizer
 * synchronously). A gradFn, deviceGradFn or allReduce that returns a promise is R112; a failure
 * anywhere restores the cycle's arenas and every counter, as the asynchronous cycle does.
 */
export function runCycleSync(cycle: PhaseCycle, io: CycleIo, grads: CycleGradients, allReduce: AllReduce | undefined, signal?: Abortable): void {
  const { gradFn, deviceGradFn } = grads;
  if (deviceGradFn !== undefined) {
    if (!io.deviceGradIo) fail("R112", "a deviceGradFn needs a run on a GPU device (the webgpu target)", "on the CPU pass stepSync({ gradFn })");
    if (allReduce) fail("R112", "a deviceGradFn cannot be all-reduced by optc (batch_axis_name)", "all-reduce inside deviceGradFn, or pass a CPU gradFn");
    if (gradFn !== undefined) fail("R112", "a step takes gradFn or deviceGradFn, not both", "pass one of them");
  } else if (typeof gradFn !== "function") {
    fail("R204", "this optimizer evaluates gradients itself (sam(..., opaque_mode=true)): stepSync({ gradFn })", "gradFn(params, i, out) returns (or writes into out) the gradient at the perturbed params, synchronously");
  }
  const run = (name: string) => {
    if (io.runPhase(name)) throw new Error("internal: an asynchronous executor needs the async step path");
  };
  if (cycle.evaluations === 0) return run(cycle.last);
  const notAPromise = (r: unknown, what: string) => {
    if (r && typeof (r as { then?: unknown }).then === "function") {
      // A promise nobody awaits: keep its rejection from surfacing as an unhandled one.
      (r as Promise<unknown>).then(undefined, () => {});
      fail("R112", `a synchronous step's ${what} returned a promise`, `a ${what} that awaits needs await run.step({ ${what === "allReduce" ? "gradFn" : what} })`);
    }
  };
  const saved = io.saveArenas(cycle.restoreArenas);
  const counters = new Map(io.counters);
  try {
    run(cycle.first);
    for (let i = 0; i < cycle.evaluations; i++) {
      if (signal?.aborted) throw aborted(signal, `before gradient evaluation ${i}`);
      if (deviceGradFn) {
        let done: unknown;
        try {
          done = deviceGradFn(io.deviceGradIo!(cycle.perturbedParams, cycle.gradients), i);
        } catch (e) {
          throw threw("deviceGradFn", i, e);
        }
        notAPromise(done, "deviceGradFn");
        run(i < cycle.evaluations - 1 ? cycle.middle : cycle.last);
        continue;
      }
      const params = io.viewArena(cycle.perturbedParams) as Tensors;
      const { buffer, views } = io.gradientBuffer(cycle.gradients);
      let result: GradResult;
      try {
        result = gradFn!(params, i, views) as GradResult;
      } catch (e) {
        throw threw("gradFn", i, e);
      }
      notAPromise(result, "gradFn");
      if (result !== undefined && result !== null) copyNamed(buffer, io.layout, result, `gradFn's result (adversarial step ${i})`);
      if (allReduce) {
        const reduced = allReduce(views);
        notAPromise(reduced, "allReduce");
        if (reduced !== undefined && reduced !== null) copyNamed(buffer, io.layout, reduced as Record<string, ArrayLike<number>>, `allReduce's result (adversarial step ${i})`);
      }
      io.commitGradients(cycle.gradients, buffer);
      run(i < cycle.evaluations - 1 ? cycle.middle : cycle.last);
    }
    // As in runCycle: a device that refused a later phase of this cycle gets the earlier phases' stores undone there.
    saved.restoreIfRefused?.();
  } catch (e) {
    restoreCycle(io, saved, counters);
    throw e;
  } finally {
    saved.release();
  }
}
