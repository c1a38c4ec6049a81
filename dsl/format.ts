/** The canonical printer: fmt(parse(x)) is stable and re-parses to the same AST. */
import type { Expr, Program } from "./ast.js";

const WIDTH = 88;
const INDENT = "    ";

export function formatNumberLiteral(value: number, isInt: boolean): string {
  if (Object.is(value, -0)) return isInt ? "-0" : "-0.0";
  if (isInt && Number.isInteger(value)) {
    return Math.abs(value) >= 1e21 ? BigInt(value).toString() : String(value);
  }
  const s = String(value);
  // "3" would re-parse as an int; keep a fraction so the literal stays a float.
  return /^-?\d+$/.test(s) ? `${s}.0` : s;
}

export function formatString(value: string): string {
  const escaped = value.replace(/[\\"\n\t\r\0]/g, (ch) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0" })[ch] ?? ch);
  return `"${escaped}"`;
}

/** One-line rendering of an expression. */
function flat(e: Expr): string {
  switch (e.kind) {
    case "number":
      return formatNumberLiteral(e.value, e.isInt);
    case "bool":
      return e.value ? "true" : "false";
    case "none":
      return "None";
    case "string":
      return formatString(e.value);
    case "name":
      return e.path.join(".");
    case "list":
      return `[${e.items.map(flat).join(", ")}]`;
    case "map":
      return `{${e.entries.map((en) => `${flat(en.key)}: ${flat(en.value)}`).join(", ")}}`;
    case "call":
      return `${e.callee.path.join(".")}(${e.args.map((a) => (a.name ? `${a.name}=${flat(a.value)}` : flat(a.value))).join(", ")})`;
  }
}

/** Width-aware rendering: flat when it fits, otherwise one argument per line. */
function pretty(e: Expr, indent: string, used: number): string {
  const one = flat(e);
  if (used + one.length <= WIDTH || (e.kind !== "call" && e.kind !== "list" && e.kind !== "map")) return one;
  const inner = indent + INDENT;
  const parts: string[] = [];
  let open: string;
  let close: string;
  if (e.kind === "call") {
    open = `${e.callee.path.join(".")}(`;
    close = ")";
    for (const a of e.args) {
      const prefix = a.name ? `${a.name}=` : "";
      parts.push(prefix + pretty(a.value, inner, inner.length + prefix.length));
    }
  } else if (e.kind === "list") {
    open = "[";
    close = "]";
    for (const it of e.items) parts.push(pretty(it, inner, inner.length));
  } else {
    open = "{";
    close = "}";
    for (const en of e.entries) {
      const key = `${flat(en.key)}: `;
      parts.push(key + pretty(en.value, inner, inner.length + key.length));
    }
  }
  if (parts.length === 0) return one;
  return `${open}\n${parts.map((p) => `${inner}${p},`).join("\n")}\n${indent}${close}`;
}

export function formatExpr(e: Expr): string {
  return pretty(e, "", 0);
}

/** The one-line form (used for canonical config identities). */
export function formatExprFlat(e: Expr): string {
  return flat(e);
}

export function formatProgram(p: Program): string {
  const lines = p.bindings.map((b) => `${b.name} = ${pretty(b.value, "", b.name.length + 3)}`);
  if (p.body) lines.push(formatExpr(p.body));
  return lines.join("\n") + "\n";
}
