/**
 * The wasm backend: the JS Run's step protocol (SAM, refusals, snapshots) over arenas that live
 * in one WebAssembly.Memory, with each phase's kernels run as the wasm functions of
 * targets/wasm/render.ts. Host values (uniforms, segment values, reduction outputs) are float64
 * in the memory, as in the JS target. The guarded form writes backups in the kernel, then the
 * phase scans what it wrote and restores every written arena on a refusal, as jsExecutor does.
 */
import type { CompiledStep, KernelArtifact } from "../../../format/artifact.js";
import { fromBase64 } from "../../../format/base64.js";
import { fail } from "../../errors.js";
import type { Backing, BackingOptions, ExecutorContext, PhaseExecutor } from "../../executor.js";
import { firstNonFinite, nonFiniteError } from "../../finite.js";
import { drivePhaseSync, type KernelSums } from "../../phase_driver.js";
import type { TensorLayout } from "../../tensors.js";
import { allKernels, planMemory, type WasmMemoryPlan } from "./memory.js";
import { elementRanges, MAX_THREADS, segmentRanges, sharedModuleBytes, startPool, threadsUnavailable, type ThreadPool, type ThreadRange } from "./threads.js";

interface KernelExports {
  run: (...args: number[]) => void;
  guarded: (...args: number[]) => void;
  run_f32: (...args: number[]) => void;
  guarded_f32: (...args: number[]) => void;
  scan: (ptr: number, n: number) => number;
}

/** Compiled once per artifact kernel (and memory kind); each run instantiates it over its own memory. */
const modules = new WeakMap<KernelArtifact, WebAssembly.Module>();
const sharedModules = new WeakMap<KernelArtifact, WebAssembly.Module>();

function moduleOf(k: KernelArtifact, shared = false): WebAssembly.Module {
  const cache = shared ? sharedModules : modules;
  let m = cache.get(k);
  if (m) return m;
  const decoded = k.code.wasm === undefined ? undefined : fromBase64(k.code.wasm);
  if (!decoded) fail("R110", `kernel ${k.kernel.name} has no WebAssembly code`, "compile with { target: 'wasm' }");
  let bytes = decoded;
  if (shared) {
    try {
      bytes = sharedModuleBytes(decoded);
    } catch (e) {
      return fail("R117", `kernel ${k.kernel.name}'s WebAssembly module cannot run on threads: ${(e as Error).message}`, "recompile the config with this optc version");
    }
  }
  if (typeof WebAssembly !== "object") fail("R117", "this environment has no WebAssembly", "use the JS target (compile(config) or { target: 'js' })");
  try {
    m = new WebAssembly.Module(bytes);
  } catch (e) {
    return fail("R117", `kernel ${k.kernel.name}'s WebAssembly module did not compile: ${(e as Error).message}`, "WebAssembly SIMD is needed (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+); in a page with a Content-Security-Policy allow 'wasm-unsafe-eval'; else use the JS target");
  }
  cache.set(k, m);
  return m;
}

/** What the kernels import besides the memory: JS's own Math functions, the interpreter's too. */
const MATH = { cos: Math.cos, tanh: Math.tanh, exp: Math.exp, log: Math.log, pow: Math.pow };

function instantiate(k: KernelArtifact, memory: WebAssembly.Memory, shared: boolean): KernelExports {
  return new WebAssembly.Instance(moduleOf(k, shared), { env: { memory }, math: MATH }).exports as unknown as KernelExports;
}

/**
 * Below this many elements per thread a kernel runs on the caller's thread alone: a dispatch
 * costs 0.05-0.1 ms, so 2 threads lose at 1e5 elements and win from 1e6 (perf anchors, wasm SIMD
 * Adam on 2 threads: 1.3-1.9x slower at 1e5, 0.53-0.68 of the time at 1e6).
 */
export const MIN_ELEMENTS_PER_THREAD = 1 << 18;

/** The arenas of a wasm run, in one memory, and the executor that runs phases on them. */
export function wasmBacking(artifact: CompiledStep, layout: TensorLayout, options: BackingOptions): Backing {
  let threads = Math.min(options.threads ?? 1, MAX_THREADS);
  const why = threads > 1 ? threadsUnavailable() : undefined;
  if (why) {
    console.warn(`optc: init(params, { threads: ${threads} }) runs on one thread here: ${why}`);
    threads = 1;
  }
  const plan = planMemory(artifact, layout, options.guarded, threads > 1);
  const f32 = options.precision === "f32";
  const pool: { current?: ThreadPool } = {};
  const view = (at: number) => new Float32Array(plan.memory.buffer, at, layout.total);
  const backing: Backing = {
    arena: (name) => {
      const at = plan.arenas.get(name);
      if (at === undefined) throw new Error(`internal: no arena ${name}`);
      return view(at);
    },
    executor: (ctx) => wasmExecutor(ctx, plan, f32, pool, threads),
    threads,
    start: threads > 1 ? async () => {
      const kernels = allKernels(artifact);
      try {
        pool.current = await startPool(threads, plan.memory, plan.ctrl, kernels.map((k) => moduleOf(k, true)), kernels.map((k) => baseArgs(k, plan, layout, options.guarded)));
      } catch (e) {
        // A worker the environment refused (a page's CSP, a crashed worker): a diagnostic, not a bare Error.
        return fail("R117", `init(params, { threads: ${threads} }) could not start its worker threads: ${(e as Error).message}`, "leave threads out to run on one thread, or allow the workers (a page: worker-src blob:)");
      }
      // The workers stop once the run is garbage: only the run holds its backing.
      poolsOfRuns.register(backing, pool.current, backing);
    } : undefined,
    close: async () => {
      poolsOfRuns.unregister(backing);
      await pool.current?.close();
    },
  };
  return backing;
}

const poolsOfRuns = new FinalizationRegistry<ThreadPool>((p) => void p.close());

/** A kernel's arguments but its ranges: arena and backup addresses, the segment table and its host buffers. */
function baseArgs(k: KernelArtifact, plan: WasmMemoryPlan, layout: TensorLayout, guarded: boolean): number[] {
  const { kernel } = k;
  const s = plan.scratch.get(k)!;
  const address = (map: Map<string, number>, name: string) => {
    const at = map.get(name);
    if (at === undefined) throw new Error(`internal: no wasm region for ${name}`);
    return at;
  };
  const backups = kernel.stores.map((st) => (guarded ? address(plan.backups, kernel.bindings[st.arena].name) : 0));
  return [...kernel.bindings.map((b) => address(plan.arenas, b.name)), ...backups, plan.seg, layout.seg.length - 1, s.U, s.SV, s.R, s.RS];
}

function wasmExecutor(ctx: ExecutorContext, plan: WasmMemoryPlan, f32: boolean, pool: { current?: ThreadPool }, threads: number): PhaseExecutor {
  const { memory } = plan;
  const total = ctx.layout.total;
  const nseg = ctx.layout.seg.length - 1;
  const address = (map: Map<string, number>, name: string) => {
    const at = map.get(name);
    if (at === undefined) throw new Error(`internal: no wasm region for ${name}`);
    return at;
  };
  const arena = (name: string) => new Float32Array(memory.buffer, address(plan.arenas, name), total);
  const backupOf = (name: string) => new Float32Array(memory.buffer, address(plan.backups, name), total);

  interface Bound {
    index: number;
    reduces: boolean;
    fn: (...args: number[]) => void;
    args: number[];
    uniforms: Float64Array;
    segvals: Float64Array[];
    globalSums: Float64Array;
    segmentSums: Float64Array[];
  }
  const bound = new Map<KernelArtifact, Bound>();
  let scan: ((ptr: number, n: number) => number) | undefined;
  const variant = (ctx.guarded ? 1 : 0) + (f32 ? 2 : 0);
  allKernels(ctx.artifact).forEach((k, index) => {
    const exports = instantiate(k, memory, threads > 1);
    scan ??= exports.scan;
    const { kernel } = k;
    const s = plan.scratch.get(k)!;
    const f64 = (at: number, n: number) => new Float64Array(memory.buffer, at, n);
    bound.set(k, {
      index,
      reduces: kernel.reductions.length > 0,
      fn: ctx.guarded ? (f32 ? exports.guarded_f32 : exports.guarded) : f32 ? exports.run_f32 : exports.run,
      args: [...baseArgs(k, plan, ctx.layout, ctx.guarded), 0, total, 0, nseg],
      uniforms: f64(s.U, kernel.uniformCount),
      segvals: Array.from({ length: kernel.segvalCount }, (_, j) => f64(s.SV + j * nseg * 8, nseg)),
      globalSums: f64(s.R, kernel.reductions.length),
      segmentSums: kernel.reductions.map((_, j) => f64(s.RS + j * nseg * 8, nseg)),
    });
  });
  // Threads per kernel call: enough elements each, and for a reducing kernel whole segments.
  const useThreads = Math.min(threads, Math.floor(total / MIN_ELEMENTS_PER_THREAD));
  const elementSplit = elementRanges(total, nseg, Math.max(1, useThreads));
  const segmentSplit = segmentRanges(ctx.layout.seg, Math.max(1, useThreads));
  /** Runs a kernel; whether its global sums are per segment (threads) rather than folded in the kernel. */
  const call = (bk: Bound): boolean => {
    const p = pool.current;
    if (!p || useThreads < 2) {
      bk.fn(...bk.args);
      return false;
    }
    const ranges = bk.reduces ? segmentSplit : elementSplit;
    const base = bk.args.slice(0, -4);
    p.dispatch(bk.index, variant, ranges.length === threads ? ranges : [...ranges, ...Array.from({ length: threads - ranges.length }, (): ThreadRange => [0, 0, 0, 0])], () => bk.fn(...base, ...ranges[0]));
    return true;
  };
  const phases = new Map<string, { written: string[]; inputs: string[] }>();
  for (const [name, art] of Object.entries(ctx.artifact.phases)) {
    const kernels = art.passes.flatMap((p) => p.kernels);
    const written = [...new Set(kernels.flatMap(({ kernel }) => kernel.stores.map((s) => kernel.bindings[s.arena].name)))];
    const inputs = [...new Set(kernels.flatMap(({ kernel }) => kernel.bindings.filter((b) => b.read && b.checkFinite).map((b) => b.name)))];
    phases.set(name, { written, inputs });
  }
  const driverInputs = { counters: ctx.counters, inputs: ctx.inputs, maskflags: ctx.maskflags, segments: nseg };
  const firstBad = (name: string) => (scan ? scan(address(plan.arenas, name), total) : firstNonFinite(arena(name)));

  /** Why a written arena holds a non-finite value: an input first (read from its backup where the phase overwrote it). */
  const cause = (written: string[], inputs: string[], bad: string): Error => {
    for (const name of inputs) {
      const data = written.includes(name) ? backupOf(name) : arena(name);
      const i = firstNonFinite(data);
      if (i >= 0) return nonFiniteError(name, data[i], i, ctx.layout.tensors, false);
    }
    const i = firstBad(bad);
    return nonFiniteError(bad, arena(bad)[i], i, ctx.layout.tensors, true);
  };

  return {
    run(name) {
      const art = ctx.artifact.phases[name];
      if (!art) throw new Error(`internal: no phase ${name}`);
      const { written, inputs } = phases.get(name)!;
      const done = new Set<string>();
      let next: [string, number][];
      try {
        next = drivePhaseSync(art, driverInputs, ({ kernel, uniforms, segvals }): KernelSums => {
          const bk = bound.get(kernel)!;
          bk.uniforms.set(uniforms);
          segvals.forEach((v, j) => (typeof v === "number" ? bk.segvals[j].fill(v) : bk.segvals[j].set(v)));
          const perSegment = call(bk);
          for (const s of kernel.kernel.stores) done.add(kernel.kernel.bindings[s.arena].name);
          // Threads: a global sum's segment sums, which the driver folds in the kernel's order.
          return kernel.kernel.reductions.map((r, j) => (r.scope === "global" && !perSegment ? bk.globalSums[j] : bk.segmentSums[j].slice()));
        });
        if (ctx.guarded) {
          const bad = written.find((a) => firstBad(a) >= 0);
          if (bad !== undefined) throw cause(written, inputs, bad);
        }
      } catch (e) {
        if (ctx.guarded) for (const a of done) arena(a).set(backupOf(a));
        throw e;
      }
      for (const [c, v] of next) ctx.counters.set(c, v);
    },
  };
}
