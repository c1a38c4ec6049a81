/**
 * The compiler's table of contents: one line per stage, each a function of the previous
 * stage's output, each with a text form that `optc explain --stage <name>` prints.
 *
 *   parse   source      → Program        (dsl/)            ast:     the canonical printer
 *   check   Program     → CallValue      (check/)          typed:   the typed tree
 *   lower   CallValue   → StepProgram[]  (lower/)          ir:      ir/print.ts (verified by ir/verify.ts)
 *   fuse    StepProgram → PhasePlan      (fuse/, per the target's caps)  plan: passes, bytes
 *   render  PhasePlan   → kernel code    (targets/)        kernels: the generated code
 *   link    all above   → CompiledStep   (link.ts)
 */
import type { Program } from "../dsl/ast.js";
import { hasErrors, type Diagnostic } from "../dsl/diagnostic.js";
import { formatProgram } from "../dsl/format.js";
import { parse } from "../dsl/parse.js";
import type { CompiledStep, Target } from "../format/artifact.js";
import { RENDERERS } from "../targets/index.js";
import { canonical } from "./check/canonical.js";
import { check } from "./check/check.js";
import type { CallValue } from "./check/types.js";
import { describePlan, describeTree } from "./describe.js";
import { renderDiagnostic } from "./diagnostics.js";
import { fuse, type PhasePlan } from "./fuse/plan.js";
import { validationPlans } from "./fuse/validation.js";
import { printLowered } from "./ir/print.js";
import { assertValid } from "./ir/verify.js";
import { link } from "./link.js";
import { lower, type LoweredConfig } from "./lower/lower.js";
import { describeCode, render, renderKernel, type RenderedPhase } from "./render.js";

/** The stages with a text form, in order. */
export const STAGES = ["ast", "typed", "ir", "plan", "kernels"] as const;
export type Stage = (typeof STAGES)[number];

export interface CompileOptions {
  target?: Target;
  /** Called with each stage's text form as soon as the stage has run. */
  dump?: (stage: Stage, text: string) => void;
}

/** What the stages produced; a stage that did not run (an error before it) leaves its field unset. */
export interface Compilation {
  source: string;
  diagnostics: Diagnostic[];
  program?: Program;
  tree?: CallValue;
  canonical?: string;
  lowered?: LoweredConfig;
  plans?: PhasePlan[];
  rendered?: RenderedPhase[];
  artifact?: CompiledStep;
}

/** parse and check (no code): what `optc fmt` and a language server need. */
export function checkSource(source: string, options: CompileOptions = {}): Compilation {
  const dump = options.dump ?? (() => {});
  const parsed = parse(source);
  const c: Compilation = { source, diagnostics: parsed.diagnostics, program: parsed.program };
  if (!parsed.program || hasErrors(c.diagnostics)) return c;
  dump("ast", formatProgram(parsed.program));
  const checked = check(parsed.program);
  c.diagnostics = [...c.diagnostics, ...checked.diagnostics];
  if (!checked.tree || hasErrors(c.diagnostics)) return c;
  dump("typed", describeTree(checked.tree).join("\n"));
  return { ...c, tree: checked.tree, canonical: canonical(checked.tree) };
}

export function compileSource(source: string, targetOrOptions: Target | CompileOptions = {}): Compilation {
  const options = typeof targetOrOptions === "string" ? { target: targetOrOptions } : targetOrOptions;
  const dump = options.dump ?? (() => {});
  const target = options.target ?? "js";
  const renderer = RENDERERS[target];
  const c = checkSource(source, options);
  if (!c.tree || !c.canonical) return c;
  const lowered = lower(c.tree);
  for (const phase of lowered.phases) assertValid(phase, lowered.layout);
  dump("ir", printLowered(lowered));
  const plans = lowered.phases.map((phase) => fuse(phase, renderer.caps));
  dump("plan", plans.flatMap(describePlan).join("\n"));
  const rendered = render(plans, renderer);
  dump("kernels", describeCode(rendered).join("\n"));
  const validation = target === "js" ? undefined : Object.fromEntries(Object.entries(validationPlans(lowered.protocol)).map(([arena, k]) => [arena, renderKernel(k, renderer)]));
  const warnings = c.diagnostics.filter((d) => d.severity === "warning").map((d) => renderDiagnostic(d, source));
  const artifact = link({ config: c.canonical, target, lowered, phases: rendered, validation, warnings });
  return { ...c, lowered, plans, rendered, artifact };
}
