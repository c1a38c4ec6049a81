/**
 * SAM's opaque mode, one whole cycle per step(), for every backend: the first adversarial
 * phase, then sync_period - 1 gradient evaluations at the perturbed params (the caller's
 * gradFn, maybe async, maybe all-reduced), each followed by an adversarial phase except the
 * last, then the outer update. A failure anywhere restores the adversarial state and the
 * counters, so params and state are exactly as before the step.
 */
import type { Protocol } from "../format/artifact.js";
import { fail, OptcRuntimeError } from "./errors.js";
import { copyNamed, type TensorLayout } from "./tensors.js";

export type Tensors = Record<string, Float32Array>;
export type GradResult = Record<string, ArrayLike<number>> | void;
/** Opaque SAM: gradient at the perturbed params `params` for adversarial step i; fill `out` or return grads. */
export type GradFn = (params: Tensors, i: number, out: Tensors) => GradResult | Promise<GradResult>;
/** batch_axis_name: averages (or sums) gradients across replicas, in place. */
export type AllReduce = (grads: Tensors) => void | Promise<void>;

export interface OpaqueBackend {
  layout: TensorLayout;
  counters: Map<string, number>;
  runPhase(name: string): void | Promise<void>;
  /** Saves the adversarial arenas; restore() puts them back, release() frees the copy. */
  saveAdversarial(arenas: string[]): { restore(): void; release(): void };
  /** The perturbed params gradFn evaluates at (views). */
  perturbed(): Tensors | Promise<Tensors>;
  /** Where gradFn writes its gradient: a flat buffer and named views of it. */
  advGrads(): { buffer: Float32Array; views: Tensors };
  /** Hands the written gradient to the kernels (a no-op when advGrads() is the arena itself). */
  commitAdvGrads(buffer: Float32Array): void;
}

export async function opaqueCycle(proto: Protocol, backend: OpaqueBackend, gradFn: GradFn | undefined, allReduce: AllReduce | undefined): Promise<void> {
  if (proto.kind !== "sam") throw new Error("internal: opaque cycle without sam");
  if (typeof gradFn !== "function") {
    fail("R204", "sam(..., opaque_mode=true) needs a gradient function: step({ gradFn })", "gradFn(params, i) returns the gradient at the perturbed params (it may be async)");
  }
  const k = proto.syncPeriod;
  if (k === 1) {
    await backend.runPhase("opaque_outer");
    return;
  }
  const saved = backend.saveAdversarial(proto.advArenas);
  const counters = new Map(backend.counters);
  try {
    await backend.runPhase("opaque_adversarial_first");
    for (let i = 0; i <= k - 2; i++) {
      const perturbed = await backend.perturbed();
      const { buffer, views } = backend.advGrads();
      let result: GradResult;
      try {
        result = await gradFn(perturbed, i, views);
      } catch (e) {
        throw new OptcRuntimeError("R205", `gradFn threw at adversarial step ${i}: ${e instanceof Error ? e.message : String(e)}`, "params and optimizer state are unchanged; fix gradFn and step again");
      }
      if (result !== undefined && result !== null) copyNamed(buffer, backend.layout, result, `gradFn's result (adversarial step ${i})`);
      if (proto.allReduce && allReduce) await allReduce(views);
      backend.commitAdvGrads(buffer);
      if (i < k - 2) await backend.runPhase("opaque_adversarial");
    }
    await backend.runPhase("opaque_outer");
  } catch (e) {
    saved.restore();
    backend.counters.clear();
    for (const [c, v] of counters) backend.counters.set(c, v);
    throw e;
  } finally {
    saved.release();
  }
}
