/** render: every kernel of every plan, printed by the target's renderer (targets/ does the printing). */
import type { KernelCode } from "../format/artifact.js";
import type { Renderer } from "../targets/target.js";
import type { KernelPlan, PhasePlan } from "./fuse/plan.js";

export type RenderedKernel = KernelPlan & { code: KernelCode };

export interface RenderedPhase extends Omit<PhasePlan, "passes"> {
  passes: { kernels: RenderedKernel[] }[];
}

export function renderKernel(k: KernelPlan, renderer: Renderer): RenderedKernel {
  return { ...k, code: renderer.render(k.kernel) };
}

export function render(plans: PhasePlan[], renderer: Renderer): RenderedPhase[] {
  return plans.map((p) => ({ ...p, passes: p.passes.map((pass) => ({ kernels: pass.kernels.map((k) => renderKernel(k, renderer)) })) }));
}

/** The rendered code as text, kernel by kernel (`optc explain`'s kernels stage). */
export function describeCode(phases: RenderedPhase[]): string[] {
  const out: string[] = [];
  for (const phase of phases) {
    phase.passes.forEach((pass, i) =>
      pass.kernels.forEach((k, j) => {
        const c = k.code;
        const text = c.js ?? c.wgsl ?? (c.gpujs ? `// ${c.gpujs.kind} program, settings ${JSON.stringify(c.gpujs.settings)}\n${c.gpujs.source}` : "");
        out.push(`--- ${phase.name} pass ${i}${pass.kernels.length > 1 ? ` kernel ${j}` : ""} ---`, text, "");
      }),
    );
  }
  return out;
}
