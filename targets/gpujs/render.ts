/**
 * gpu.js renderer: each kernel of the plan becomes gpu.js programs (kernel functions in gpu.js's
 * JavaScript subset, with explicit settings), run over 2-D textures that hold a page of every
 * arena (runtime/backends/gpujs/layout.ts).
 *
 * The fuser plans around this target's caps (below), so each kernel is one program:
 * - a "store" program writes one value per element: the kernel's stores, at most MAX_OUTPUTS
 *   (WebGL2 guarantees 4 draw buffers), the first as the return value and the rest through
 *   createKernelMap. A pass with more stores has several kernels over the same inputs;
 *   textures are immutable, so each reads the values from before the pass.
 * - a "partial" program sums the kernel's reductions over chunks of CHUNK elements of one
 *   tensor (WebGL has no shared memory), recomputing the reduced value from the pass's inputs
 *   instead of writing it to a texture first. The host adds the chunk sums in float64 per
 *   tensor, then folds tensors as the kernel format defines.
 *
 * Math is float32 on the GPU (float64 in gpu.js's cpu mode); stores round to float32.
 * Booleans are 1.0/0.0; NaN tests are written as comparisons, which WebGL2 evaluates per IEEE.
 */
import { CHUNK, MAX_OUTPUTS, TEXTURE_ARGUMENT, type GpuJsArgument, type GpuJsProgram } from "../../format/abi_gpujs.js";
import type { Kernel, KernelOp } from "../../format/kernel.js";
import { bindingComments, boolToNumber, CODE_FOR_OP, JS_SYNTAX, renderValues, type Dialect } from "../c_like.js";
import { commentSafe, glFloat } from "../print_number.js";
import type { Renderer } from "../target.js";

/** float32's largest finite value: |x| <= MAX is false for NaN and ±Inf. */
const F32_MAX = "3.4028234663852886e38";
const isZero = (op: KernelOp) => op.op === "const" && op.value === 0;

const GPUJS: Dialect = {
  ...JS_SYNTAX,
  literal: glFloat,
  one: "1.0",
  zero: "0.0",
  // A comparison, which WebGL2 evaluates per IEEE: false for 0 and NaN.
  truthy: (x) => `Math.abs(${x}) > 0.0`,
  // GLSL's equality operators (gpu.js translates == and != only).
  eq: "==",
  ne: "!=",
  overrides: {
    // Every GPU value is already float32 (gpu.js's cpu mode computes in float64).
    f32: ([a]) => a,
    isfinite: ([a], { d }) => boolToNumber(d, `Math.abs(${a}) <= ${F32_MAX}`),
    // GLSL's tanh overflows to NaN for large |x|; tanh rounds to ±1 in float32 past 9.
    tanh: ([a]) => `(Math.abs(${a}) > 9.0 ? Math.sign(${a}) : Math.tanh(${a}))`,
    mul: (args, ctx) => {
      const { op, kernel } = ctx;
      if (op.op !== "mul") throw new Error("internal: mul override");
      const zeroB = isZero(kernel.ops[op.b]);
      if (!zeroB && !isZero(kernel.ops[op.a])) return CODE_FOR_OP.mul(args, ctx);
      // x * 0 is how the IR tests finiteness (0, or NaN for NaN/Inf); GLSL compilers may fold
      // it to 0, so keep the non-finite value itself instead.
      const x = zeroB ? args[0] : args[1];
      return `(Math.abs(${x}) <= ${F32_MAX} ? 0.0 : ${x})`;
    },
  },
};

/** The per-element statements, reading arenas at texel (x, y); returns each op's value. */
function elementBody(k: Kernel, lines: string[], indent: string): string[] {
  const leaves = {
    load: (arena: number) => ({ expr: `a${arena}[y][x]` }),
    uniform: (i: number) => ({ inline: `u${i}` }),
    segval: (i: number) => ({ expr: `sv[${i}.0 * this.constants.nseg + s]` }),
  };
  return renderValues(k, GPUJS, leaves, (i) => `t${i}`, lines, indent);
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
  return [`function (${args.map((a) => a.name).join(", ")}) {`, `  // kernel ${commentSafe(k.name)}: ${what}`, ...bindingComments(k, "  ")];
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

/** The gpu.js program of one kernel: a store program, or a partial-sum program when it only reduces. */
export function renderGpuJs(k: Kernel): GpuJsProgram {
  if (k.stores.length > 0 && k.reductions.length > 0) throw new Error(`internal: kernel ${k.name} both stores and reduces (the gpujs caps forbid it)`);
  const outputs = k.stores.length || k.reductions.length;
  if (outputs > MAX_OUTPUTS) throw new Error(`internal: kernel ${k.name} has ${outputs} outputs, more than gpu.js's ${MAX_OUTPUTS}`);
  return k.stores.length > 0 ? storeProgram(k, k.stores) : partialProgram(k, k.reductions.map((_, j) => j));
}

export const gpujsRenderer: Renderer = {
  target: "gpujs",
  caps: { maxOutputs: MAX_OUTPUTS, reduceWithStores: false, kernelsReadPassInputs: true },
  render: (kernel) => ({ gpujs: renderGpuJs(kernel) }),
};
