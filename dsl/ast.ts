/** The typed AST of the optimizer language. It knows no optimizer names. */
import type { Span } from "./diagnostic.js";

export type Expr =
  | NumberLit
  | BoolLit
  | NoneLit
  | StringLit
  | ListLit
  | MapLit
  | NameRef
  | Call;

export interface NumberLit {
  kind: "number";
  value: number;
  /** True when written without a fraction or exponent (`3`, not `3.0` or `3e0`). */
  isInt: boolean;
  span: Span;
}
export interface BoolLit {
  kind: "bool";
  value: boolean;
  span: Span;
}
export interface NoneLit {
  kind: "none";
  span: Span;
}
export interface StringLit {
  kind: "string";
  value: string;
  span: Span;
}
export interface ListLit {
  kind: "list";
  items: Expr[];
  /** Written `(a, b)` (Python's tuple): the same value as `[a, b]`, printed back with parentheses. */
  tuple?: boolean;
  span: Span;
}
export interface MapEntry {
  key: Expr;
  value: Expr;
}
export interface MapLit {
  kind: "map";
  entries: MapEntry[];
  span: Span;
}
/** A dotted name, e.g. `lr` or `optax.contrib.sam`; `path` holds the parts. */
export interface NameRef {
  kind: "name";
  path: string[];
  span: Span;
  /** Span of the last part alone (where "did you mean" carets go). */
  nameSpan: Span;
}
export interface Arg {
  /** Keyword name, or undefined for a positional argument. */
  name?: string;
  nameSpan?: Span;
  value: Expr;
  span: Span;
}
export interface Call {
  kind: "call";
  callee: NameRef;
  args: Arg[];
  span: Span;
}

export interface Binding {
  name: string;
  nameSpan: Span;
  value: Expr;
  span: Span;
}

/** A program: bindings, then one final expression (the optimizer). */
export interface Program {
  bindings: Binding[];
  body: Expr | undefined;
  span: Span;
}
