/** parse(source) → Program + diagnostics. Never throws on user input. */
import type { IRecognitionException } from "chevrotain";
import type { Program } from "./ast.js";
import { error, type Diagnostic } from "./diagnostic.js";
import { parser } from "./parser.js";
import { lexer, normalizeSeparators } from "./tokens.js";
import { AstBuilder } from "./to_ast.js";

export interface ParseResult {
  program: Program | undefined;
  diagnostics: Diagnostic[];
}

function lexMessage(source: string, offset: number): { message: string; hint: string } {
  const ch = source[offset];
  if (ch === '"' || ch === "'") return { message: "this string is never closed", hint: `add the closing ${ch} on the same line` };
  if (ch === "*" || ch === "/" || ch === "%") return { message: `the language has no operator '${ch}'`, hint: "write the value itself, e.g. 1e-3 instead of 1/1000" };
  return { message: `unexpected character '${ch}'`, hint: "the language has calls, names, numbers, strings, lists [..] and maps {..}" };
}

export function parse(source: string): ParseResult {
  const lexed = lexer().tokenize(source);
  const diagnostics: Diagnostic[] = lexed.errors.map((e) => {
    const { message, hint } = lexMessage(source, e.offset);
    return error("E101", message, { start: e.offset, end: e.offset + Math.max(1, Math.min(e.length, 1)) }, hint);
  });
  if (diagnostics.length > 0) return { program: undefined, diagnostics };

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
    return { program: undefined, diagnostics };
  }
  const builder = new AstBuilder();
  const program = builder.program(cst);
  diagnostics.push(...builder.diagnostics);
  if (program.body === undefined && diagnostics.length === 0) {
    diagnostics.push(error("E103", "the config is empty", { start: 0, end: Math.max(1, source.length) }, "write an optimizer, e.g. adam(1e-3)"));
  }
  return { program, diagnostics };
}

function syntaxHint(e: IRecognitionException): string {
  const m = e.message;
  if (m.includes("expected ')'")) return "check for a missing ')' or ','";
  if (m.includes("expected ']'")) return "check for a missing ']' or ','";
  if (m.includes("expected '}'")) return "check for a missing '}' or ','";
  if (m.includes("after the end")) return "statements are separated by newlines or ';'";
  return "calls look like name(arg, key=value); lists [a, b]; maps {1000: 0.1}";
}
