/**
 * inject_hyperparams(inner, static_args=(), hyperparam_dtype=None): inner's numeric arguments
 * become runtime hyperparameters, host inputs the runtime supplies each step (run.hyperparams,
 * run.setHyperparam, snapshots), so a learning rate or a beta changes at the next step without
 * recompiling. The lowering marks every number in inner's call tree with its path and lowers
 * inner as usual: the numbers a lowering reads as host values (Lowering.num: learning rates,
 * weight decays, Adam's and AdaBelief's b1, b2, eps, eps_root, momentum and trace decays) become
 * inputs; the rest, which shape the compiled step (counts, integer periods), stay compiled in and
 * are listed as fixed.
 *
 * Paths: inner's own arguments by name ("learning_rate"); a nested transform's by the argument
 * that holds it ("opt.learning_rate"), or by position in a `*args` list ("1.learning_rate" for
 * chain's second transform). Schedules stay schedules: a schedule-valued argument is listed as
 * fixed ("schedule") and its numbers are not injected, as optax injects only numeric values.
 *
 * static_args, as in optax, names arguments that stay constants: they are not marked, so they
 * compile exactly as in plain inner (folded into kernels) and are listed as fixed ("static"). A
 * name is one of inner's own parameters (optax's rule) or a path above (a nested transform's
 * path makes everything in it static); any other name is E304.
 */
import { error } from "../../dsl/diagnostic.js";
import type { PairRule } from "../../format/arg_relations.js";
import { HYPER_PREFIX, type FixedHyperparam, type InputBounds, type RelationOperand } from "../../format/artifact.js";
import { didYouMean, shown } from "../check/suggest.js";
import type { CallValue, Value } from "../check/types.js";
import type { Lowering } from "../lower/context.js";
import { numArg, param, type TransformDef, type ValidateContext } from "../registry/define.js";

/** A rule between two of inner's numbers (define.ts `related`), by path, with their compiled values. */
interface MarkedPair {
  rule: PairRule;
  paths: [string, string];
  values: [number, number];
}

interface Marking {
  marked: string[];
  bounds: Map<string, InputBounds>;
  pairs: MarkedPair[];
  fixed: FixedHyperparam[];
  /** The paths static_args names: each and everything below it stay compiled in. */
  statics: ReadonlySet<string>;
  varargs(name: string): string | undefined;
  boundsOf(name: string, param: string): InputBounds | undefined;
  pairRuleOf(name: string, param: string): PairRule | undefined;
}

function isStatic(path: string, statics: ReadonlySet<string>): boolean {
  for (const s of statics) if (path === s || path.startsWith(`${s}.`)) return true;
  return false;
}

function markValue(v: Value, path: string, m: Marking): Value {
  if ((v.k === "number" || v.k === "call") && isStatic(path, m.statics)) {
    if (v.k === "number" || v.category === "schedule") m.fixed.push({ name: path, why: "static" });
    // Everything in a static transform is static: walked only to list its numbers as such.
    else if (v.category !== "predicate") markCall(v, `${path}.`, m);
    return v;
  }
  switch (v.k) {
    case "number":
      // A nested inject_hyperparams keeps the outer one's paths.
      if (v.hyper !== undefined) return v;
      m.marked.push(path);
      return { ...v, hyper: path };
    case "call":
      if (v.category === "schedule") {
        m.fixed.push({ name: path, why: "schedule" });
        return v;
      }
      if (v.category === "predicate") return v;
      return markCall(v, `${path}.`, m);
    case "list":
      return { ...v, items: v.items.map((item, i) => markValue(item, `${path}.${i}`, m)) };
    default:
      return v;
  }
}

function markCall(call: CallValue, prefix: string, m: Marking): CallValue {
  const star = m.varargs(call.name);
  const args: CallValue["args"] = {};
  for (const [name, v] of Object.entries(call.args)) {
    const bounds = m.boundsOf(call.name, name);
    if (bounds && v.k === "number") m.bounds.set(`${prefix}${name}`, bounds);
    const rule = m.pairRuleOf(call.name, name);
    // The checker reads a non-number other side (None, a schedule) as 0, and so does the runtime.
    if (rule && v.k === "number") m.pairs.push({ rule, paths: [`${prefix}${name}`, `${prefix}${rule.other}`], values: [v.v, numArg(call.args, rule.other) ?? 0] });
    if (name === star && v.k === "list") args[name] = { ...v, items: v.items.map((item, i) => markValue(item, `${prefix}${i}`, m)) };
    else args[name] = markValue(v, `${prefix}${name}`, m);
  }
  return { ...call, args };
}

/** static_args' names, as written (a string or a list of strings; conform.ts checked the kind). */
function staticNames(v: Value | undefined): { name: string; span: Value["span"] }[] {
  if (v?.k === "string") return [{ name: v.v, span: v.span }];
  if (v?.k === "list") return v.items.flatMap((i) => (i.k === "string" ? [{ name: i.v, span: i.span }] : []));
  return [];
}

/** An empty marking: what the walk collects starts empty; the registry lookups are the caller's. */
function marking(statics: ReadonlySet<string>, lookups: Pick<Marking, "varargs" | "boundsOf" | "pairRuleOf">): Marking {
  return { marked: [], bounds: new Map(), pairs: [], fixed: [], statics, ...lookups };
}

/** Every name static_args may hold: inner's own parameters, and each hyperparameter's path and the paths above it. */
function validateStaticArgs(call: CallValue, context: ValidateContext): void {
  const names = staticNames(call.args.static_args);
  const inner = call.args.inner;
  if (names.length === 0 || inner?.k !== "call") return;
  const m = marking(new Set(), { varargs: (name) => context.varargs(name), boundsOf: () => undefined, pairRuleOf: () => undefined });
  markCall(inner, "", m);
  const paths = [...m.marked, ...m.fixed.map((f) => f.name)];
  const valid = new Set([...Object.keys(inner.args), ...paths.flatMap((p) => p.split(".").map((_, i, parts) => parts.slice(0, i + 1).join(".")))]);
  for (const { name, span } of names) {
    if (valid.has(name)) continue;
    const listed = paths.length > 0 ? `${inner.name}()'s hyperparameters: ${paths.join(", ")}` : `${inner.name}() has no numeric hyperparameters`;
    context.report(error("E304", `static_args: '${shown(name)}' is not a parameter of ${inner.name}() nor a hyperparameter's path`, span, didYouMean(name, [...valid]) ?? listed));
  }
}

function lowerInject(l: Lowering, inner: CallValue, staticArgs: Value, g: number): number {
  const m = marking(new Set(staticNames(staticArgs).map((s) => s.name)), {
    varargs: (name) => l.defs.varargs?.(name),
    boundsOf: (name, param) => l.defs.bounds?.(name, param),
    pairRuleOf: (name, param) => l.defs.pairRule?.(name, param),
  });
  const marked = markCall(inner, "", m);
  const u = l.child(marked, g);
  // setHyperparam holds a value to the range the checker held the compiled one to.
  for (const input of l.layout.inputs) {
    const bounds = m.bounds.get(input.name);
    if (bounds && input.bounds === undefined) input.bounds = bounds;
  }
  const runtime = new Set(l.layout.inputs.map((i) => i.name));
  // setHyperparam keeps the rules between two arguments the checker held the compiled pair to.
  for (const { rule, paths, values } of m.pairs) {
    if (!paths.some((p) => runtime.has(p))) continue;
    const operand = (i: 0 | 1): RelationOperand => (runtime.has(paths[i]) ? { name: paths[i], input: `${HYPER_PREFIX}${paths[i]}`, value: values[i] } : { name: paths[i], value: values[i] });
    l.layout.hyperparamRelations.push({ operands: [operand(0), operand(1)], relation: rule.relation, message: rule.message });
  }
  const known = new Set(l.layout.fixedHyperparams.map((f) => f.name));
  for (const f of m.fixed) if (!known.has(f.name)) l.layout.fixedHyperparams.push(f);
  for (const path of m.marked) if (!runtime.has(path) && !known.has(path)) l.layout.fixedHyperparams.push({ name: path, why: "compiled" });
  return u;
}

export const def: TransformDef = {
  name: "inject_hyperparams",
  category: "combinator",
  module: "optax",
  doc: 'Makes inner\'s numeric hyperparameters runtime values: run.hyperparams lists them by path ("learning_rate", "1.b1"), run.setHyperparam(path, value) changes them from the next step, snapshots carry them; schedules stay schedules. static_args names those that stay compiled in (static_args=("b1",)); hyperparam_dtype takes None or "float32" (the values are float64 host scalars either way).',
  passesUpdates: true,
  params: [param.transform("inner"), param.names("static_args"), param.dtype("hyperparam_dtype")],
  validate: validateStaticArgs,
  lower: (l, a, g) => lowerInject(l, a.call("inner"), a.value("static_args"), g),
};
