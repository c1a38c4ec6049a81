/**
 * parse(source) → Program + diagnostics. Never throws on user input, and its work is bounded:
 * at most MAX_SOURCE_LENGTH characters (E105) and MAX_NESTING levels of brackets (E108) are
 * accepted, checked before the grammar runs (chevrotain recurses once per level, and overflows
 * the stack at about 300), and at most MAX_DIAGNOSTICS diagnostics are returned, then one that
 * counts the rest (E110, or W404 when the rest are all warnings) — the checker caps its own the
 * same way. Measured: the largest source accepted (a flat chain of 8,190 sgd(1), 64 KiB) parses in
 * 0.15-0.3 s; 200 levels of nesting parsed, 400 overflowed the stack.
 */
import type { IRecognitionException, IToken } from "chevrotain";
import type { Program } from "./ast.js";
import { error, type Diagnostic } from "./diagnostic.js";
import { parser } from "./parser.js";
import { LBrace, LBracket, LParen, lexer, normalizeSeparators, NumberTok, RBrace, RBracket, RParen } from "./tokens.js";
import { AstBuilder } from "./to_ast.js";

/** The longest config accepted, in characters (a real one is under 1,000). */
export const MAX_SOURCE_LENGTH = 65536;
/** The deepest nesting of (), [] and {} accepted (a real config nests under 10). */
export const MAX_NESTING = 64;
/** The most diagnostics returned at once; one more counts the rest. */
export const MAX_DIAGNOSTICS = 50;

/** A list of diagnostics that keeps the first MAX_DIAGNOSTICS and counts the rest. */
export class DiagnosticList {
  private readonly kept: Diagnostic[] = [];
  private moreErrors = 0;
  private moreWarnings = 0;

  push(...ds: Diagnostic[]): void {
    for (const d of ds) {
      if (this.kept.length < MAX_DIAGNOSTICS) this.kept.push(d);
      else if (d.severity === "error") this.moreErrors++;
      else this.moreWarnings++;
    }
  }

  get size(): number {
    return this.kept.length + this.moreErrors + this.moreWarnings;
  }

  /** The kept diagnostics, and the note that counts the rest when there were more. */
  done(): Diagnostic[] {
    const out = [...this.kept];
    const e = this.moreErrors;
    const w = this.moreWarnings;
    const n = (x: number, what: string) => `${x.toLocaleString("en-US")} ${what}${x === 1 ? "" : "s"}`;
    const hint = `at most ${MAX_DIAGNOSTICS} diagnostics are shown; fix these and check again`;
    if (e > 0) out.push(error("E110", `${n(e, "more error")}${w > 0 ? ` and ${n(w, "warning")}` : ""} not shown`, undefined, hint));
    else if (w > 0) out.push({ code: "W404", severity: "warning", message: `${n(w, "more warning")} not shown`, hint });
    return out;
  }
}

export interface ParseResult {
  program: Program | undefined;
  diagnostics: Diagnostic[];
}

function lexMessage(source: string, offset: number): { message: string; hint: string } {
  // The whole character (an emoji is two UTF-16 code units), never a lone surrogate.
  const ch = String.fromCodePoint(source.codePointAt(offset) ?? 0xfffd);
  if (ch === '"' || ch === "'") return { message: "this string is never closed", hint: `add the closing ${ch} on the same line` };
  if (ch === "*" || ch === "/" || ch === "%") return { message: `the language has no operator '${ch}'`, hint: "write the value itself, e.g. 1e-3 instead of 1/1000" };
  return { message: `unexpected character '${ch}'`, hint: "the language has calls, names, numbers, strings, lists [..] and maps {..}" };
}

export function parse(source: string): ParseResult {
  const diagnostics = new DiagnosticList();
  if (source.length > MAX_SOURCE_LENGTH) {
    // No span: the source line would be the whole oversized input.
    const n = (x: number) => x.toLocaleString("en-US");
    diagnostics.push(error("E105", `the config is too large: ${n(source.length)} characters (at most ${n(MAX_SOURCE_LENGTH)})`, undefined, "an optimizer config is a few lines; is this the right file?"));
    return { program: undefined, diagnostics: diagnostics.done() };
  }
  const lexed = lexer().tokenize(source);
  for (const e of lexed.errors) {
    const { message, hint } = lexMessage(source, e.offset);
    diagnostics.push(error("E101", message, { start: e.offset, end: e.offset + String.fromCodePoint(source.codePointAt(e.offset) ?? 0xfffd).length }, hint));
  }
  if (diagnostics.size > 0) return { program: undefined, diagnostics: diagnostics.done() };
  const tooDeep = nestingProblem(lexed.tokens);
  if (tooDeep) {
    diagnostics.push(tooDeep);
    return { program: undefined, diagnostics: diagnostics.done() };
  }
  diagnostics.push(...underflows(lexed.tokens));

  const p = parser();
  p.input = normalizeSeparators(lexed.tokens);
  const cst = p.program();
  const parseErrors: IRecognitionException[] = p.errors;
  if (parseErrors.length > 0) {
    for (const e of parseErrors) {
      const tok = e.token;
      const eof = tok.tokenType.name === "EOF" || Number.isNaN(tok.startOffset);
      const start = eof ? source.length : tok.startOffset;
      const end = eof ? source.length + 1 : (tok.endOffset ?? tok.startOffset) + 1;
      diagnostics.push(error("E102", e.message, { start, end }, syntaxHint(e)));
    }
    return { program: undefined, diagnostics: diagnostics.done() };
  }
  const builder = new AstBuilder();
  const program = builder.program(cst);
  diagnostics.push(...builder.diagnostics);
  if (program.body === undefined && diagnostics.size === 0) {
    diagnostics.push(error("E103", "the config is empty", { start: 0, end: Math.max(1, source.length) }, "write an optimizer, e.g. adam(1e-3)"));
  }
  return { program, diagnostics: diagnostics.done() };
}

const OPENERS = new Set([LParen, LBracket, LBrace]);
const CLOSERS = new Set([RParen, RBracket, RBrace]);

/** E108 at the first bracket that opens level MAX_NESTING + 1 (unbalanced brackets are the grammar's to report). */
function nestingProblem(tokens: readonly IToken[]): Diagnostic | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (OPENERS.has(t.tokenType)) {
      if (++depth > MAX_NESTING) {
        return error("E108", `the config is nested too deeply: more than ${MAX_NESTING} levels of brackets`, { start: t.startOffset, end: t.startOffset + 1 }, `no optimizer needs more than a few levels; at most ${MAX_NESTING} of (), [] and {} are allowed`);
      }
    } else if (CLOSERS.has(t.tokenType)) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** E109 for each number written non-zero that float64 reads as 0 (1e-400); too large ones (1e999) are E106. */
function underflows(tokens: readonly IToken[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const t of tokens) {
    if (t.tokenType !== NumberTok) continue;
    const text = t.image.replace(/_/g, "");
    if (Number(text) !== 0 || !/[1-9]/.test(text.split(/[eE]/)[0])) continue;
    out.push(error("E109", `the number ${t.image} is too small to represent: it would be read as 0`, { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 }, "write 0, or a number of at least about 4.9e-324 in magnitude (float64's smallest)"));
  }
  return out;
}

function syntaxHint(e: IRecognitionException): string {
  const m = e.message;
  if (m.includes("expected ')'")) return "check for a missing ')' or ','";
  if (m.includes("expected ']'")) return "check for a missing ']' or ','";
  if (m.includes("expected '}'")) return "check for a missing '}' or ','";
  if (m.includes("after the end")) return "statements are separated by newlines or ';'";
  return "calls look like name(arg, key=value); lists [a, b]; maps {1000: 0.1}";
}
