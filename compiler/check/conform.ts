/**
 * Kind conformance and range checks: does a value the checker has evaluated fit the kind its
 * parameter declares (E301, E303, E304, E307), and do the explicitly written arguments pass their
 * parameter's range check (E302)? Pure functions over values; problems go to the `report` callback,
 * so this file needs nothing from the checker itself.
 */
import { error, type Diagnostic, type Span } from "../../dsl/diagnostic.js";
import type { Def } from "../registry/define.js";
import { didYouMean } from "./suggest.js";
import { kindSummary, valueSummary, type Args, type Kind, type Value } from "./types.js";

export type Report = (diagnostic: Diagnostic) => void;

/** `v` if it fits `kind`; otherwise reports why at `span` and returns undefined. */
export function conform(v: Value, kind: Kind, span: Span, report: Report): Value | undefined {
  const fail = (code = "E301", extra?: string): undefined => {
    report(error(code, `expected ${kindSummary(kind)}, found ${valueSummary(v)}`, span, extra ?? hintFor(kind)));
    return undefined;
  };
  switch (kind.t) {
    case "number":
      return v.k === "number" ? v : fail();
    case "int":
      if (v.k !== "number") return fail();
      return Number.isInteger(v.v) ? v : fail("E303", "write a whole number, e.g. 1000");
    case "bool":
      return v.k === "bool" ? v : fail();
    case "string":
      return v.k === "string" ? v : fail();
    case "enum":
      if (v.k !== "string") return fail();
      if (kind.values.includes(v.v)) return v;
      report(error("E304", `"${v.v}" is not one of ${kind.values.map((x) => `"${x}"`).join(", ")}`, span, didYouMean(v.v, kind.values) ?? "pick one of the listed values"));
      return undefined;
    case "schedule":
      return v.k === "number" || (v.k === "call" && v.category === "schedule") ? v : fail();
    case "transform":
      return v.k === "call" && (v.category === "alias" || v.category === "transform" || v.category === "combinator") ? v : fail();
    case "predicate":
      return v.k === "call" && v.category === "predicate" ? v : fail();
    case "list":
      return v.k === "list" ? v : fail();
    case "map":
      return v.k === "map" ? v : fail();
    case "optional":
      return v.k === "none" ? v : conform(v, kind.of, span, report);
    case "mask": {
      const items = v.k === "string" ? [v] : v.k === "list" ? v.items : undefined;
      if (!items || items.length === 0 || items.some((i) => i.k !== "string" || i.v.replace(/^!/, "") === "")) return fail("E301", 'write a glob such as "*.bias", or a list like ["*", "!*.bias"]');
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
