/**
 * Python-style signatures of registry definitions, e.g. `adam(learning_rate, b1=0.9, ..., *, nesterov=False)`.
 * Shared by the checker's hints (E203, E206), the README reference (compiler/docs.ts) and the
 * registry test, so all three print a definition the same way.
 */
import type { Def } from "../registry/define.js";
import type { DefaultValue, Kind } from "./types.js";

/** The hint that ends an arity diagnostic: `signature: name(...)`. */
export function signatureHint(def: Def): string {
  return `signature: ${signature(def)}`;
}

export function signature(def: Def): string {
  const parts: string[] = [];
  let starred = false;
  for (const p of def.params) {
    if (p.varargs) {
      parts.push(`*${p.name}`);
      starred = true;
      continue;
    }
    if (p.kwOnly && !starred) {
      parts.push("*");
      starred = true;
    }
    parts.push(p.default === undefined ? p.name : `${p.name}=${formatDefault(p.default, p.kind)}`);
  }
  return `${def.name}(${parts.join(", ")})`;
}

/** Python-style default: ints as `0`, floats as `0.0` / `1e-08`-free `1e-8`. */
export function formatDefault(d: DefaultValue, kind?: Kind): string {
  if (d === null) return "None";
  if (typeof d === "boolean") return d ? "True" : "False";
  if (typeof d === "string") return JSON.stringify(d);
  if (Array.isArray(d) && d.length === 0 && kind?.t === "names") return "()";
  if (Array.isArray(d)) return kind?.t === "tuple" ? `(${d.map((x, i) => formatDefault(x, kind.items[i])).join(", ")})` : `[${d.map((x) => formatDefault(x)).join(", ")}]`;
  const isInt = kind?.t === "int" || (kind?.t === "optional" && kind.of.t === "int");
  const s = String(d);
  return !isInt && /^-?\d+$/.test(s) ? `${s}.0` : s;
}
