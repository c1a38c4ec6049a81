/** Runs a phase's kernels on the CPU through the shared phase driver; counters are stored only when the phase completes. */
import { gradientArenas, type KernelArtifact } from "../../../format/artifact.js";
import type { ExecutorContext, PhaseExecutor } from "../../executor.js";
import { drivePhaseSync, type KernelSums } from "../../phase_driver.js";
import { bindKernel, type BoundKernel } from "./index.js";

export function jsExecutor(ctx: ExecutorContext): PhaseExecutor {
  const arena = (name: string) => {
    const a = ctx.arenas.get(name);
    if (!a) throw new Error(`internal: no arena ${name}`);
    return a;
  };
  const bound = new Map<KernelArtifact, BoundKernel>();
  const gradArenas = new Map<string, string[]>();
  for (const [name, art] of Object.entries(ctx.artifact.phases)) {
    const kernels = art.passes.flatMap((p) => p.kernels);
    for (const k of kernels) bound.set(k, bindKernel(k, arena, ctx.seg, ctx.kernels.factory(k.kernel.name, k.code.js)));
    const read = new Set(kernels.flatMap((k) => k.kernel.bindings.filter((b) => b.read).map((b) => b.name)));
    gradArenas.set(name, gradientArenas(ctx.artifact.protocol).filter((g) => read.has(g)));
  }
  const inputs = { counters: ctx.counters, maskflags: ctx.maskflags, segments: ctx.seg.length - 1 };
  return {
    gradientArenas: (name) => gradArenas.get(name) ?? [],
    run(name) {
      const art = ctx.artifact.phases[name];
      if (!art) throw new Error(`internal: no phase ${name}`);
      const next = drivePhaseSync(art, inputs, ({ kernel, uniforms, segvals }): KernelSums => {
        const bk = bound.get(kernel)!;
        bk.uniforms.set(uniforms);
        segvals.forEach((v, j) => (typeof v === "number" ? bk.segvals[j].fill(v) : bk.segvals[j].set(v)));
        bk.run();
        return kernel.kernel.reductions.map((r, j) => (r.scope === "global" ? bk.globalSums[j] : bk.segmentSums[j].slice()));
      });
      for (const [c, v] of next) ctx.counters.set(c, v);
    },
  };
}
