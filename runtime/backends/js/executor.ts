/**
 * Runs a phase's kernels on the CPU through the shared phase driver; counters are stored only
 * when the phase completes. Guarded (the default), each kernel writes what it overwrites to a
 * backup, and the phase ends with a scan of every arena it wrote: a non-finite value there (a
 * non-finite input that reached the state, or a float32 overflow) restores every arena the phase
 * wrote and refuses the step (R201 gradients, R206 params, R207 the result itself).
 */
import type { KernelArtifact } from "../../../format/artifact.js";
import type { ExecutorContext, PhaseExecutor } from "../../executor.js";
import { firstNonFinite, nonFiniteError } from "../../finite.js";
import { drivePhaseSync, type KernelSums } from "../../phase_driver.js";
import { bindKernel, type BoundKernel } from "./index.js";

export function jsExecutor(ctx: ExecutorContext): PhaseExecutor {
  const arena = (name: string) => {
    const a = ctx.arenas.get(name);
    if (!a) throw new Error(`internal: no arena ${name}`);
    return a;
  };
  const backups = new Map<string, Float32Array>();
  const backupOf = (name: string) => {
    let b = backups.get(name);
    if (!b) backups.set(name, (b = new Float32Array(arena(name).length)));
    return b;
  };
  const scanners = new Map<string, () => number>();
  const scan = (name: string) => {
    let s = scanners.get(name);
    if (!s) scanners.set(name, (s = ctx.kernels.finiteScan(arena(name))));
    return s();
  };
  const bound = new Map<KernelArtifact, BoundKernel>();
  const phases = new Map<string, { written: string[]; inputs: string[] }>();
  for (const [name, art] of Object.entries(ctx.artifact.phases)) {
    const kernels = art.passes.flatMap((p) => p.kernels);
    for (const k of kernels) bound.set(k, bindKernel(k, arena, ctx.seg, ctx.kernels.factory(k, ctx.guarded), ctx.guarded ? backupOf : undefined));
    const written = [...new Set(kernels.flatMap(({ kernel }) => kernel.stores.map((s) => kernel.bindings[s.arena].name)))];
    const inputs = [...new Set(kernels.flatMap(({ kernel }) => kernel.bindings.filter((b) => b.read && b.checkFinite).map((b) => b.name)))];
    phases.set(name, { written, inputs });
  }
  const driverInputs = { counters: ctx.counters, inputs: ctx.inputs, maskflags: ctx.maskflags, segments: ctx.seg.length - 1 };

  /** Why a written arena holds a non-finite value: an input first (read from its backup where the phase overwrote it). */
  const cause = (written: string[], inputs: string[], bad: string): Error => {
    for (const name of inputs) {
      const data = written.includes(name) ? backupOf(name) : arena(name);
      const i = firstNonFinite(data);
      if (i >= 0) return nonFiniteError(name, data[i], i, ctx.layout.tensors, false);
    }
    const i = firstNonFinite(arena(bad));
    return nonFiniteError(bad, arena(bad)[i], i, ctx.layout.tensors, true);
  };

  return {
    run(name) {
      const art = ctx.artifact.phases[name];
      if (!art) throw new Error(`internal: no phase ${name}`);
      const { written, inputs } = phases.get(name)!;
      // Only arenas a kernel has actually written have a backup to go back to.
      const done = new Set<string>();
      const restore = () => {
        for (const a of done) arena(a).set(backupOf(a));
      };
      let next: [string, number][];
      try {
        next = drivePhaseSync(art, driverInputs, ({ kernel, uniforms, segvals }): KernelSums => {
          const bk = bound.get(kernel)!;
          bk.uniforms.set(uniforms);
          segvals.forEach((v, j) => (typeof v === "number" ? bk.segvals[j].fill(v) : bk.segvals[j].set(v)));
          bk.run();
          for (const s of kernel.kernel.stores) done.add(kernel.kernel.bindings[s.arena].name);
          return kernel.kernel.reductions.map((r, j) => (r.scope === "global" ? bk.globalSums[j] : bk.segmentSums[j].slice()));
        });
        if (ctx.guarded) {
          const bad = written.find((a) => scan(a) >= 0);
          if (bad !== undefined) throw cause(written, inputs, bad);
        }
      } catch (e) {
        // Whatever refused the phase after a kernel wrote (a non-finite result, a guard of a later
        // pass), every arena the phase wrote gets its backup back.
        if (ctx.guarded) restore();
        throw e;
      }
      for (const [c, v] of next) ctx.counters.set(c, v);
    },
  };
}
