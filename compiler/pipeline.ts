/**
 * The compiler's table of contents: one line per stage, each a pure function.
 *   parse → check → lower → fuse → render + link
 */
import type { Program } from "../dsl/ast.js";
import { hasErrors, type Diagnostic } from "../dsl/diagnostic.js";
import { parse } from "../dsl/parse.js";
import type { CompiledStep, Target } from "../format/artifact.js";
import { canonical } from "./check/canonical.js";
import { check } from "./check/check.js";
import type { CallValue } from "./check/types.js";
import { renderDiagnostic } from "./diagnostics.js";
import { fuse, type PhasePlan } from "./fuse/plan.js";
import { link } from "./link.js";
import { lower, type LoweredConfig } from "./lower/lower.js";

export interface Compilation {
  source: string;
  diagnostics: Diagnostic[];
  program?: Program;
  tree?: CallValue;
  canonical?: string;
  lowered?: LoweredConfig;
  plans?: PhasePlan[];
  artifact?: CompiledStep;
}

/** Parse and check only (no code): what `optc check` and the language server need. */
export function checkSource(source: string): Compilation {
  const parsed = parse(source);
  const out: Compilation = { source, diagnostics: parsed.diagnostics, program: parsed.program };
  if (!parsed.program || hasErrors(parsed.diagnostics)) return out;
  const checked = check(parsed.program);
  out.diagnostics = [...parsed.diagnostics, ...checked.diagnostics];
  if (!checked.tree || hasErrors(out.diagnostics)) return out;
  out.tree = checked.tree;
  out.canonical = canonical(checked.tree);
  return out;
}

export function compileSource(source: string, target: Target = "js"): Compilation {
  const c = checkSource(source);
  if (!c.tree || !c.canonical) return c;
  c.lowered = lower(c.tree);
  c.plans = c.lowered.phases.map(fuse);
  const warnings = c.diagnostics.filter((d) => d.severity === "warning").map((d) => renderDiagnostic(d, source));
  c.artifact = link(c.canonical, c.lowered, c.plans, warnings, target);
  return c;
}
