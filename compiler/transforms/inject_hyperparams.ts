/**
 * inject_hyperparams(inner): inner's numeric arguments become runtime hyperparameters, host
 * inputs the runtime supplies each step (run.hyperparams, run.setHyperparam, snapshots), so a
 * learning rate or a beta changes at the next step without recompiling. The lowering marks every
 * number in inner's call tree with its path and lowers inner as usual: the numbers a lowering
 * reads as host values (Lowering.num: learning rates, weight decays, Adam's and AdaBelief's b1,
 * b2, eps, eps_root, momentum and trace decays) become inputs; the rest, which shape the compiled
 * step (counts, integer periods), stay compiled in and are listed as fixed.
 *
 * Paths: inner's own arguments by name ("learning_rate"); a nested transform's by the argument
 * that holds it ("opt.learning_rate"), or by position in a `*args` list ("1.learning_rate" for
 * chain's second transform). Schedules stay schedules: a schedule-valued argument is listed as
 * fixed ("schedule") and its numbers are not injected, as optax injects only numeric values.
 */
import type { FixedHyperparam, InputBounds } from "../../format/artifact.js";
import type { CallValue, Value } from "../check/types.js";
import type { Lowering } from "../lower/context.js";
import { param, type TransformDef } from "../registry/define.js";

interface Marking {
  marked: string[];
  bounds: Map<string, InputBounds>;
  fixed: FixedHyperparam[];
  varargs(name: string): string | undefined;
  boundsOf(name: string, param: string): InputBounds | undefined;
}

function markValue(v: Value, path: string, m: Marking): Value {
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
    if (name === star && v.k === "list") args[name] = { ...v, items: v.items.map((item, i) => markValue(item, `${prefix}${i}`, m)) };
    else args[name] = markValue(v, `${prefix}${name}`, m);
  }
  return { ...call, args };
}

function lowerInject(l: Lowering, inner: CallValue, g: number): number {
  const m: Marking = { marked: [], bounds: new Map(), fixed: [], varargs: (name) => l.defs.varargs?.(name), boundsOf: (name, param) => l.defs.bounds?.(name, param) };
  const marked = markCall(inner, "", m);
  const u = l.child(marked, g);
  // setHyperparam holds a value to the range the checker held the compiled one to.
  for (const input of l.layout.inputs) {
    const bounds = m.bounds.get(input.name);
    if (bounds && input.bounds === undefined) input.bounds = bounds;
  }
  const runtime = new Set(l.layout.inputs.map((i) => i.name));
  const known = new Set(l.layout.fixedHyperparams.map((f) => f.name));
  for (const f of m.fixed) if (!known.has(f.name)) l.layout.fixedHyperparams.push(f);
  for (const path of m.marked) if (!runtime.has(path) && !known.has(path)) l.layout.fixedHyperparams.push({ name: path, why: "compiled" });
  return u;
}

export const def: TransformDef = {
  name: "inject_hyperparams",
  category: "combinator",
  module: "optax",
  doc: 'Makes inner\'s numeric hyperparameters runtime values: run.hyperparams lists them by path ("learning_rate", "1.b1"), run.setHyperparam(path, value) changes them from the next step, snapshots carry them; schedules stay schedules.',
  passesUpdates: true,
  params: [param.transform("inner"), param.dtype("hyperparam_dtype")],
  lower: (l, a, g) => lowerInject(l, a.call("inner"), g),
};
