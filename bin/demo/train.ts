/**
 * The demo's training harness: a tfjs-layers MLP (784-H-10, ReLU, softmax) trained with
 * `model.fit` on the MNIST digits, on one tfjs backend (wasm or cpu, in Node), with any
 * tfjs optimizer (tfjs's own or optc's `tfjsOptimizer`).
 *
 * Every run starts from the same weights (seeded initialisers) and sees the same batches in the
 * same order (a seeded shuffle per epoch, done here: `model.fit` gets `shuffle: false`). A config
 * that makes several optimizer calls per batch (transparent SAM: an ascent call, then a descent
 * call) is fed each batch that many times in a row, so every call of a SAM cycle sees the same
 * batch, as in the paper; opaque SAM makes one call per batch (its `minimize` evaluates the loss
 * twice). The model is evaluated on the whole train and test sets before training (epoch 0) and
 * after every epoch, when the variables hold the true (unperturbed) params: epochs end on a
 * complete SAM cycle.
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { Dataset } from "./mnist.js";

export const BACKENDS = ["wasm", "cpu"] as const;
export type Backend = (typeof BACKENDS)[number];

/** mulberry32: a small deterministic PRNG (the per-epoch shuffle). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Makes `backend` tfjs's current backend, loading its package first. The wasm backend finds its
 * .wasm files beside its package in node_modules; its Emscripten glue installs process-wide
 * uncaughtException/unhandledRejection listeners that rethrow, which are removed again so the
 * CLI keeps reporting its own errors.
 */
export async function useBackend(backend: Backend): Promise<void> {
  const events = ["uncaughtException", "unhandledRejection"];
  const emitter = process as NodeJS.EventEmitter;
  const before = new Set(events.flatMap((e) => emitter.listeners(e)));
  if (backend === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  else await import("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend(backend))) throw new Error(`the tfjs backend '${backend}' did not start`);
  await tf.ready();
  for (const e of events) for (const l of emitter.listeners(e)) if (!before.has(l)) emitter.removeListener(e, l as (...a: unknown[]) => void);
  // The cpu backend's one-time advice to install tfjs-node is noise here.
  if (backend === "cpu") (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

/** 784 → hidden (ReLU) → 10 (softmax), He-uniform/Glorot-uniform weights from `seed`. */
export function buildModel(hidden: number, seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: hidden, activation: "relu", kernelInitializer: tfl.initializers.heUniform({ seed: 2 * seed + 1 }), name: "fc1" }),
      tfl.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 * seed + 2 }), name: "fc2" }),
    ],
  });
}

/**
 * A few untimed steps of a throwaway model, so that the first timed run does not pay for the
 * backend's warm-up (kernel compilation, heap growth) alone.
 */
export async function warmUp(hidden: number, batch: number): Promise<void> {
  const model = buildModel(hidden, 0);
  const opt = tf.train.sgd(0);
  model.compile({ optimizer: opt, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const [x, y] = [tf.zeros([4 * batch, 784]), tf.zeros([4 * batch, 10])];
  await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
  tf.dispose(model.evaluate(x, y, { batchSize: 1000 }) as tf.Scalar[]);
  tf.dispose([x, y]);
  model.dispose();
  opt.dispose();
}

export interface EpochResult {
  epoch: number;
  train: { loss: number; accuracy: number };
  test: { loss: number; accuracy: number };
}

export interface RunOptions {
  optimizer: tf.Optimizer;
  /** Optimizer calls per batch: 2 for transparent SAM (sync=2), else 1. */
  callsPerBatch: number;
  train: Dataset;
  test: Dataset;
  hidden: number;
  batch: number;
  epochs: number;
  seed: number;
  /** After every batch (every call of a SAM cycle): the fraction of the run done and the mean loss so far this epoch. */
  onBatch?: (epoch: number, done: number, runningLoss: number, calls: number, seconds: number) => void;
  onEpoch?: (r: EpochResult) => void;
}

export interface RunResult {
  epochs: EpochResult[];
  /** Optimizer calls (minimize) made. */
  calls: number;
  /** Seconds spent in model.fit (evaluation excluded). */
  seconds: number;
  /** The training loss of every batch (model.fit's log of the cycle's first call: the loss at the true params). */
  batchLoss: number[];
}

interface Tensors {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

function tensors(d: Dataset): Tensors {
  return { x: tf.tensor2d(d.x, [d.n, 784]), y: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(d.y, "int32"), 10), "float32") as tf.Tensor2D) };
}

async function evaluate(model: tfl.Sequential, d: Tensors): Promise<{ loss: number; accuracy: number }> {
  const [loss, acc] = model.evaluate(d.x, d.y, { batchSize: 1000 }) as tf.Scalar[];
  const r = { loss: (await loss.data())[0], accuracy: (await acc.data())[0] };
  tf.dispose([loss, acc]);
  return r;
}

/** Waits for an optimizer that steps asynchronously (optc's on a GPU) to have applied every update. */
async function settle(opt: tf.Optimizer): Promise<void> {
  const sync = (opt as unknown as { sync?: () => Promise<unknown> }).sync;
  if (typeof sync === "function") await sync.call(opt);
}

/** Trains a fresh model with `o.optimizer` on the current tfjs backend. */
export async function trainRun(o: RunOptions): Promise<RunResult> {
  const train = tensors(o.train);
  const test = tensors(o.test);
  const model = buildModel(o.hidden, o.seed);
  model.compile({ optimizer: o.optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const epochs: EpochResult[] = [];
  const record = async (epoch: number) => {
    await settle(o.optimizer);
    const r = { epoch, train: await evaluate(model, train), test: await evaluate(model, test) };
    epochs.push(r);
    o.onEpoch?.(r);
  };
  await record(0);
  const batches = Math.floor(o.train.n / o.batch);
  const k = o.callsPerBatch;
  const order = Int32Array.from({ length: o.train.n }, (_, i) => i);
  const shuffle = rng(o.seed + 1);
  const feed = new Int32Array(batches * o.batch * k);
  let calls = 0;
  let seconds = 0;
  const batchLoss: number[] = [];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    // Batch b's indices, k times in a row; the partial last batch is left out.
    for (let b = 0; b < batches; b++) for (let c = 0; c < k; c++) feed.set(order.subarray(b * o.batch, (b + 1) * o.batch), (b * k + c) * o.batch);
    const [x, y] = tf.tidy(() => {
      const idx = tf.tensor1d(feed, "int32");
      return [tf.gather(train.x, idx), tf.gather(train.y, idx)];
    });
    let running = 0;
    const t0 = performance.now();
    await model.fit(x, y, {
      batchSize: o.batch,
      epochs: 1,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async (i: number, logs?: tfl.Logs) => {
          calls++;
          if (i % k === 0) {
            const loss = Number(logs?.loss ?? NaN);
            running += loss;
            batchLoss.push(loss);
          }
          const b = Math.floor(i / k) + 1;
          o.onBatch?.(epoch, (epoch - 1 + (i + 1) / (batches * k)) / o.epochs, running / b, calls, seconds + (performance.now() - t0) / 1000);
        },
      },
    });
    seconds += (performance.now() - t0) / 1000;
    tf.dispose([x, y]);
    await record(epoch);
  }
  model.dispose();
  tf.dispose([train.x, train.y, test.x, test.y]);
  return { epochs, calls, seconds, batchLoss };
}
