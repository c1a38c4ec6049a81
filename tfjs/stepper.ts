/** What OptcOptimizer drives on a backend whose tensors live on a GPU: optc's step on tfjs's own device (webgpu.ts, webgl.ts). */
import type * as tf from "@tensorflow/tfjs-core";
import type { StateSnapshot } from "../runtime/state.js";

export interface DeviceStepper {
  /** Queues one step with these gradients (by variable name; a missing one counts as zeros). */
  step(grads: Map<string, tf.Tensor>): void;
  /**
   * Opaque SAM: queues one cycle that starts from these gradients; for each adversarial
   * evaluation the perturbed params are copied into the variables' buffers and `gradAt()`
   * (tf.variableGrads of the loss, by variable name) is copied into optc's gradient buffer,
   * all on the device. The variables end at the true params (the new ones, or the old ones
   * after a failure).
   */
  stepCycle(grads: Map<string, tf.Tensor>, gradAt: () => tf.NamedTensorMap): void;
  /** Waits for the queued steps; throws the first refusal (R201: a NaN gradient, ...). */
  sync(): Promise<unknown>;
  saveState(): Promise<StateSnapshot>;
  /** Replaces optc's state and params, and writes the params into the variables. */
  loadState(s: StateSnapshot): void;
  describe: string;
  dispose(): void;
  /** Steps issued (after a refusal, sync() rolls it back to before the refused step). */
  readonly count: number;
}
