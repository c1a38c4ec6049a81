import { describePlan, describeState, describeTree } from "../../compiler/describe.js";
import { compileSource, STAGES, type Stage } from "../../compiler/pipeline.js";
import { describeCode } from "../../compiler/render.js";
import { stageText } from "../../compiler/stages.js";
import { escapeUnsafe } from "../../dsl/format.js";
import { isTarget, TARGETS } from "../../format/artifact.js";
import { show, UsageError, type Parsed } from "../args.js";
import { out, printDiagnostics, readSource } from "../io.js";

export const help = `optc explain '<config>' | -f file.opt [--target js|webgpu|gpujs|wasm] [--no-code]
                 [--stage ${STAGES.join("|")}]

Shows every stage: the typed tree, the state layout, each phase's passes with what they
read and write, bytes moved per parameter per step, and the generated kernels (JS loops,
WGSL compute shaders with --target webgpu, gpu.js kernel functions with --target gpujs,
each wasm module's size and per-element program with --target wasm).
--stage prints one stage's text form alone: ast (the parsed config, canonical layout),
typed (the checked tree), ir (each phase's step IR), plan (passes and bytes, for the
target's caps), kernels (the generated code). A config is at most 1 MiB (-f FILE, or -f -
for stdin).`;

export function run(p: Parsed): number {
  const src = readSource(p);
  const target = typeof p.options.target === "string" ? p.options.target : "js";
  if (!isTarget(target)) throw new UsageError(`unknown target '${show(target)}' (targets: ${TARGETS.join(", ")})`);
  const stage = p.options.stage;
  if (stage !== undefined && !(typeof stage === "string" && (STAGES as readonly string[]).includes(stage))) throw new UsageError(`unknown stage '${show(String(stage))}' (stages: ${STAGES.join(", ")})`);
  const dumps = new Map<Stage, string>();
  const c = compileSource(src.text, { target, dump: (s, output) => dumps.set(s, stageText(s, output)) });
  printDiagnostics(c.diagnostics, src);
  if (!c.artifact || !c.lowered || !c.plans || !c.tree || !c.rendered) return 1;
  if (stage !== undefined) {
    out(escapeUnsafe(`${dumps.get(stage as Stage)}\n`));
    return 0;
  }
  const lines: string[] = [`config: ${c.canonical}`, "", "typed tree:", ...describeTree(c.tree, "  "), "", "state:", ...describeState(c.lowered), ""];
  const proto = c.artifact.protocol;
  if (proto.owner !== "plain") lines.push(`protocol: ${proto.summary}`, "");
  for (const plan of c.plans) lines.push(...describePlan(plan), "");
  if (!p.options["no-code"]) lines.push(...describeCode(c.rendered));
  // A report for people: names and strings from the config are never printed raw.
  out(escapeUnsafe(lines.join("\n")));
  return 0;
}
