/** Lexer for the optimizer language (chevrotain). Newlines separate statements only outside brackets. */
import { createToken, Lexer, type IToken, type TokenType } from "chevrotain";

export const Identifier = createToken({ name: "Identifier", label: "a name", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(name: string, pattern: RegExp): TokenType {
  return createToken({ name, pattern, longer_alt: Identifier });
}
export const TrueKw = keyword("True", /true|True/);
export const FalseKw = keyword("False", /false|False/);
export const NoneKw = keyword("None", /None|null/);

export const NumberTok = createToken({
  label: "a number",
  name: "Number",
  pattern: /(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?/,
});
export const StringTok = createToken({ name: "String", label: "a string", pattern: /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/ });
export const Minus = createToken({ name: "Minus", label: "'-'", pattern: /-/ });
export const Plus = createToken({ name: "Plus", label: "'+'", pattern: /\+/ });
export const LParen = createToken({ name: "LParen", label: "'('", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", label: "')'", pattern: /\)/ });
export const LBracket = createToken({ name: "LBracket", label: "'['", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", label: "']'", pattern: /]/ });
export const LBrace = createToken({ name: "LBrace", label: "'{'", pattern: /{/ });
export const RBrace = createToken({ name: "RBrace", label: "'}'", pattern: /}/ });
export const Comma = createToken({ name: "Comma", label: "','", pattern: /,/ });
export const Equals = createToken({ name: "Equals", label: "'='", pattern: /=/ });
export const Colon = createToken({ name: "Colon", label: "':'", pattern: /:/ });
export const Dot = createToken({ name: "Dot", label: "'.'", pattern: /\./ });
/** A statement separator: `;` or a newline (newlines inside brackets are dropped before parsing). */
export const Separator = createToken({ name: "Separator", label: "a newline or ';'", pattern: /;|\r?\n/ });
/**
 * `#` and `//` comments run to the end of the line. They are not given to the parser: they go to
 * the lexer's "comments" group (the result's `groups.comments`), where the formatter finds them.
 */
export const Comment = createToken({ name: "Comment", pattern: /(?:#|\/\/)[^\n]*/, group: "comments" });
export const Whitespace = createToken({ name: "Whitespace", pattern: /[ \t\r\f]+/, group: Lexer.SKIPPED });

export const allTokens: TokenType[] = [
  Whitespace,
  Comment,
  Separator,
  NumberTok,
  StringTok,
  TrueKw,
  FalseKw,
  NoneKw,
  Identifier,
  Minus,
  Plus,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Equals,
  Colon,
  Dot,
];

let instance: Lexer | undefined;

/** The lexer, built on first use (like the parser: nothing is analysed at import time). */
export function lexer(): Lexer {
  return (instance ??= new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false }));
}

const OPENERS = new Set([LParen, LBracket, LBrace]);
const CLOSERS = new Set([RParen, RBracket, RBrace]);

/**
 * Drops newline separators inside brackets (so calls may span lines, as in Python) and
 * collapses runs of separators; `;` is always kept as written.
 */
export function normalizeSeparators(tokens: IToken[]): IToken[] {
  const out: IToken[] = [];
  let depth = 0;
  for (const tok of tokens) {
    const type = tok.tokenType;
    if (OPENERS.has(type)) depth++;
    else if (CLOSERS.has(type)) depth = Math.max(0, depth - 1);
    if (type === Separator) {
      const isNewline = tok.image !== ";";
      if (isNewline && depth > 0) continue;
      const prev = out[out.length - 1];
      if (prev === undefined || prev.tokenType === Separator) continue;
    }
    out.push(tok);
  }
  while (out.length > 0 && out[out.length - 1].tokenType === Separator) out.pop();
  return out;
}

/** A comment in the source: its range [start, end) and its text (from `#` or `//` to the end of the line). */
export interface SourceComment {
  start: number;
  end: number;
  text: string;
}

/** The comments of a source, in order (lexing again is cheap; the parser never sees them). */
export function lexComments(source: string): SourceComment[] {
  const groups = lexer().tokenize(source).groups as Record<string, IToken[] | undefined>;
  return (groups.comments ?? []).map((t) => ({ start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1, text: t.image }));
}
