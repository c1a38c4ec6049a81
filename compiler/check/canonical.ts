/** The canonical form of a checked config: resolved names, canonical keywords, bindings inlined. */
import { formatExprFlat } from "../../dsl/format.js";
import type { Arg, Expr } from "../../dsl/ast.js";
import { lookup } from "../registry/index.js";
import type { Kind, Value } from "./types.js";

const NO_SPAN = { start: 0, end: 0 };

function toExpr(v: Value, kind?: Kind): Expr {
  switch (v.k) {
    case "number":
      return { kind: "number", value: v.v, isInt: v.isInt, span: NO_SPAN };
    case "bool":
      return { kind: "bool", value: v.v, span: NO_SPAN };
    case "string":
      return { kind: "string", value: v.v, span: NO_SPAN };
    case "none":
      return { kind: "none", span: NO_SPAN };
    case "list":
      // A tuple parameter prints in optax's spelling, `("heuristic", 1e-6)`.
      return { kind: "list", items: v.items.map((x) => toExpr(x)), ...(kind?.t === "tuple" ? { tuple: true } : {}), span: NO_SPAN };
    case "map":
      return { kind: "map", entries: v.entries.map(([k, x]) => ({ key: toExpr(k), value: toExpr(x) })), span: NO_SPAN };
    case "call": {
      const name = { kind: "name" as const, path: [v.name], span: NO_SPAN, nameSpan: NO_SPAN };
      const def = lookup(v.name)!;
      if (v.category === "predicate" && def.params.length === 0) return name;
      const args: Arg[] = [];
      let positional = true;
      for (const p of def.params) {
        if (!v.explicit.includes(p.name)) {
          positional = false;
          continue;
        }
        const value = v.args[p.name];
        if (p.varargs && value.k === "list") {
          for (const item of value.items) args.push({ value: toExpr(item), span: NO_SPAN });
          continue;
        }
        // Leading required arguments stay positional, as people write them; the rest are keywords.
        if (positional && p.default === undefined && !p.kwOnly) args.push({ value: toExpr(value, p.kind), span: NO_SPAN });
        else {
          positional = false;
          args.push({ name: p.name, value: toExpr(value, p.kind), span: NO_SPAN });
        }
      }
      return { kind: "call", callee: name, args, span: NO_SPAN };
    }
  }
}

export function canonical(v: Value): string {
  return formatExprFlat(toExpr(v));
}
