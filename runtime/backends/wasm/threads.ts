/**
 * Threads for the wasm target (Node's worker_threads, or Web Workers in a cross-origin-isolated
 * page): workers instantiate the run's kernel
 * modules over the same shared WebAssembly.Memory and wait on control words in it; a kernel call
 * hands each thread a range (the caller's thread takes the first) and waits for all of them with
 * Atomics.wait (a page's main thread, which may not block, spins on Atomics.load). Elementwise kernels split by elements; reducing kernels by whole segments, each
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

/**
 * The worker's program, one body for both kinds of worker: Node's worker_threads evaluate it as
 * CommonJS with workerData; a page's Web Worker loads it from a Blob URL and gets the same data
 * by postMessage. (The runtime stays free of `eval` and `new Function` in pages.)
 */
const WORKER_BODY = `
function serve({ memory, modules, args, ctrl, id }) {
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
}
`;
const NODE_WORKER_SOURCE = `${WORKER_BODY}\nserve(require("worker_threads").workerData);\n`;
const WEB_WORKER_SOURCE = `${WORKER_BODY}\nself.onmessage = (e) => serve(e.data);\n`;

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

/** What the pool needs of a worker, either kind. */
interface PoolWorker {
  terminate(): Promise<unknown>;
}
interface NodeWorker extends PoolWorker {
  unref(): void;
  on(event: "error", f: (e: Error) => void): void;
}
type NodeWorkerCtor = new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;
interface WebWorker {
  postMessage(data: unknown): void;
  terminate(): void;
  onerror: ((e: { message?: string }) => void) | null;
}
type WebWorkerCtor = new (url: string) => WebWorker;
interface WorkerData {
  memory: WebAssembly.Memory;
  modules: WebAssembly.Module[];
  args: number[][];
  ctrl: number;
  id: number;
}

const pageGlobals = globalThis as {
  crossOriginIsolated?: boolean;
  Worker?: WebWorkerCtor;
  WorkerGlobalScope?: abstract new () => unknown;
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL?(blob: unknown): string; revokeObjectURL?(url: string): void };
};

/** Why threads cannot run here, or undefined. */
export function threadsUnavailable(): string | undefined {
  if (pageGlobals.crossOriginIsolated === false) return "the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp";
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return "SharedArrayBuffer is not available (a page must be cross-origin isolated)";
  if (nodeWorkerCtor() === undefined && !webWorkers()) return "this environment has neither Web Workers (Worker, Blob, URL.createObjectURL) nor Node.js's worker_threads";
  return undefined;
}

function nodeWorkerCtor(): NodeWorkerCtor | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.("node:worker_threads") as { Worker?: NodeWorkerCtor } | undefined;
  return wt?.Worker;
}

function webWorkers(): boolean {
  return typeof pageGlobals.Worker === "function" && typeof pageGlobals.Blob === "function" && typeof pageGlobals.URL?.createObjectURL === "function";
}

/**
 * Whether this thread may block in Atomics.wait: Node's threads and Web Workers may, a page's
 * main thread may not (it throws), so there the caller spins on Atomics.load instead.
 */
function mayBlock(): boolean {
  if (nodeWorkerCtor() !== undefined) return true;
  const scope = pageGlobals.WorkerGlobalScope;
  return typeof scope === "function" && globalThis instanceof scope;
}

/** Starts one worker per data, Node's or the page's; `onError` hears a worker that failed; `started()` once all are ready. */
function spawn(data: WorkerData[], onError: (e: Error) => void): { workers: PoolWorker[]; started(): void } {
  const NodeWorker = nodeWorkerCtor();
  if (NodeWorker) {
    const workers = data.map((workerData) => {
      const w = new NodeWorker(NODE_WORKER_SOURCE, { eval: true, workerData });
      w.on("error", onError);
      w.unref();
      return w;
    });
    return { workers, started: () => {} };
  }
  if (!webWorkers()) throw new Error("internal: no workers");
  const url = pageGlobals.URL.createObjectURL!(new pageGlobals.Blob!([WEB_WORKER_SOURCE], { type: "text/javascript" }));
  const csp = "a page's Content-Security-Policy must allow worker-src blob:";
  const workers = data.map((d) => {
    let w: WebWorker;
    try {
      w = new pageGlobals.Worker!(url);
    } catch (e) {
      throw new Error(`wasm worker threads did not start: ${(e as Error).message} (${csp})`);
    }
    w.onerror = (e) => onError(new Error(`a wasm Web Worker failed: ${e.message || "no message"} (${csp})`));
    w.postMessage(d);
    return { terminate: async () => w.terminate() };
  });
  // The workers fetch the Blob URL asynchronously: it is revoked once they all run.
  return { workers, started: () => pageGlobals.URL.revokeObjectURL?.(url) };
}

/** Starts `threads - 1` workers over `memory`; resolves once every one has instantiated the kernels. */
export async function startPool(threads: number, memory: WebAssembly.Memory, ctrl: number, modules: WebAssembly.Module[], args: number[][]): Promise<ThreadPool> {
  const c = new Int32Array(memory.buffer, ctrl, CTRL_WORDS);
  c.fill(0);
  let failure: Error | undefined;
  const { workers, started } = spawn(Array.from({ length: threads - 1 }, (_, j) => ({ memory, modules, args, ctrl, id: j + 1 })), (e) => (failure = e));
  const t0 = Date.now();
  try {
    while (Atomics.load(c, READY) < threads - 1) {
      if (failure) throw failure;
      if (Date.now() - t0 > WAIT_MS) throw new Error(`wasm worker threads did not start within ${WAIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 1));
    }
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  } finally {
    started();
  }
  const block = mayBlock();
  const stopped = () => new Error(`a wasm worker thread stopped answering within ${WAIT_MS / 1000} s${failure ? `: ${failure.message}` : ""}`);
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
        // A page's main thread may not block: it spins to the same deadline.
        if ((block && Atomics.wait(c, DONE, d, WAIT_MS) === "timed-out") || Date.now() - t1 > WAIT_MS || failure) throw stopped();
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
