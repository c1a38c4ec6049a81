/**
 * The op vocabulary, declared once, and the scalar meaning of every op in float64. The step IR
 * (compiler/ir/node.ts), the host program (format/artifact.ts) and kernels (format/kernel.ts)
 * all extend AluOp with their own leaves. The host program evaluator (runtime), the reference
 * interpreter and constant folding (compiler) share these functions, so all three agree bit for
 * bit; renderers must print each op as an expression with exactly this meaning.
 */

export const UNARY_OPS = ["neg", "abs", "sqrt", "cos", "floor", "sign", "tanh", "not", "isfinite", "f32", "exp", "log"] as const;
export const BINARY_OPS = ["add", "sub", "mul", "div", "pow", "min", "max", "lt", "le", "gt", "ge", "eq", "ne", "and", "or"] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];

/** The arithmetic every level shares; `R` names an operand (a node id, or a kernel value index). */
export type AluOp<R = number> = { op: UnaryOp; a: R } | { op: BinaryOp; a: R; b: R } | { op: "select"; c: R; a: R; b: R };

const unarySet = new Set<string>(UNARY_OPS);
const binarySet = new Set<string>(BINARY_OPS);
export function isUnaryOp(op: string): op is UnaryOp {
  return unarySet.has(op);
}
export function isBinaryOp(op: string): op is BinaryOp {
  return binarySet.has(op);
}

/** The same ALU op over other operand names (e.g. IR node ids → host or kernel indices). */
export function mapAlu<R, S>(n: AluOp<R>, f: (operand: R) => S): AluOp<S> {
  if (n.op === "select") return { op: "select", c: f(n.c), a: f(n.a), b: f(n.b) };
  if (isBinaryOp(n.op)) return { op: n.op, a: f(n.a), b: f((n as { b: R }).b) };
  return { op: n.op, a: f(n.a) };
}

/** An ALU op's operands, in order (c, a, b for select). */
export function aluOperands<R>(n: AluOp<R>): R[] {
  if (n.op === "select") return [n.c, n.a, n.b];
  if (isBinaryOp(n.op)) return [n.a, (n as { b: R }).b];
  return [n.a];
}

export function isAlu(n: { op: string }): n is AluOp<never> {
  return n.op === "select" || unarySet.has(n.op) || binarySet.has(n.op);
}

/** Evaluates an ALU op given its operands' values. */
export function evalAlu<R>(n: AluOp<R>, value: (operand: R) => number): number {
  if (n.op === "select") return evalSelect(value(n.c), value(n.a), value(n.b));
  if (isBinaryOp(n.op)) return evalBinary(n.op, value(n.a), value((n as { b: R }).b));
  return evalUnary(n.op, value(n.a));
}

/** Booleans are numbers: 1 for true, 0 for false; any non-zero, non-NaN value reads as true. */
export function truthy(x: number): boolean {
  return x !== 0 && !Number.isNaN(x);
}

export function evalUnary(op: UnaryOp, a: number): number {
  switch (op) {
    case "neg":
      return -a;
    case "abs":
      return Math.abs(a);
    case "sqrt":
      return Math.sqrt(a);
    case "cos":
      return Math.cos(a);
    case "floor":
      return Math.floor(a);
    case "sign":
      return Math.sign(a);
    case "tanh":
      return Math.tanh(a);
    case "not":
      return truthy(a) ? 0 : 1;
    case "isfinite":
      return Number.isFinite(a) ? 1 : 0;
    case "f32":
      return Math.fround(a);
    case "exp":
      return Math.exp(a);
    case "log":
      return Math.log(a);
  }
}

export function evalBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case "add":
      return a + b;
    case "sub":
      return a - b;
    case "mul":
      return a * b;
    case "div":
      return a / b;
    case "pow":
      return Math.pow(a, b);
    case "min":
      return Math.min(a, b);
    case "max":
      return Math.max(a, b);
    case "lt":
      return a < b ? 1 : 0;
    case "le":
      return a <= b ? 1 : 0;
    case "gt":
      return a > b ? 1 : 0;
    case "ge":
      return a >= b ? 1 : 0;
    case "eq":
      return a === b ? 1 : 0;
    case "ne":
      return a !== b ? 1 : 0;
    case "and":
      return truthy(a) && truthy(b) ? 1 : 0;
    case "or":
      return truthy(a) || truthy(b) ? 1 : 0;
  }
}

export function evalSelect(c: number, a: number, b: number): number {
  return truthy(c) ? a : b;
}
