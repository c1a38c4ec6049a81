/** CST → AST. Builds typed nodes with source spans; reports what the grammar cannot. */
import type { CstNode, IToken } from "chevrotain";
import type { Arg, Binding, Call, Expr, MapEntry, NameRef, Program } from "./ast.js";
import { error, type Diagnostic, type Span } from "./diagnostic.js";

type Children = Record<string, (CstNode | IToken)[] | undefined>;

function kids(node: CstNode): Children {
  return node.children as Children;
}
function nodes(c: Children, key: string): CstNode[] {
  return (c[key] ?? []) as CstNode[];
}
function tokens(c: Children, key: string): IToken[] {
  return (c[key] ?? []) as IToken[];
}
function tokSpan(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}
function join(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
/**
 * Span of a bracketed node (a list or a map): from its opening bracket to its closing one. The
 * parser does not track node locations, so spans come from tokens.
 */
function bracketSpan(node: CstNode, open: string, close: string): Span {
  const c = kids(node);
  return join(tokSpan(tokens(c, open)[0]), tokSpan(tokens(c, close)[0]));
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0" };

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  program(cst: CstNode): Program {
    const stmts = nodes(kids(cst), "statement");
    const bindings: Binding[] = [];
    let body: Expr | undefined;
    stmts.forEach((stmt, i) => {
      const c = kids(stmt);
      const isLast = i === stmts.length - 1;
      const b = nodes(c, "binding")[0];
      if (b) {
        const binding = this.binding(b);
        if (isLast) {
          this.diagnostics.push(
            error("E104", `the program ends with the binding '${binding.name}' but needs an optimizer expression last`, binding.span, `add a final line that uses it, e.g. \`${binding.name}\` or \`adam(${binding.name})\``),
          );
        }
        bindings.push(binding);
      } else {
        const expr = this.expression(nodes(c, "expression")[0]);
        if (isLast) body = expr;
        else {
          this.diagnostics.push(
            error("E104", "only the last statement may be a bare expression; the ones before it must be bindings", expr.span, "give it a name (`lr = ...`) or delete it"),
          );
        }
      }
    });
    const spans = [...bindings.map((b) => b.span), ...(body ? [body.span] : [])];
    const span = spans.length === 0 ? { start: 0, end: 0 } : spans.reduce(join);
    return { bindings, body, span };
  }

  private binding(node: CstNode): Binding {
    const c = kids(node);
    const id = tokens(c, "Identifier")[0];
    const value = this.expression(nodes(c, "expression")[0]);
    return { name: id.image, nameSpan: tokSpan(id), value, span: join(tokSpan(id), value.span) };
  }

  expression(node: CstNode): Expr {
    const c = kids(node);
    const sub = nodes(c, "nameOrCall")[0];
    if (sub) return this.nameOrCall(sub);
    const num = nodes(c, "signedNumber")[0];
    if (num) return this.number(num);
    const str = tokens(c, "String")[0];
    if (str) return { kind: "string", value: this.stringValue(str), span: tokSpan(str) };
    const t = tokens(c, "True")[0];
    if (t) return { kind: "bool", value: true, span: tokSpan(t) };
    const f = tokens(c, "False")[0];
    if (f) return { kind: "bool", value: false, span: tokSpan(f) };
    const n = tokens(c, "None")[0];
    if (n) return { kind: "none", span: tokSpan(n) };
    const list = nodes(c, "list")[0];
    if (list) return { kind: "list", items: nodes(kids(list), "expression").map((e) => this.expression(e)), span: bracketSpan(list, "LBracket", "RBracket") };
    const tuple = nodes(c, "tuple")[0];
    if (tuple) {
      // A tuple is a list; parentheses around one value without a comma only group it, as in Python.
      const items = nodes(kids(tuple), "expression").map((e) => this.expression(e));
      if (items.length === 1 && tokens(kids(tuple), "Comma").length === 0) return items[0];
      return { kind: "list", items, span: bracketSpan(tuple, "LParen", "RParen") };
    }
    const map = nodes(c, "map")[0];
    if (map) {
      const entries: MapEntry[] = nodes(kids(map), "mapEntry").map((e) => {
        const [k, v] = nodes(kids(e), "expression");
        return { key: this.expression(k), value: this.expression(v) };
      });
      return { kind: "map", entries, span: bracketSpan(map, "LBrace", "RBrace") };
    }
    throw new Error("internal: unknown expression shape");
  }

  private number(node: CstNode): Expr {
    const c = kids(node);
    const tok = tokens(c, "Number")[0];
    const negative = tokens(c, "Minus").length > 0;
    const sign = tokens(c, "Minus")[0] ?? tokens(c, "Plus")[0];
    const span = sign ? join(tokSpan(sign), tokSpan(tok)) : tokSpan(tok);
    const text = tok.image.replace(/_/g, "");
    const magnitude = Number(text);
    if (!Number.isFinite(magnitude)) {
      this.diagnostics.push(error("E106", `the number ${tok.image} is too large to represent`, span, "numbers must fit in a 64-bit float (about 1.8e308)"));
    }
    const isInt = /^\d+$/.test(text);
    return { kind: "number", value: negative ? -magnitude : magnitude, isInt, span };
  }

  private stringValue(tok: IToken): string {
    const body = tok.image.slice(1, -1);
    let out = "";
    for (let i = 0; i < body.length; i++) {
      const ch = body[i];
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const next = body[++i];
      if (next === "u") {
        // \u{1F600}: a code point in hex (how the printer writes control characters).
        const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(body.slice(i + 1, i + 10));
        const cp = m ? parseInt(m[1], 16) : -1;
        if (m && cp <= 0x10ffff) {
          out += String.fromCodePoint(cp);
          i += m[0].length;
          continue;
        }
        const at = tok.startOffset + i;
        this.diagnostics.push(error("E107", "a \\u escape in a string needs a code point in braces", { start: at, end: at + 1 }, "write a character as \\u{1b} or \\u{1F600} (1 to 6 hex digits, at most 10FFFF)"));
        out += next;
        continue;
      }
      const mapped = ESCAPES[next];
      if (mapped === undefined) {
        const at = tok.startOffset + i;
        this.diagnostics.push(error("E107", `unknown escape sequence '\\${next}' in a string`, { start: at, end: at + 1 }, "use \\\\ for a backslash, or one of \\n \\t \\r \\\" \\'"));
        out += next;
      } else out += mapped;
    }
    return out;
  }

  private nameOrCall(node: CstNode): Expr {
    const c = kids(node);
    const ids = tokens(c, "Identifier");
    const first = tokSpan(ids[0]);
    const last = tokSpan(ids[ids.length - 1]);
    const name: NameRef = { kind: "name", path: ids.map((t) => t.image), span: join(first, last), nameSpan: last };
    const lparen = tokens(c, "LParen")[0];
    if (!lparen) return name;
    const rparen = tokens(c, "RParen")[0];
    const args: Arg[] = nodes(c, "argument").map((a) => this.argument(a));
    const call: Call = { kind: "call", callee: name, args, span: join(name.span, tokSpan(rparen)) };
    return call;
  }

  private argument(node: CstNode): Arg {
    const c = kids(node);
    const value = this.expression(nodes(c, "expression")[0]);
    const id = tokens(c, "Identifier")[0];
    if (!id) return { value, span: value.span };
    return { name: id.image, nameSpan: tokSpan(id), value, span: join(tokSpan(id), value.span) };
  }
}
