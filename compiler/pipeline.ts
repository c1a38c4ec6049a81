/**
 * The compiler's table of contents: one line per stage, each a function of the previous
 * stage's output. `dump` sees each stage's output as it is made; stages.ts gives each a text
 * form (what `optc explain --stage <name>` prints), kept out of this file so that compile() in a
 * browser does not carry the printers.
 *
 *   parse   source      → Program        (dsl/)                           ast
 *   check   Program     → CallValue      (check/)                         typed
 *   lower   CallValue   → LoweredConfig  (lower/)                         ir
 *   fuse    StepProgram → PhasePlan      (fuse/, per the target's caps)   plan
 *   render  PhasePlan   → kernel code    (render.ts, targets/)            kernels
 *   link    all above   → CompiledStep   (link.ts)
 */
import type { Program } from "../dsl/ast.js";
import { hasErrors, type Diagnostic } from "../dsl/diagnostic.js";
import { parse } from "../dsl/parse.js";
import { checkedInputs, type CompiledStep, type Target } from "../format/artifact.js";
import { RENDERERS } from "../targets/index.js";
import { canonical } from "./check/canonical.js";
import { check } from "./check/check.js";
import type { CallValue } from "./check/types.js";
import { renderDiagnostic } from "./diagnostics.js";
import { fuse, type PhasePlan } from "./fuse/plan.js";
import { planDevice } from "./fuse/device.js";
import { finitenessReductions, guardFiniteness } from "./fuse/finiteness.js";
import { link } from "./link.js";
import { lower, type LoweredConfig } from "./lower/lower.js";
import { render, type RenderedPhase } from "./render.js";

/** Each stage's output, by the name `optc explain --stage` uses. */
export interface StageOutputs {
  ast: Program;
  typed: CallValue;
  ir: LoweredConfig;
  plan: PhasePlan[];
  kernels: RenderedPhase[];
}
export type Stage = keyof StageOutputs;
export const STAGES: readonly Stage[] = ["ast", "typed", "ir", "plan", "kernels"];
export type StageDump = <S extends Stage>(stage: S, output: StageOutputs[S]) => void;

/**
 * A check run on every lowered config before it is fused: the test suite installs the IR
 * verifier (compiler/ir/verify.ts) here, so every compilation in the tests is verified while
 * compile() in a browser does not carry the verifier.
 */
let checkLowered: ((lowered: LoweredConfig) => void) | undefined;
export function setLoweredCheck(check: ((lowered: LoweredConfig) => void) | undefined): void {
  checkLowered = check;
}

export interface CompileOptions {
  target?: Target;
  /** Called with each stage's output as soon as the stage has run. */
  dump?: StageDump;
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
  const dump: StageDump = options.dump ?? (() => {});
  const parsed = parse(source);
  const c: Compilation = { source, diagnostics: parsed.diagnostics, program: parsed.program };
  if (!parsed.program || hasErrors(c.diagnostics)) return c;
  dump("ast", parsed.program);
  const checked = check(parsed.program);
  c.diagnostics = [...c.diagnostics, ...checked.diagnostics];
  if (!checked.tree || hasErrors(c.diagnostics)) return c;
  dump("typed", checked.tree);
  return { ...c, tree: checked.tree, canonical: canonical(checked.tree) };
}

export function compileSource(source: string, targetOrOptions: Target | CompileOptions = {}): Compilation {
  const options = typeof targetOrOptions === "string" ? { target: targetOrOptions } : targetOrOptions;
  const dump: StageDump = options.dump ?? (() => {});
  const target = options.target ?? "js";
  const renderer = RENDERERS[target];
  const c = checkSource(source, options);
  if (!c.tree || !c.canonical) return c;
  const lowered = lower(c.tree);
  checkLowered?.(lowered);
  dump("ir", lowered);
  const inputs = checkedInputs(lowered.protocol, lowered.handlesNonFinite);
  // GPU targets decide refusals on the device: the finiteness check becomes reductions and guards.
  const programs = renderer.device ? lowered.phases.map((phase) => guardFiniteness(phase, inputs)) : lowered.phases;
  const plans = programs.map((phase) => fuse(phase, renderer.caps, inputs));
  const device = renderer.device ? planDevice(plans, lowered.protocol, programs.map((g, i) => finitenessReductions(lowered.phases[i], g))) : undefined;
  if (device && renderer.renderFold) device.step.fold = renderer.renderFold();
  dump("plan", plans);
  const rendered = render(plans, renderer, device?.phases);
  dump("kernels", rendered);
  const warnings = c.diagnostics.filter((d) => d.severity === "warning").map((d) => renderDiagnostic(d, source));
  const artifact = link({ config: c.canonical, target, lowered, phases: rendered, device: device?.step, warnings });
  return { ...c, lowered, plans, rendered, artifact };
}
