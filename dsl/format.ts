/**
 * The canonical printer: fmt(parse(x)) is stable and re-parses to the same AST.
 *
 * Comments. Given the source (`formatProgram(program, source)`), every `#` and `//` comment is
 * printed, text unchanged, by one rule:
 * - a comment on a line of its own goes above the statement, argument, list item or map entry
 *   that follows it (inside the innermost brackets that hold it), at that element's indent; one
 *   with nothing after it before the closing bracket stays there, above the bracket (at the end
 *   of the file, it stays at the end);
 * - a comment after code on the same line stays after the element that ends on that line, after
 *   its comma, two spaces away;
 * - a comment in the middle of an element (between `name=` and the value, a sign and its number,
 *   a callee and its `(`) moves above that element, as if it had been on a line of its own.
 * Brackets that hold a comment are always broken one element per line. Blank lines are not kept.
 */
import type { Expr, Program } from "./ast.js";
import type { Span } from "./diagnostic.js";
import { lexComments, type SourceComment } from "./tokens.js";

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

/**
 * Characters never written raw where a person reads them (a terminal, a diagnostic, a generated
 * comment): C0 controls but tab and newline, DEL, C1 controls, the bidirectional marks,
 * embeddings, overrides and isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069),
 * zero-width and invisible characters, line and paragraph separators, the BOM and lone surrogates.
 */
const UNSAFE = /[\0-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "gu");

/** A code point as the language (and JavaScript) escapes it: `\u{1b}`. */
export function codePointEscape(ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`;
}

/** True for a character that escapeUnsafe replaces. */
export function isUnsafeChar(ch: string): boolean {
  return UNSAFE.test(ch);
}

/** The text with every unsafe character (see above) written as `\u{..}`; tabs and newlines stay. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE_ALL, codePointEscape);
}

const STRING_ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0" };
const STRING_SPECIAL = new RegExp(`[\\\\"\\n\\t]|${UNSAFE.source}`, "gu");

/** A string literal; control and invisible characters are written as `\u{..}`, never raw. */
export function formatString(value: string): string {
  return `"${value.replace(STRING_SPECIAL, (ch) => STRING_ESCAPES[ch] ?? codePointEscape(ch))}"`;
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
      if (e.tuple) return `(${e.items.map(flat).join(", ")}${e.items.length === 1 ? "," : ""})`;
      return `[${e.items.map(flat).join(", ")}]`;
    case "map":
      return `{${e.entries.map((en) => `${flat(en.key)}: ${flat(en.value)}`).join(", ")}}`;
    case "call":
      return `${e.callee.path.join(".")}(${e.args.map((a) => (a.name ? `${a.name}=${flat(a.value)}` : flat(a.value))).join(", ")})`;
  }
}

/** Where the comments go: above an element, after it, or before a closing bracket (or the end). */
interface Placement {
  leading: Map<object, string[]>;
  trailing: Map<object, string[]>;
  dangling: Map<object, string[]>;
  /** Calls, lists and maps that hold a comment, or hold one that does: printed one element per line. */
  broken: Set<Expr>;
}

const noComments = (): Placement => ({ leading: new Map(), trailing: new Map(), dangling: new Map(), broken: new Set() });

/** An element of a bracketed list (or a statement of the program): what a comment attaches to. */
interface Element {
  key: object;
  span: Span;
  /** The expressions inside it, whose brackets may hold the comment. */
  subs: Expr[];
}

function elementsOf(e: Expr): Element[] | undefined {
  switch (e.kind) {
    case "call":
      return e.args.map((a) => ({ key: a, span: a.span, subs: [a.value] }));
    case "list":
      return e.items.map((it) => ({ key: it, span: it.span, subs: [it] }));
    case "map":
      return e.entries.map((en) => ({ key: en, span: { start: en.key.span.start, end: en.value.span.end }, subs: [en.key, en.value] }));
    default:
      return undefined;
  }
}

/** The source range inside a call's parentheses (from the callee on) or a list's or map's brackets. */
function innerRange(e: Expr): Span {
  return e.kind === "call" ? { start: e.callee.span.end, end: e.span.end - 1 } : { start: e.span.start + 1, end: e.span.end - 1 };
}

function push(map: Map<object, string[]>, key: object, text: string): void {
  const list = map.get(key);
  if (list) list.push(text);
  else map.set(key, [text]);
}

function place(program: Program, source: string, comments: readonly SourceComment[]): Placement {
  const out = noComments();
  const statements: Element[] = [...program.bindings.map((b) => ({ key: b as object, span: b.span, subs: [b.value] })), ...(program.body ? [{ key: program.body as object, span: program.body.span, subs: [program.body] }] : [])];
  for (const c of comments) {
    const lineStart = source.lastIndexOf("\n", c.start - 1) + 1;
    const afterCode = source.slice(lineStart, c.start).trim() !== "";
    const text = c.text.trimEnd();
    const inElement = (el: Element, containers: Expr[]): void => {
      for (const x of el.subs) {
        const els = elementsOf(x);
        const r = innerRange(x);
        if (els && r.start <= c.start && c.start < r.end) return inContainer(x, els, [...containers, x]);
      }
      push(out.leading, el.key, text);
    };
    const inContainer = (container: object, els: Element[], containers: Expr[]): void => {
      for (const c2 of containers) out.broken.add(c2);
      const inside = els.find((el) => el.span.start <= c.start && c.start < el.span.end);
      if (inside) return inElement(inside, containers);
      if (afterCode) {
        const prev = els.filter((el) => el.span.end <= c.start).at(-1);
        if (prev && !source.slice(prev.span.end, c.start).includes("\n")) return push(out.trailing, prev.key, text);
      }
      const next = els.find((el) => el.span.start >= c.end);
      if (next) push(out.leading, next.key, text);
      else push(out.dangling, container, text);
    };
    inContainer(program, statements, []);
  }
  return out;
}

function isBracketed(e: Expr): boolean {
  return e.kind === "call" || e.kind === "list" || e.kind === "map";
}

/** Width-aware rendering: flat when it fits (and holds no comment), otherwise one element per line. */
function pretty(e: Expr, indent: string, used: number, cm: Placement): string {
  if (!cm.broken.has(e)) {
    const one = flat(e);
    if (used + one.length <= WIDTH || !isBracketed(e)) return one;
  }
  const inner = indent + INDENT;
  const parts: { key: object; text: string }[] = [];
  let open: string;
  let close: string;
  if (e.kind === "call") {
    open = `${e.callee.path.join(".")}(`;
    close = ")";
    for (const a of e.args) {
      const prefix = a.name ? `${a.name}=` : "";
      parts.push({ key: a, text: prefix + pretty(a.value, inner, inner.length + prefix.length, cm) });
    }
  } else if (e.kind === "list") {
    open = e.tuple ? "(" : "[";
    close = e.tuple ? ")" : "]";
    for (const it of e.items) parts.push({ key: it, text: pretty(it, inner, inner.length, cm) });
  } else if (e.kind === "map") {
    open = "{";
    close = "}";
    for (const en of e.entries) {
      const key = `${cm.broken.has(en.key) ? pretty(en.key, inner, inner.length, cm) : flat(en.key)}: `;
      parts.push({ key: en, text: key + pretty(en.value, inner, inner.length + key.length, cm) });
    }
  } else return flat(e);
  const dangling = cm.dangling.get(e) ?? [];
  if (parts.length === 0 && dangling.length === 0) return flat(e);
  const lines: string[] = [];
  for (const p of parts) {
    for (const c of cm.leading.get(p.key) ?? []) lines.push(inner + c);
    lines.push(`${inner}${p.text},${trailing(cm, p.key)}`);
  }
  for (const c of dangling) lines.push(inner + c);
  return `${open}\n${lines.join("\n")}\n${indent}${close}`;
}

function trailing(cm: Placement, key: object): string {
  const t = cm.trailing.get(key);
  return t ? `  ${t.join(" ")}` : "";
}

export function formatExpr(e: Expr): string {
  return pretty(e, "", 0, noComments());
}

/** The one-line form (used for canonical config identities). */
export function formatExprFlat(e: Expr): string {
  return flat(e);
}

/**
 * The program in canonical layout. With the source it was parsed from, its comments are kept
 * (see the rule at the top of this file); without it, they are dropped.
 */
export function formatProgram(p: Program, source?: string): string {
  const cm = source === undefined ? noComments() : place(p, source, lexComments(source));
  const lines: string[] = [];
  const statement = (key: object, text: string) => {
    for (const c of cm.leading.get(key) ?? []) lines.push(c);
    lines.push(text + trailing(cm, key));
  };
  for (const b of p.bindings) statement(b, `${b.name} = ${pretty(b.value, "", b.name.length + 3, cm)}`);
  if (p.body) statement(p.body, pretty(p.body, "", 0, cm));
  lines.push(...(cm.dangling.get(p) ?? []));
  return lines.join("\n") + "\n";
}
