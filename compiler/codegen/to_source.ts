/** Prints plain data (the artifact) as a JS expression: numbers by the canonical printer, strings escaped. */
import { jsNumber } from "../../targets/print_number.js";

/**
 * A JS string literal. JSON escaping (C0 controls, lone surrogates), plus what JSON leaves raw and
 * a reader of the generated module should never get raw: DEL and C1 controls, the line and
 * paragraph separators, bidirectional marks, overrides and isolates, zero-width characters, the BOM.
 */
export function jsString(s: string): string {
  return JSON.stringify(s).replace(/[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function toSource(v: unknown, indent = ""): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return jsNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return jsString(v);
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    if (v.every((x) => typeof x === "number")) return `[${v.map((x) => jsNumber(x as number)).join(", ")}]`;
    return `[\n${v.map((x) => inner + toSource(x, inner)).join(",\n")},\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return "{}";
  const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : jsString(k));
  // Small records of plain values stay on one line, so the module reads like code.
  if (entries.every(([, x]) => x === null || typeof x !== "object")) {
    const flat = `{ ${entries.map(([k, x]) => `${key(k)}: ${toSource(x)}`).join(", ")} }`;
    if (flat.length + indent.length <= 110) return flat;
  }
  return `{\n${entries.map(([k, x]) => `${inner}${key(k)}: ${toSource(x, inner)}`).join(",\n")},\n${indent}}`;
}
