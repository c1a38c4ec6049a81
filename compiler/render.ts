/** render: every kernel of every plan, printed by the target's renderer (targets/ does the printing). */
import type { KernelCode } from "../format/artifact.js";
import type { DeviceCode, DeviceProgram, DeviceTable } from "../format/device.js";
import type { Renderer } from "../targets/target.js";
import { describeWasmKernel } from "../targets/wasm/describe.js";
import type { PhaseDevicePlan } from "./fuse/device.js";
import type { KernelPlan, PhasePlan } from "./fuse/plan.js";

export type RenderedKernel = KernelPlan & { code: KernelCode };

export interface RenderedPhase extends Omit<PhasePlan, "passes"> {
  passes: { kernels: RenderedKernel[] }[];
  /** GPU targets: the device table and the rendered device programs. */
  device?: { table: DeviceTable; programs: { program: DeviceProgram; code: DeviceCode }[] };
}

export function renderKernel(k: KernelPlan, renderer: Renderer, table?: DeviceTable): RenderedKernel {
  return { ...k, code: renderer.render(k.kernel, table ? { table, uniforms: k.uniforms, segvals: k.segvals } : undefined) };
}

/** Renders each phase's kernels, and on GPU targets (`devices[i]` for plans[i]) its device programs. */
export function render(plans: PhasePlan[], renderer: Renderer, devices?: PhaseDevicePlan[]): RenderedPhase[] {
  return plans.map((p, i) => {
    const device = devices?.[i];
    const passes = p.passes.map((pass) => ({ kernels: pass.kernels.map((k) => renderKernel(k, renderer, device?.table)) }));
    if (!device) return { ...p, passes };
    if (!renderer.renderDevice) throw new Error(`internal: target ${renderer.target} has no device programs`);
    const programs = device.programs.map((program) => ({ program, code: renderer.renderDevice!(program, device.table) }));
    return { ...p, passes, device: { table: device.table, programs } };
  });
}

/** The rendered code as text, kernel by kernel, device programs before the pass they precede (`optc explain`'s kernels stage). */
export function describeCode(phases: RenderedPhase[]): string[] {
  const out: string[] = [];
  const deviceText = (code: DeviceCode) => {
    if (code.wgsl !== undefined) return code.wgsl;
    const g = code.gpujs;
    return g && "source" in g ? `// device program, settings ${JSON.stringify(g.settings)}\n${g.source}` : "";
  };
  for (const phase of phases) {
    const programs = phase.device?.programs ?? [];
    const programsAt = (level: number) => {
      for (const { program, code } of programs.filter((x) => x.program.level === level)) out.push(`--- ${phase.name} device program before ${level < phase.passes.length ? `pass ${level}` : "the end"} ---`, deviceText(code), "");
    };
    phase.passes.forEach((pass, i) => {
      programsAt(i);
      pass.kernels.forEach((k, j) => {
        const c = k.code;
        const text = c.js ?? c.wgsl ?? (c.wasm !== undefined ? describeWasmKernel(k.kernel, c.wasm) : undefined) ?? (c.gpujs ? `// ${c.gpujs.kind} program, settings ${JSON.stringify(c.gpujs.settings)}\n${c.gpujs.source}` : "");
        out.push(`--- ${phase.name} pass ${i}${pass.kernels.length > 1 ? ` kernel ${j}` : ""}${k.checkOnly ? " (finiteness check only: validate: false skips it)" : ""} ---`, text, "");
      });
    });
    programsAt(phase.passes.length);
  }
  return out;
}
