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

interface KernelExports {
  run: (...args: number[]) => void;
  guarded: (...args: number[]) => void;
  run_f32: (...args: number[]) => void;
  guarded_f32: (...args: number[]) => void;
  scan: (ptr: number, n: number) => number;
}

/** Compiled once per artifact kernel; each run instantiates it over its own memory. */
const modules = new WeakMap<KernelArtifact, WebAssembly.Module>();

function moduleOf(k: KernelArtifact): WebAssembly.Module {
  let m = modules.get(k);
  if (m) return m;
  const bytes = k.code.wasm === undefined ? undefined : fromBase64(k.code.wasm);
  if (!bytes) fail("R110", `kernel ${k.kernel.name} has no WebAssembly code`, "compile with { target: 'wasm' }");
  if (typeof WebAssembly !== "object") fail("R117", "this environment has no WebAssembly", "use the JS target (compile(config) or { target: 'js' })");
  try {
    m = new WebAssembly.Module(bytes);
  } catch (e) {
    return fail("R117", `kernel ${k.kernel.name}'s WebAssembly module did not compile: ${(e as Error).message}`, "WebAssembly SIMD is needed (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+); in a page with a Content-Security-Policy allow 'wasm-unsafe-eval'; else use the JS target");
  }
  modules.set(k, m);
  return m;
}

/** What the kernels import besides the memory: JS's own Math functions, the interpreter's too. */
const MATH = { cos: Math.cos, tanh: Math.tanh, exp: Math.exp, log: Math.log, pow: Math.pow };

function instantiate(k: KernelArtifact, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(moduleOf(k), { env: { memory }, math: MATH }).exports as unknown as KernelExports;
}

/** The arenas of a wasm run, in one memory, and the executor that runs phases on them. */
export function wasmBacking(artifact: CompiledStep, layout: TensorLayout, options: BackingOptions): Backing {
  const plan = planMemory(artifact, layout, options.guarded);
  const f32 = options.precision === "f32";
  const view = (at: number) => new Float32Array(plan.memory.buffer, at, layout.total);
  return {
    arena: (name) => {
      const at = plan.arenas.get(name);
      if (at === undefined) throw new Error(`internal: no arena ${name}`);
      return view(at);
    },
    executor: (ctx) => wasmExecutor(ctx, plan, f32),
  };
}

function wasmExecutor(ctx: ExecutorContext, plan: WasmMemoryPlan, f32: boolean): PhaseExecutor {
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
    fn: (...args: number[]) => void;
    args: number[];
    uniforms: Float64Array;
    segvals: Float64Array[];
    globalSums: Float64Array;
    segmentSums: Float64Array[];
  }
  const bound = new Map<KernelArtifact, Bound>();
  let scan: ((ptr: number, n: number) => number) | undefined;
  for (const k of allKernels(ctx.artifact)) {
    const exports = instantiate(k, memory);
    scan ??= exports.scan;
    const { kernel } = k;
    const s = plan.scratch.get(k)!;
    const f64 = (at: number, n: number) => new Float64Array(memory.buffer, at, n);
    const backups = kernel.stores.map((st) => (ctx.guarded ? address(plan.backups, kernel.bindings[st.arena].name) : 0));
    const args = [...kernel.bindings.map((b) => address(plan.arenas, b.name)), ...backups, plan.seg, nseg, s.U, s.SV, s.R, s.RS, 0, total];
    bound.set(k, {
      fn: ctx.guarded ? (f32 ? exports.guarded_f32 : exports.guarded) : f32 ? exports.run_f32 : exports.run,
      args,
      uniforms: f64(s.U, kernel.uniformCount),
      segvals: Array.from({ length: kernel.segvalCount }, (_, j) => f64(s.SV + j * nseg * 8, nseg)),
      globalSums: f64(s.R, kernel.reductions.length),
      segmentSums: kernel.reductions.map((_, j) => f64(s.RS + j * nseg * 8, nseg)),
    });
  }
  const phases = new Map<string, { written: string[]; inputs: string[] }>();
  for (const [name, art] of Object.entries(ctx.artifact.phases)) {
    const kernels = art.passes.flatMap((p) => p.kernels);
    const written = [...new Set(kernels.flatMap(({ kernel }) => kernel.stores.map((s) => kernel.bindings[s.arena].name)))];
    const inputs = [...new Set(kernels.flatMap(({ kernel }) => kernel.bindings.filter((b) => b.read && b.checkFinite).map((b) => b.name)))];
    phases.set(name, { written, inputs });
  }
  const driverInputs = { counters: ctx.counters, maskflags: ctx.maskflags, segments: nseg };
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
          bk.fn(...bk.args);
          for (const s of kernel.kernel.stores) done.add(kernel.kernel.bindings[s.arena].name);
          return kernel.kernel.reductions.map((r, j) => (r.scope === "global" ? bk.globalSums[j] : bk.segmentSums[j].slice()));
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
