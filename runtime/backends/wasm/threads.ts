/**
 * Threads for the wasm target (Node's worker_threads): workers instantiate the run's kernel
 * modules over the same shared WebAssembly.Memory and wait on control words in it; a kernel call
 * hands each thread a range (the caller's thread takes the first) and waits for all of them with
 * Atomics.wait. Elementwise kernels split by elements; reducing kernels by whole segments, each
 * segment's sum written to its own slot, so the fold on the host sees the same sums in the same
 * order whatever the thread count (results are bit-identical to one thread's).
 */
import { CTRL_WORDS } from "./memory.js";

/** Control words: a generation counter the workers wait on, a done counter, the call. */
const GEN = 0;
const DONE = 1;
const KERNEL = 2;
const VARIANT = 3;
const STOP = 4;
const READY = 5;
const RANGES = 8;
export const MAX_THREADS = (CTRL_WORDS - RANGES) / 4;
const VARIANTS = ["run", "guarded", "run_f32", "guarded_f32"];
/** A worker that has not answered for this long is dead: fail rather than hang. */
const WAIT_MS = 30_000;

/** The worker's program (CommonJS, evaluated by worker_threads: the runtime stays free of `eval` in pages). */
const WORKER_SOURCE = `
const { workerData } = require("worker_threads");
const { memory, modules, args, ctrl, id } = workerData;
const math = { cos: Math.cos, tanh: Math.tanh, exp: Math.exp, log: Math.log, pow: Math.pow };
const inst = modules.map((m) => new WebAssembly.Instance(m, { env: { memory }, math }).exports);
const c = new Int32Array(memory.buffer, ctrl, ${CTRL_WORDS});
const variants = ${JSON.stringify(VARIANTS)};
Atomics.add(c, ${READY}, 1);
Atomics.notify(c, ${READY});
let gen = 0;
for (;;) {
  Atomics.wait(c, ${GEN}, gen);
  gen = Atomics.load(c, ${GEN});
  if (c[${STOP}]) break;
  const k = c[${KERNEL}];
  const r = ${RANGES} + 4 * id;
  inst[k][variants[c[${VARIANT}]]](...args[k], c[r], c[r + 1], c[r + 2], c[r + 3]);
  Atomics.add(c, ${DONE}, 1);
  Atomics.notify(c, ${DONE});
}
`;

/** The same module bytes with the memory import declared shared (encode.ts: flag 1 → 3). */
export function sharedModuleBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = Uint8Array.from(bytes);
  let pos = 8;
  const uleb = () => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = out[pos++];
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return n;
    }
  };
  while (pos < out.length) {
    const id = out[pos++];
    const size = uleb();
    if (id !== 2) {
      pos += size;
      continue;
    }
    // (`pos += uleb()` would add to pos as it was before uleb moved it.)
    const skipName = () => {
      const length = uleb();
      pos += length;
    };
    for (let count = uleb(); count > 0; count--) {
      skipName(); // module
      skipName(); // field
      const kind = out[pos++];
      if (kind === 2) {
        if (out[pos] !== 0x01) throw new Error("internal: the memory import has no maximum");
        out[pos] = 0x03;
        return out;
      }
      if (kind === 0) uleb();
      else throw new Error("internal: unexpected import kind");
    }
  }
  throw new Error("internal: no memory import");
}

/** A range of one thread: elements [lo, hi) and segments [s0, s1). */
export type ThreadRange = [number, number, number, number];

export interface ThreadPool {
  threads: number;
  /** Runs kernel `kernel`'s `variant` (0 run, 1 guarded, 2 run_f32, 3 guarded_f32) on ranges[1..] in the workers; the caller runs ranges[0] itself first. */
  dispatch(kernel: number, variant: number, ranges: ThreadRange[], runOwn: () => void): void;
  /** Stops the workers (a later dispatch throws); resolves once they have exited. Twice is harmless. */
  close(): Promise<void>;
}

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
  on(event: "error", f: (e: Error) => void): void;
}
type WorkerCtor = new (source: string, options: { eval: true; workerData: unknown }) => WorkerLike;

/** Why threads cannot run here, or undefined. */
export function threadsUnavailable(): string | undefined {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return "SharedArrayBuffer is not available (a page must be cross-origin isolated)";
  if (workerCtor() === undefined) return "worker threads are only available in Node.js (process.getBuiltinModule('worker_threads'))";
  return undefined;
}

function workerCtor(): WorkerCtor | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.("node:worker_threads") as { Worker?: WorkerCtor } | undefined;
  return wt?.Worker;
}

/** Starts `threads - 1` workers over `memory`; resolves once every one has instantiated the kernels. */
export async function startPool(threads: number, memory: WebAssembly.Memory, ctrl: number, modules: WebAssembly.Module[], args: number[][]): Promise<ThreadPool> {
  const Worker = workerCtor();
  if (!Worker) throw new Error("internal: no worker_threads");
  const c = new Int32Array(memory.buffer, ctrl, CTRL_WORDS);
  c.fill(0);
  let failure: Error | undefined;
  const workers = Array.from({ length: threads - 1 }, (_, j) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, modules, args, ctrl, id: j + 1 } });
    w.on("error", (e) => (failure = e));
    w.unref();
    return w;
  });
  const t0 = Date.now();
  while (Atomics.load(c, READY) < threads - 1) {
    if (failure) throw failure;
    if (Date.now() - t0 > WAIT_MS) throw new Error("wasm worker threads did not start");
    await new Promise((r) => setTimeout(r, 1));
  }
  let closed: Promise<void> | undefined;
  return {
    threads,
    dispatch(kernel, variant, ranges, runOwn) {
      if (closed) throw new Error("internal: a dispatch on a closed thread pool");
      c[KERNEL] = kernel;
      c[VARIANT] = variant;
      for (let t = 1; t < threads; t++) c.set(ranges[t], RANGES + 4 * t);
      Atomics.store(c, DONE, 0);
      Atomics.add(c, GEN, 1);
      Atomics.notify(c, GEN);
      runOwn();
      const t1 = Date.now();
      for (let d = Atomics.load(c, DONE); d < threads - 1; d = Atomics.load(c, DONE)) {
        if (Atomics.wait(c, DONE, d, WAIT_MS) === "timed-out" || Date.now() - t1 > WAIT_MS || failure) throw new Error(`a wasm worker thread stopped answering${failure ? `: ${failure.message}` : ""}`);
      }
    },
    close() {
      if (closed) return closed;
      c[STOP] = 1;
      Atomics.add(c, GEN, 1);
      Atomics.notify(c, GEN);
      closed = Promise.all(workers.map((w) => w.terminate())).then(() => {});
      return closed;
    },
  };
}

/** Elements [0, total) in `threads` ranges on 8-element boundaries (every segment, every thread). */
export function elementRanges(total: number, nseg: number, threads: number): ThreadRange[] {
  const per = Math.ceil(total / threads / 8) * 8;
  return Array.from({ length: threads }, (_, t) => [Math.min(total, t * per), Math.min(total, (t + 1) * per), 0, nseg]);
}

/** Whole segments in `threads` contiguous groups of about equal elements (every element, each thread its segments). */
export function segmentRanges(seg: Int32Array, threads: number): ThreadRange[] {
  const nseg = seg.length - 1;
  const total = seg[nseg];
  const out: ThreadRange[] = [];
  let s = 0;
  for (let t = 0; t < threads; t++) {
    const from = s;
    const goal = (total * (t + 1)) / threads;
    while (s < nseg && (t === threads - 1 || seg[s + 1] <= goal || s === from)) s++;
    out.push([0, total, from, s]);
  }
  return out;
}
