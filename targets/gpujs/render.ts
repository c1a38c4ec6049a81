/**
 * gpu.js renderer: each kernel of the plan becomes gpu.js programs (kernel functions in gpu.js's
 * JavaScript subset, with explicit settings), run over 2-D textures that hold a page of every
 * arena (runtime/backends/gpujs/layout.ts).
 *
 * - "store" programs write one value per element: the kernel's stores, at most
 *   MAX_OUTPUTS per program (WebGL2 guarantees 4 draw buffers), the first as the return
 *   value and the rest through createKernelMap. A kernel with more stores becomes several
 *   programs over the same inputs; textures are immutable, so each reads the old values.
 * - "partial" programs sum the kernel's reductions over chunks of CHUNK elements of one
 *   tensor (WebGL has no shared memory), recomputing the reduced value from the same inputs
 *   instead of writing it to a texture first. The host adds the chunk sums in float64 per
 *   tensor, then folds tensors as the kernel format defines.
 *
 * Math is float32 on the GPU (float64 in gpu.js's cpu mode); stores round to float32.
 * Booleans are 1.0/0.0; NaN tests are written as comparisons, which WebGL2 evaluates per IEEE.
 */
import type { BinaryOp, UnaryOp } from "../../format/ops.js";
import type { Kernel, KernelOp } from "../../format/kernel.js";
import { commentSafe, jsNumber } from "../print_number.js";
import {
  CHUNK,
  MAX_OUTPUTS,
  TEXTURE_ARGUMENT,
  type GpuJsArgument,
  type GpuJsProgram,
} from "../../format/abi_gpujs.js";

/** Float literals always carry a decimal point, so gpu.js types them as floats. */
export function glFloat(x: number): string {
  // Past float32's range a GLSL literal is an error; the GPU would hold ±Inf anyway.
  if (!Number.isFinite(Math.fround(x))) {
    // GLSL has no literal for these: build them from float32 overflow at run time.
    const inf = "(3.4028234663852886e38 * 2.0)";
    if (Number.isNaN(x)) return `(${inf} - ${inf})`;
    return x > 0 ? inf : `(-${inf})`;
  }
  const s = jsNumber(x).replace(/^\((.*)\)$/, "$1");
  const body = s.replace(/^-/, "");
  const withPoint = /\./.test(body) ? body : body.replace(/^(\d+)/, "$1.0");
  return s.startsWith("-") ? `(-${withPoint})` : withPoint;
}

const truthy = (x: string) => `Math.abs(${x}) > 0.0`;
const asFloat = (cond: string) => `(${cond} ? 1.0 : 0.0)`;
/** float32's largest finite value: |x| <= MAX is false for NaN and ±Inf. */
const F32_MAX = "3.4028234663852886e38";

function unary(op: UnaryOp, a: string): string {
  switch (op) {
    case "neg":
      return `(-${a})`;
    case "abs":
      return `Math.abs(${a})`;
    case "sqrt":
      return `Math.sqrt(${a})`;
    case "cos":
      return `Math.cos(${a})`;
    case "floor":
      return `Math.floor(${a})`;
    case "sign":
      return `Math.sign(${a})`;
    case "tanh":
      // GLSL's tanh overflows to NaN for large |x|; tanh rounds to ±1 in float32 past 9.
      return `(Math.abs(${a}) > 9.0 ? Math.sign(${a}) : Math.tanh(${a}))`;
    case "not":
      return `(${truthy(a)} ? 0.0 : 1.0)`;
    case "isfinite":
      return asFloat(`Math.abs(${a}) <= ${F32_MAX}`);
    case "f32":
      return a;
    case "exp":
      return `Math.exp(${a})`;
    case "log":
      return `Math.log(${a})`;
  }
}

function binary(op: BinaryOp, a: string, b: string): string {
  switch (op) {
    case "add":
      return `(${a} + ${b})`;
    case "sub":
      return `(${a} - ${b})`;
    case "mul":
      return `(${a} * ${b})`;
    case "div":
      return `(${a} / ${b})`;
    case "pow":
      return `Math.pow(${a}, ${b})`;
    case "min":
      return `Math.min(${a}, ${b})`;
    case "max":
      return `Math.max(${a}, ${b})`;
    case "lt":
      return asFloat(`${a} < ${b}`);
    case "le":
      return asFloat(`${a} <= ${b}`);
    case "gt":
      return asFloat(`${a} > ${b}`);
    case "ge":
      return asFloat(`${a} >= ${b}`);
    case "eq":
      return asFloat(`${a} == ${b}`);
    case "ne":
      return asFloat(`${a} != ${b}`);
    case "and":
      return asFloat(`${truthy(a)} && ${truthy(b)}`);
    case "or":
      return asFloat(`${truthy(a)} || ${truthy(b)}`);
  }
}

const isZero = (op: KernelOp) => op.op === "const" && op.value === 0;

/** The per-element statements; returns the expression naming each op's value. */
function elementBody(k: Kernel, lines: string[], indent: string): string[] {
  const name: string[] = [];
  k.ops.forEach((op, i) => {
    let expr: string;
    switch (op.op) {
      case "const":
        name[i] = glFloat(op.value);
        return;
      case "uniform":
        name[i] = `u${op.index}`;
        return;
      case "f32":
        // Every GPU value is already float32 (gpu.js's cpu mode computes in float64).
        name[i] = name[op.a];
        return;
      case "segval":
        expr = `sv[${op.index}.0 * this.constants.nseg + s]`;
        break;
      case "load":
        expr = `a${op.arena}[y][x]`;
        break;
      case "select":
        expr = `(${truthy(name[op.c])} ? ${name[op.a]} : ${name[op.b]})`;
        break;
      default:
        if (op.op === "mul" && (isZero(k.ops[op.b]) || isZero(k.ops[op.a]))) {
          // x * 0 is how the IR tests finiteness (0, or NaN for NaN/Inf); GLSL compilers
          // may fold it to 0, so keep the non-finite value itself instead.
          const x = isZero(k.ops[op.b]) ? name[op.a] : name[op.b];
          expr = `(Math.abs(${x}) <= ${F32_MAX} ? 0.0 : ${x})`;
        } else expr = "b" in op ? binary(op.op, name[op.a], name[op.b]) : unary(op.op, name[op.a]);
    }
    lines.push(`${indent}const t${i} = ${expr};`);
    name[i] = `t${i}`;
  });
  return name;
}

/** Arguments every program of the kernel takes, in order: read arenas, then per-kind extras. */
function argumentsOf(k: Kernel, kind: GpuJsProgram["kind"]): GpuJsArgument[] {
  const args: GpuJsArgument[] = [];
  k.bindings.forEach((b, i) => {
    if (b.read && k.ops.some((op) => op.op === "load" && op.arena === i)) args.push({ name: `a${i}`, kind: "arena", index: i });
  });
  if (kind === "store" && k.segvalCount > 0) args.push({ name: "seg", kind: "segment", index: 0 });
  if (kind === "partial") args.push({ name: "table", kind: "table", index: 0 });
  if (k.segvalCount > 0) args.push({ name: "sv", kind: "segvals", index: 0 });
  for (let i = 0; i < k.uniformCount; i++) args.push({ name: `u${i}`, kind: "uniform", index: i });
  return args;
}

function argumentTypes(args: GpuJsArgument[]): Record<string, string> {
  const types: Record<string, string> = {};
  for (const a of args) types[a.name] = a.kind === "arena" || a.kind === "segment" ? TEXTURE_ARGUMENT : a.kind === "uniform" ? "Float" : "Array";
  return types;
}

/** The opening line and comments naming the kernel and its bindings (gpu.js wants `function` first). */
function header(k: Kernel, what: string, args: GpuJsArgument[]): string[] {
  const L = [`function (${args.map((a) => a.name).join(", ")}) {`, `  // kernel ${commentSafe(k.name)}: ${what}`];
  k.bindings.forEach((b, i) => L.push(`  // a${i}: ${commentSafe(b.name)}${b.read ? " read" : ""}${b.write ? " write" : ""}`));
  return L;
}

function mapFunctions(count: number): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 1; i < count; i++) map[`out${i}`] = `function out${i}(v) { return v; }`;
  return map;
}

function storeProgram(k: Kernel, stores: Kernel["stores"]): GpuJsProgram {
  const args = argumentsOf(k, "store");
  const L = header(k, `stores ${stores.map((s) => `a${s.arena}`).join(", ")}`, args);
  L.push(`  const x = this.thread.x;`, `  const y = this.thread.y;`);
  if (k.segvalCount > 0) L.push(`  const s = seg[y][x];`);
  const name = elementBody(k, L, "  ");
  stores.slice(1).forEach((st, i) => L.push(`  out${i + 1}(${name[st.value]});`));
  L.push(`  return ${name[stores[0].value]};`, `}`);
  return {
    kind: "store",
    source: L.join("\n"),
    map: mapFunctions(stores.length),
    outputs: stores.map((s) => s.arena),
    args,
    settings: { argumentTypes: argumentTypes(args), precision: "single", pipeline: true, immutable: true },
  };
}

function partialProgram(k: Kernel, reductions: number[]): GpuJsProgram {
  const args = argumentsOf(k, "partial");
  const L = header(k, `chunk sums of reductions ${reductions.join(", ")}`, args);
  L.push(`  const start = table[this.thread.x * 3.0];`, `  const end = table[this.thread.x * 3.0 + 1.0];`, `  const s = table[this.thread.x * 3.0 + 2.0];`);
  reductions.forEach((j) => L.push(`  let r${j} = 0.0;`));
  L.push(`  for (let j = 0; j < ${CHUNK}; j++) {`, `    const idx = start + j;`, `    if (idx < end) {`);
  L.push(`      const y = Math.floor(idx / this.constants.W);`, `      const x = idx - y * this.constants.W;`);
  const name = elementBody(k, L, "      ");
  reductions.forEach((j) => L.push(`      r${j} += ${name[k.reductions[j].value]};`));
  L.push(`    }`, `  }`);
  reductions.slice(1).forEach((j, i) => L.push(`  out${i + 1}(r${j});`));
  L.push(`  return r${reductions[0]};`, `}`);
  return {
    kind: "partial",
    source: L.join("\n"),
    map: mapFunctions(reductions.length),
    outputs: reductions,
    args,
    settings: { argumentTypes: argumentTypes(args), precision: "single", pipeline: false, immutable: true },
  };
}

function groups<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The gpu.js programs of one kernel: store programs, then partial-sum programs. */
export function renderGpuJs(k: Kernel): GpuJsProgram[] {
  const reductionIndices = k.reductions.map((_, j) => j);
  return [...groups(k.stores, MAX_OUTPUTS).map((g) => storeProgram(k, g)), ...groups(reductionIndices, MAX_OUTPUTS).map((g) => partialProgram(k, g))];
}
