/**
 * What every renderer shares: the op table (how each of format/ops.ts's ops prints as an
 * expression) and the SSA walk over a kernel's ops. A target is a small Dialect that says how
 * its language spells literals, math functions, booleans and conditionals, and overrides the
 * few ops whose meaning needs other words there (f32 rounding and the finiteness test always;
 * gpu.js also tanh and x * 0). The loops around the walk (segments, lanes, workgroups,
 * textures) stay in each target's renderer: that is what really differs.
 */
import type { Kernel, KernelOp } from "../format/kernel.js";
import { aluOperands, type AluOp, type BinaryOp, type UnaryOp } from "../format/ops.js";
import { commentSafe } from "./print_number.js";

/** How one op prints, given its operands' expressions. */
export type OpRenderer = (args: string[], ctx: { d: Dialect; op: AluOp; kernel: Kernel }) => string;

export interface Dialect {
  /** A number literal (the canonical printers of targets/print_number.ts). */
  literal(x: number): string;
  one: string;
  zero: string;
  /** A call of a math function: `Math.sqrt(x)` or `sqrt(x)`. */
  call(fn: string, args: string[]): string;
  /** `c ? a : b`, with `c` already a boolean expression of the language. */
  cond(c: string, a: string, b: string): string;
  /** A number read as a boolean: non-zero and not NaN (format/ops.ts's truthy). */
  truthy(x: string): string;
  eq: string;
  ne: string;
  /** A statement binding `expr` to a fresh name. */
  declare(name: string, expr: string): string;
  /** Ops this language must spell its own way; f32 and isfinite always differ. */
  overrides: Partial<Record<UnaryOp | BinaryOp, OpRenderer>> & Record<"f32" | "isfinite", OpRenderer>;
}

/** JavaScript's spelling of calls, conditionals and bindings: the JS target's, and gpu.js's, whose kernels are a JavaScript subset. */
export const JS_SYNTAX: Pick<Dialect, "call" | "cond" | "declare"> = {
  call: (fn, args) => `Math.${fn}(${args.join(", ")})`,
  cond: (c, a, b) => `(${c} ? ${a} : ${b})`,
  declare: (name, expr) => `const ${name} = ${expr};`,
};

const fromBool = (d: Dialect, c: string) => d.cond(c, d.one, d.zero);
const infix = (symbol: string): OpRenderer => ([a, b]) => `(${a} ${symbol} ${b})`;
const compare = (symbol: (d: Dialect) => string): OpRenderer => ([a, b], { d }) => fromBool(d, `${a} ${symbol(d)} ${b}`);
const math = (fn: string): OpRenderer => (args, { d }) => d.call(fn, args);

/** The shared table, as tinygrad's CStyleLanguage.code_for_op: one line per op of format/ops.ts. */
export const CODE_FOR_OP: Record<Exclude<UnaryOp | BinaryOp, "f32" | "isfinite">, OpRenderer> = {
  neg: ([a]) => `(-${a})`,
  abs: math("abs"),
  sqrt: math("sqrt"),
  cos: math("cos"),
  floor: math("floor"),
  sign: math("sign"),
  tanh: math("tanh"),
  exp: math("exp"),
  log: math("log"),
  not: ([a], { d }) => d.cond(d.truthy(a), d.zero, d.one),
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: infix("/"),
  pow: math("pow"),
  min: math("min"),
  max: math("max"),
  lt: compare(() => "<"),
  le: compare(() => "<="),
  gt: compare(() => ">"),
  ge: compare(() => ">="),
  eq: compare((d) => d.eq),
  ne: compare((d) => d.ne),
  and: ([a, b], { d }) => fromBool(d, `${d.truthy(a)} && ${d.truthy(b)}`),
  or: ([a, b], { d }) => fromBool(d, `${d.truthy(a)} || ${d.truthy(b)}`),
};

const isZeroLiteral = (op: KernelOp | undefined) => op?.op === "const" && op.value === 0;

/**
 * `x * 0` is how the IR tests finiteness (0 for finite x, NaN for NaN/Inf); GPU shader
 * compilers may fold it to 0, so a GPU dialect keeps the non-finite value itself instead:
 * `keep(x)` is an expression that is 0 for finite x and x otherwise.
 */
export function mulKeepingNonFinite(keep: (x: string) => string): OpRenderer {
  return (args, ctx) => {
    const { op, kernel } = ctx;
    if (op.op !== "mul") throw new Error("internal: mul override");
    const zeroB = isZeroLiteral(kernel.ops[op.b]);
    if (!zeroB && !isZeroLiteral(kernel.ops[op.a])) return CODE_FOR_OP.mul(args, ctx);
    return keep(zeroB ? args[0] : args[1]);
  };
}

/** A boolean value of the language as a number (1 or 0): what comparisons return. */
export function boolToNumber(d: Dialect, c: string): string {
  return fromBool(d, c);
}

/** One ALU op as an expression. */
export function renderAlu(d: Dialect, op: AluOp, args: string[], kernel: Kernel): string {
  if (op.op === "select") return d.cond(d.truthy(args[0]), args[1], args[2]);
  const table = d.overrides[op.op] ?? CODE_FOR_OP[op.op as keyof typeof CODE_FOR_OP];
  return table(args, { d, op, kernel });
}

/** How a leaf reads: `inline` text used where it is needed, or an expression bound to a name. */
export type Leaf = { inline: string } | { expr: string };

export interface Leaves {
  load(arena: number): Leaf;
  uniform(index: number): Leaf;
  segval(index: number): Leaf;
}

/**
 * The SSA walk: op i's value gets `name(i)` (a statement in `lines`) unless it is inline (a
 * literal, a leaf the target reads inline, or an op that prints as one of its operands, such
 * as f32 where every value already is float32). Returns the expression for every op.
 */
export function renderValues(k: Kernel, d: Dialect, leaves: Leaves, name: (i: number) => string, lines: string[], indent = ""): string[] {
  const value: string[] = [];
  k.ops.forEach((op: KernelOp, i) => {
    let expr: string;
    switch (op.op) {
      case "const":
        value[i] = d.literal(op.value);
        return;
      case "load":
      case "uniform":
      case "segval": {
        const leaf = op.op === "load" ? leaves.load(op.arena) : op.op === "uniform" ? leaves.uniform(op.index) : leaves.segval(op.index);
        if ("inline" in leaf) {
          value[i] = leaf.inline;
          return;
        }
        expr = leaf.expr;
        break;
      }
      default: {
        const args = aluOperands(op).map((x) => value[x]);
        expr = renderAlu(d, op, args, k);
        if (args.includes(expr)) {
          value[i] = expr;
          return;
        }
      }
    }
    lines.push(`${indent}${d.declare(name(i), expr)}`);
    value[i] = name(i);
  });
  return value;
}

/** `// a<i>: <arena> read write`, one line per binding. */
export function bindingComments(k: Kernel, indent = ""): string[] {
  return k.bindings.map((b, i) => `${indent}// a${i}: ${commentSafe(b.name)}${b.read ? " read" : ""}${b.write ? " write" : ""}`);
}
