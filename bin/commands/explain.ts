import { describePlan, describeState, describeTree } from "../../compiler/describe.js";
import { compileSource } from "../../compiler/pipeline.js";
import { UsageError, type Parsed } from "../args.js";
import type { GpuJsProgram } from "../../format/abi_gpujs.js";
import { printDiagnostics, readSource } from "../io.js";

export const help = `optc explain '<config>' | -f file.opt [--target js|webgpu|gpujs] [--no-code]

Shows every stage: the typed tree, the state layout, each phase's passes with what they
read and write, bytes moved per parameter per step, and the generated kernels (JS loops,
WGSL compute shaders with --target webgpu, gpu.js kernel functions with --target gpujs).`;

function gpuJsText(programs: GpuJsProgram[]): string {
  return programs.map((p) => `// ${p.kind} program, settings ${JSON.stringify(p.settings)}\n${p.source}`).join("\n");
}

export function run(p: Parsed): number {
  const src = readSource(p);
  const target = typeof p.options.target === "string" ? p.options.target : "js";
  if (target !== "js" && target !== "webgpu" && target !== "gpujs") throw new UsageError(`unknown target '${target}' (targets: js, webgpu, gpujs)`);
  const c = compileSource(src.text, target);
  printDiagnostics(c.diagnostics, src);
  if (!c.artifact || !c.lowered || !c.plans || !c.tree) return 1;
  const out: string[] = [`config: ${c.canonical}`, "", "typed tree:", ...describeTree(c.tree, "  "), "", "state:", ...describeState(c.lowered), ""];
  const proto = c.artifact.protocol;
  if (proto.kind === "sam") {
    out.push(`protocol: sam, sync_period=${proto.syncPeriod}, ${proto.opaque ? "opaque" : "transparent"}, reset_state=${proto.resetState}; the runtime picks each step's phase on the host`, "");
  }
  for (const plan of c.plans) out.push(...describePlan(plan), "");
  if (!p.options["no-code"]) {
    for (const [name, phase] of Object.entries(c.artifact.phases)) {
      phase.passes.forEach((pass, i) => out.push(`--- ${name} pass ${i} (${target}) ---`, pass.code.js ?? pass.code.wgsl ?? gpuJsText(pass.code.gpujs ?? []), ""));
    }
  }
  process.stdout.write(out.join("\n"));
  return 0;
}
