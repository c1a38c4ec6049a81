/** What OptcOptimizer drives on a backend whose tensors live on a GPU: optc's step on tfjs's own device (webgpu.ts, webgl.ts). */
import type * as tf from "@tensorflow/tfjs-core";
import { fail } from "../runtime/errors.js";
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

/** What both steppers drive: a GPU run's queued steps (GpuRun, GpuJsRun). */
interface QueuedRun<Io> {
  stepQueued(options?: { deviceGradFn?: (io: Io, i: number) => void }): void;
  sync(): Promise<unknown>;
  saveState(): Promise<StateSnapshot>;
  loadState(s: StateSnapshot): void;
  destroy(): void;
  readonly count: number;
}

/** How a backend moves tensors between tfjs and optc's run. */
export interface StepperIo<Io> {
  /** A step's inputs into the run: variables assigned since the last write, then the gradients. */
  stage(grads: Map<string, tf.Tensor>): void;
  /** The run's params (the true ones) into the variables. */
  writeParamsOut(): void;
  /** One adversarial evaluation on the device: the perturbed params into the variables, tfjs's gradient into `io`. */
  evaluate(io: Io, gradAt: () => tf.NamedTensorMap): void;
  describe: string;
}

/** The DeviceStepper protocol, once: every step stages, queues and writes the params out; a disposed stepper is R101. */
export function queuedStepper<Io>(run: QueuedRun<Io>, io: StepperIo<Io>): DeviceStepper {
  let disposed = false;
  const live = () => {
    if (disposed) fail("R101", "this optimizer was disposed", "create a new one");
  };
  return {
    step(grads) {
      live();
      io.stage(grads);
      run.stepQueued();
      io.writeParamsOut();
    },
    stepCycle(grads, gradAt) {
      live();
      io.stage(grads);
      try {
        run.stepQueued({ deviceGradFn: (lent) => io.evaluate(lent, gradAt) });
      } finally {
        // The true params (new, or as before a failed cycle) back into the variables.
        io.writeParamsOut();
      }
    },
    sync: () => run.sync(),
    saveState: () => run.saveState(),
    loadState(s) {
      live();
      run.loadState(s);
      io.writeParamsOut();
    },
    describe: io.describe,
    dispose() {
      if (disposed) return;
      disposed = true;
      run.destroy();
    },
    get count() {
      return run.count;
    },
  };
}
