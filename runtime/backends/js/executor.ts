/** Runs a phase's passes: host program between passes, guards before any store, counters at the end. */
import { GRADIENT_ARENAS } from "../../../format/arena_names.js";
import { fail } from "../../errors.js";
import type { ExecutorContext, PhaseExecutor } from "../../executor.js";
import { evalHost, type HostInputs, type HostValue } from "../../host.js";
import { truthy } from "../../../format/ops.js";
import type { PhaseArtifact } from "../../../format/artifact.js";
import { bindPass, type BoundPass } from "./index.js";

interface BoundPhase {
  art: PhaseArtifact;
  passes: BoundPass[];
  vals: HostValue[];
  reductions: HostValue[];
  gradArenas: string[];
}


export function jsExecutor(ctx: ExecutorContext): PhaseExecutor {
  const arena = (name: string) => {
    const a = ctx.arenas.get(name);
    if (!a) throw new Error(`internal: no arena ${name}`);
    return a;
  };
  const phases = new Map<string, BoundPhase>();
  for (const [name, art] of Object.entries(ctx.artifact.phases)) {
    const passes = art.passes.map((pass) => bindPass(pass, arena, ctx.seg, ctx.kernels.factory(pass.kernel.name, pass.code.js)));
    const read = new Set(art.passes.flatMap((p) => p.kernel.bindings.filter((b) => b.read).map((b) => b.name)));
    phases.set(name, { art, passes, vals: [], reductions: [], gradArenas: GRADIENT_ARENAS.filter((g) => read.has(g)) });
  }
  const get = (name: string) => {
    const ph = phases.get(name);
    if (!ph) throw new Error(`internal: no phase ${name}`);
    return ph;
  };
  return {
    gradientArenas: (name) => get(name).gradArenas,
    run(name) {
      const { art, passes, vals, reductions } = get(name);
      const inputs: HostInputs = {
        counter: (c) => ctx.counters.get(c) ?? 0,
        reduction: (i) => reductions[i],
        maskflags: (m) => ctx.maskflags[m],
        segments: ctx.seg.length - 1,
      };
      const checkGuards = (from: number, to: number) => {
        for (const g of art.guards) {
          if (g.level >= from && g.level <= to && !truthy(vals[g.cond] as number)) fail(g.code, g.message, `${g.hint}; params and state are unchanged`);
        }
      };
      passes.forEach((bp, level) => {
        evalHost(art.host, vals, inputs, level, level);
        checkGuards(level, level);
        const pass = art.passes[level];
        pass.uniforms.forEach((h, j) => (bp.U[j] = vals[h] as number));
        pass.segvals.forEach((h, j) => {
          const v = vals[h];
          if (typeof v === "number") bp.sv[j].fill(v);
          else bp.sv[j].set(v);
        });
        bp.run();
        pass.reductions.forEach((r, j) => {
          reductions[r] = pass.kernel.reductions[j].scope === "global" ? bp.R[j] : bp.RS[j].slice();
        });
      });
      evalHost(art.host, vals, inputs, passes.length, Infinity);
      checkGuards(passes.length, Infinity);
      const next = art.counterStores.map((s) => [s.counter, vals[s.value] as number] as const);
      for (const [c, v] of next) ctx.counters.set(c, v);
    },
  };
}
