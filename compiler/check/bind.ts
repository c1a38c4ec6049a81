/**
 * Binding a call's arguments to its definition's parameters the way Python does: positional
 * arguments in order (or all into `*varargs`), then keywords by name or alias, keyword-only
 * parameters, duplicates (E205), unknown keywords (E202, with a "did you mean"), too many
 * positionals (E203), keyword-then-positional (E204), missing required arguments (E206), and
 * defaults for the rest. Evaluating each argument's expression (names, nested calls, kinds) is
 * the checker's job, so it comes in through BindContext and this file never imports check.ts.
 * (Source paths, the state slots' prefixes, are given to the finished tree by paths.ts.)
 */
import type { Call, Expr } from "../../dsl/ast.js";
import { error, type Diagnostic, type Span } from "../../dsl/diagnostic.js";
import type { Def } from "../registry/define.js";
import { signatureHint } from "./signature.js";
import { closest, shown } from "./suggest.js";
import type { Args, DefaultValue, Kind, Value } from "./types.js";

/** What binding needs from the checker. */
export interface BindContext {
  report(diagnostic: Diagnostic): void;
  /** The checked value of one argument expression against its parameter's kind; undefined after reporting why. */
  evaluate(expr: Expr, kind: Kind): Value | undefined;
}

export interface BoundArguments {
  /** Every parameter that has a value: the ones written, then defaults. */
  args: Args;
  /** The parameters the user wrote, in parameter order. */
  explicit: string[];
}

/**
 * Names people bring from PyTorch, Keras and tfjs, mapped to optax's; only used to suggest a
 * parameter in E202. (A parameter's own `aliases` are accepted outright and need no entry here.)
 */
const SYNONYMS: Record<string, string> = {
  lr: "learning_rate",
  learningRate: "learning_rate",
  beta1: "b1",
  beta2: "b2",
  betas: "b1",
  epsilon: "eps",
  decay_rate: "decay",
  k: "sync_period",
  clipnorm: "max_norm",
};

/** Binds `c`'s arguments to `def`'s parameters; undefined when any argument failed (all were reported). */
export function bindArguments(def: Def, c: Call, context: BindContext): BoundArguments | undefined {
  const bound = new Map<string, { expr: Expr; span: Span }>();
  const varargs = def.params.find((p) => p.varargs);
  const positional = def.params.filter((p) => !p.kwOnly && !p.varargs);
  const varItems: Expr[] = [];
  let ok = true;
  let seenKeyword = false;
  let posIndex = 0;
  // A misspelt keyword whose suggestion is a required parameter explains that parameter's absence.
  const suggested = new Set<string>();
  for (const arg of c.args) {
    if (arg.name === undefined) {
      if (seenKeyword) {
        context.report(error("E204", "positional argument after a keyword argument", arg.span, "move it before the keyword arguments or name it"));
        ok = false;
        continue;
      }
      if (varargs) {
        varItems.push(arg.value);
        continue;
      }
      const p = positional[posIndex++];
      if (!p) {
        context.report(
          error("E203", `${def.name}() takes ${positional.length === 0 ? "no" : `at most ${positional.length}`} positional argument${positional.length === 1 ? "" : "s"} (${posIndex} given)`, arg.span, signatureHint(def)),
        );
        ok = false;
        continue;
      }
      bound.set(p.name, { expr: arg.value, span: arg.span });
      continue;
    }
    seenKeyword = true;
    const p = def.params.find((q) => !q.varargs && (q.name === arg.name || q.aliases?.includes(arg.name!)));
    if (!p) {
      const names = def.params.filter((q) => !q.varargs).flatMap((q) => [q.name, ...(q.aliases ?? [])]);
      const synonym = SYNONYMS[arg.name];
      const guess = synonym && names.includes(synonym) ? synonym : closest(arg.name, names);
      if (guess) suggested.add(guess);
      context.report(
        error("E202", `${def.name}() has no parameter '${shown(arg.name)}'`, arg.nameSpan ?? arg.span, guess ? `did you mean '${guess}'?` : names.length ? `its parameters are: ${names.join(", ")}` : `${def.name}() takes no arguments`),
      );
      ok = false;
      continue;
    }
    if (bound.has(p.name)) {
      context.report(error("E205", `${def.name}() got '${p.name}' twice`, arg.nameSpan ?? arg.span, p.aliases?.length ? `'${p.aliases.join("', '")}' is another name for '${p.name}'` : "remove one of them"));
      ok = false;
      continue;
    }
    bound.set(p.name, { expr: arg.value, span: arg.span });
  }
  for (const p of def.params) {
    if (p.varargs || bound.has(p.name) || p.default !== undefined || suggested.has(p.name)) continue;
    context.report(error("E206", `${def.name}() is missing the required argument '${p.name}'`, c.span, signatureHint(def)));
    ok = false;
  }
  const args: Args = {};
  const explicit: string[] = [];
  for (const p of def.params) {
    if (p.varargs) {
      const items = varItems.map((e) => context.evaluate(e, p.kind));
      if (items.some((x) => x === undefined)) ok = false;
      else args[p.name] = { k: "list", items: items as Value[], span: c.span };
      if (varItems.length) explicit.push(p.name);
      continue;
    }
    const b = bound.get(p.name);
    if (!b) {
      if (p.default !== undefined) args[p.name] = fromDefault(p.default, c.span);
      continue;
    }
    const v = context.evaluate(b.expr, p.kind);
    if (!v) {
      ok = false;
      continue;
    }
    args[p.name] = v;
    explicit.push(p.name);
  }
  return ok ? { args, explicit } : undefined;
}

/** A parameter's default as a value, placed at the call's span (diagnostics about it point at the call). */
function fromDefault(d: DefaultValue, span: Span): Value {
  if (d === null) return { k: "none", span };
  if (typeof d === "number") return { k: "number", v: d, isInt: Number.isInteger(d), span };
  if (typeof d === "boolean") return { k: "bool", v: d, span };
  if (typeof d === "string") return { k: "string", v: d, span };
  return { k: "list", items: d.map((x) => fromDefault(x, span)), span };
}
