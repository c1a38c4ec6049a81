/**
 * The scalar meaning of every IR operation, in float64. Shared by the host program evaluator
 * (runtime), the reference interpreter and constant folding (compiler), so all three agree
 * bit for bit. Renderers must print each op as an expression with exactly this meaning.
 */

export const UNARY_OPS = ["neg", "abs", "sqrt", "cos", "floor", "sign", "tanh", "not", "isfinite", "f32", "exp", "log"] as const;
export const BINARY_OPS = ["add", "sub", "mul", "div", "pow", "min", "max", "lt", "le", "gt", "ge", "eq", "ne", "and", "or"] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];

const unarySet = new Set<string>(UNARY_OPS);
const binarySet = new Set<string>(BINARY_OPS);
export function isUnaryOp(op: string): op is UnaryOp {
  return unarySet.has(op);
}
export function isBinaryOp(op: string): op is BinaryOp {
  return binarySet.has(op);
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
