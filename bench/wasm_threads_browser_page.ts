// The page of bench/wasm_threads_browser.ts (cross-origin isolated): the cost of one dispatch to
// the Web Workers, and adam's step on 2 threads ÷ 1 thread at each size, paired rounds, medians.
import { startPool } from "../runtime/backends/wasm/threads.js";
import type { InitOptions, Run } from "../runtime/optimizer.js";
import type { TensorInit } from "../runtime/tensors.js";

/** The generated module's factory for adam(1e-3) (bench/wasm_threads_browser.ts writes it). */
type Create = (params: Record<string, TensorInit>, options?: InitOptions) => Promise<Run>;

const out = document.getElementById("result")!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A module that imports a shared memory and exports the four variants as empty functions: a dispatch that computes nothing. */
const EMPTY_KERNEL = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
  0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x01,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x29, 0x04,
  0x03, 0x72, 0x75, 0x6e, 0x00, 0x00,
  0x07, 0x67, 0x75, 0x61, 0x72, 0x64, 0x65, 0x64, 0x00, 0x00,
  0x07, 0x72, 0x75, 0x6e, 0x5f, 0x66, 0x33, 0x32, 0x00, 0x00,
  0x0b, 0x67, 0x75, 0x61, 0x72, 0x64, 0x65, 0x64, 0x5f, 0x66, 0x33, 0x32, 0x00, 0x00,
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
]);

async function dispatchMicros(calls: number): Promise<number> {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const pool = await startPool(2, memory, 0, [new WebAssembly.Module(EMPTY_KERNEL)], [[]]);
  const none: [number, number, number, number] = [0, 0, 0, 0];
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) pool.dispatch(0, 0, [none, none], () => {});
    rounds.push(((performance.now() - t0) / calls) * 1000);
  }
  await pool.close();
  return median(rounds);
}

async function adamRatio(create: Create, n: number, steps: number, rounds: number) {
  const params = () => ({ w: { shape: [n], data: Float32Array.from({ length: n }, (_, i) => Math.sin(i)) } });
  const runs = [await create(params()), await create(params(), { threads: 2 })];
  for (const r of runs) for (let i = 0; i < n; i++) r.grads.w[i] = Math.cos(i);
  const ms: number[][] = [[], []];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    runs.forEach((r, j) => {
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) r.stepSync();
      ms[j].push((performance.now() - t0) / steps);
    });
    ratios.push(ms[1][round] / ms[0][round]);
  }
  for (const r of runs) await r.close();
  return { n, threads: runs.map((r) => r.threads), oneThreadMs: median(ms[0]), twoThreadMs: median(ms[1]), ratio: median(ratios), ratios };
}

/** Runs the measurements and writes the JSON (or "error ...") into #result. */
export async function runBench(create: Create): Promise<void> {
  try {
    const q = new URLSearchParams(location.search);
    const rounds = Number(q.get("rounds") ?? 5);
    const result = { isolated: crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, dispatchMicros: await dispatchMicros(2000), adam: [await adamRatio(create, 1e6, 20, rounds), await adamRatio(create, 1e7, 3, rounds)] };
    out.textContent = JSON.stringify(result);
  } catch (e) {
    out.textContent = `error ${String(e)} ${(e as Error).stack ?? ""}`;
  }
}
