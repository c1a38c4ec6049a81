/** Prints plain data (the artifact) as a JS expression: numbers by the canonical printer, strings escaped. */
import { jsNumber } from "../../targets/print_number.js";

export function jsString(s: string): string {
  // JSON escaping, plus the two line terminators JSON leaves alone.
  return JSON.stringify(s).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
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
