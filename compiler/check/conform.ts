/**
 * Kind conformance and range checks: does a value the checker has evaluated fit the kind its
 * parameter declares (E301, E303, E304, E307), is every number representable where it lives
 * (E308: float32 hyperparameters, int32 counts; numerics.ts), and do the explicitly written
 * arguments pass their parameter's range check (E302)? Pure functions over values; problems go
 * to the `report` callback, so this file needs nothing from the checker itself.
 */
import { error, type Diagnostic, type Span } from "../../dsl/diagnostic.js";
import type { Def } from "../registry/define.js";
import { float32Problem, integerProblem } from "./numerics.js";
import { didYouMean, shown } from "./suggest.js";
import { kindSummary, valueSummary, type Args, type Kind, type Value } from "./types.js";

export type Report = (diagnostic: Diagnostic) => void;

/** `v` if it fits `kind`; otherwise reports why at `span` and returns undefined. */
export function conform(v: Value, kind: Kind, span: Span, report: Report): Value | undefined {
  const fail = (code = "E301", extra?: string): undefined => {
    report(error(code, `expected ${kindSummary(kind)}, found ${valueSummary(v)}`, span, extra ?? hintFor(kind)));
    return undefined;
  };
  const unrepresentable = (problem: string | undefined, hint: string): Value | undefined => {
    if (problem === undefined) return v;
    report(error("E308", `this number is not representable: ${problem}`, span, hint));
    return undefined;
  };
  const asFloat32 = "optax keeps hyperparameters in float32";
  const asCount = "a step count or boundary must be a whole number float64 holds exactly; optax's counters stop at 2147483647";
  switch (kind.t) {
    case "number":
      return v.k === "number" ? unrepresentable(float32Problem(v.v), asFloat32) : fail();
    case "int":
      if (v.k !== "number") return fail();
      return Number.isInteger(v.v) ? unrepresentable(integerProblem(v.v), asCount) : fail("E303", "write a whole number, e.g. 1000");
    case "bool":
      return v.k === "bool" ? v : fail();
    case "string":
      return v.k === "string" ? v : fail();
    case "enum":
      if (v.k !== "string") return fail();
      if (kind.values.includes(v.v)) return v;
      report(error("E304", `"${shown(v.v)}" is not one of ${kind.values.map((x) => `"${x}"`).join(", ")}`, span, didYouMean(v.v, kind.values) ?? "pick one of the listed values"));
      return undefined;
    case "schedule":
      if (v.k === "number") return unrepresentable(float32Problem(v.v), asFloat32);
      return v.k === "call" && v.category === "schedule" ? v : fail();
    case "transform":
      return v.k === "call" && (v.category === "alias" || v.category === "transform" || v.category === "combinator") ? v : fail();
    case "predicate":
      return v.k === "call" && v.category === "predicate" ? v : fail();
    case "list":
      return v.k === "list" ? v : fail();
    case "tuple":
      if (v.k !== "list") return fail();
      if (v.items.length === kind.items.length) return v;
      report(error("E301", `expected ${kindSummary(kind)}, found ${v.items.length} item${v.items.length === 1 ? "" : "s"}`, span, `write exactly ${kind.items.length} items, in that order`));
      return undefined;
    case "map":
      return v.k === "map" ? v : fail();
    case "optional":
      return v.k === "none" ? v : conform(v, kind.of, span, report);
    case "mask": {
      const items = v.k === "string" ? [v] : v.k === "list" ? v.items : undefined;
      if (!items || items.length === 0 || items.some((i) => i.k !== "string" || i.v.replace(/^!/, "") === "")) return fail("E301", 'write a glob such as "*.bias", or a list like ["*", "!*.bias"]');
      return v;
    }
    case "names": {
      const items = v.k === "string" ? [v] : v.k === "list" ? v.items : undefined;
      if (!items || items.some((i) => i.k !== "string")) return fail("E301", 'write a name or a tuple of names, e.g. static_args=("b1",)');
      return v;
    }
    case "dtype":
      if (v.k === "none") return v;
      if (v.k === "string" && (v.v === "float32" || v.v === "f32")) return v;
      report(error("E307", `unsupported dtype ${v.k === "string" ? `"${v.v}"` : valueSummary(v)}`, span, 'optc keeps all state in float32: use None or "float32"'));
      return undefined;
  }
}

/**
 * A value bound to a name, conformed at a use: `conform` checks the value itself; this checks what
 * lies inside it (list items, map keys and values) against the kind's element kinds, as a value
 * written in place is checked item by item while it is evaluated. Reports at each item's own span.
 * Memoised per (value, kind), so a binding used many times is walked once per kind.
 */
export class NestedConform {
  private readonly memo = new WeakMap<Value, Map<string, boolean>>();

  constructor(private readonly report: Report) {}

  /** True when everything inside `v` fits `kind`'s element kinds (`v` itself is conform()'s). */
  check(v: Value, kind: Kind): boolean {
    if (kind.t === "optional") return v.k === "none" || this.check(v, kind.of);
    if (!((kind.t === "list" && v.k === "list") || (kind.t === "tuple" && v.k === "list") || (kind.t === "map" && v.k === "map"))) return true;
    const key = JSON.stringify(kind);
    let byKind = this.memo.get(v);
    const known = byKind?.get(key);
    if (known !== undefined) return known;
    let ok = true;
    const one = (x: Value, k: Kind) => {
      if (conform(x, k, x.span, this.report) === undefined || !this.check(x, k)) ok = false;
    };
    if (kind.t === "list" && v.k === "list") v.items.forEach((x) => one(x, kind.of));
    if (kind.t === "tuple" && v.k === "list") v.items.forEach((x, i) => kind.items[i] && one(x, kind.items[i]));
    if (kind.t === "map" && v.k === "map") {
      for (const [k, x] of v.entries) {
        one(k, kind.key);
        one(x, kind.value);
      }
    }
    if (!byKind) this.memo.set(v, (byKind = new Map()));
    byKind.set(key, ok);
    return ok;
  }
}

/**
 * Runs each parameter's range check on the arguments the user wrote (defaults are trusted), in
 * parameter order, reporting every failure. True when all pass.
 */
export function checkRanges(def: Def, args: Args, explicit: readonly string[], report: Report): boolean {
  let ok = true;
  for (const p of def.params) {
    if (!p.check || !explicit.includes(p.name)) continue;
    const problem = p.check(args[p.name], args);
    if (problem) {
      report(error("E302", `${def.name}(): ${problem}`, args[p.name].span, `got ${describeValue(args[p.name])}`));
      ok = false;
    }
  }
  return ok;
}

function describeValue(v: Value): string {
  return v.k === "number" ? String(v.v) : valueSummary(v);
}

function hintFor(kind: Kind): string {
  switch (kind.t) {
    case "transform":
      return "pass an optimizer such as sgd(0.1) or a transform such as normalize()";
    case "schedule":
      return "pass a number such as 1e-3 or a schedule such as cosine_decay_schedule(1e-3, 10000)";
    case "bool":
      return "write true or false";
    default:
      return `pass ${kindSummary(kind)}`;
  }
}
