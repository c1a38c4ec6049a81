/**
 * gpu.js renderer: each kernel of the plan becomes gpu.js programs (kernel functions in gpu.js's
 * JavaScript subset, with explicit settings), run over 2-D textures that hold a page of every
 * arena (runtime/backends/gpujs/layout.ts). The device side of a step (folds, device programs:
 * format/device.ts) is targets/gpujs/device.ts's.
 *
 * The fuser plans around this target's caps (below), so each kernel is one program:
 * - a "store" program writes one value per element: the kernel's stores, at most MAX_OUTPUTS
 *   (WebGL2 guarantees 4 draw buffers), the first as the return value and the rest through
 *   createKernelMap. A pass with more stores has several kernels over the same inputs;
 *   textures are immutable, so each reads the values from before the pass. While the state
 *   texture records a refusal, a store program stores each element's old value.
 * - a "partial" program sums the kernel's reductions over chunks of CHUNK elements of one
 *   tensor (WebGL has no shared memory), recomputing the reduced value from the pass's inputs
 *   instead of writing it to a texture first. The fold kernels add the chunk sums per tensor on
 *   the device; a device program folds tensors as the kernel format defines.
 *
 * Host values the host computes are uniforms (and `sv` for per-tensor ones), written per call;
 * those the device computes are read from the state texture (format/abi_gpujs.ts).
 * Math is float32 on the GPU (float64 in gpu.js's cpu mode); stores round to float32.
 */
import { CHUNK, MAX_OUTPUTS, SMALL_TEXTURE_ARGUMENT, TEXTURE_ARGUMENT, type GpuJsArgument, type GpuJsProgram } from "../../format/abi_gpujs.js";
import type { Kernel } from "../../format/kernel.js";
import { bindingComments, renderValues } from "../c_like.js";
import { commentSafe } from "../print_number.js";
import type { KernelContext, Renderer } from "../target.js";
import { renderGpuJsDevice, renderStepKernels } from "./device.js";
import { GPUJS, idx } from "./dialect.js";

/** Where a kernel's uniform or segval comes from: the host (uniform argument, sv) or the state texture at `at`. */
function deviceEntry(ctx: KernelContext | undefined, hostId: number | undefined, what: "slot" | "row"): number | undefined {
  if (!ctx || hostId === undefined || !ctx.table.onDevice[hostId]) return undefined;
  const at = ctx.table[what][hostId];
  if (at === undefined || at < 0) throw new Error(`internal: host value ${hostId} has no table ${what}`);
  return at;
}

/** The per-element statements, reading arenas at texel (x, y); returns each op's value. */
function elementBody(k: Kernel, ctx: KernelContext | undefined, lines: string[], indent: string): string[] {
  const leaves = {
    load: (arena: number) => ({ expr: `a${arena}[y][x]` }),
    uniform: (i: number) => {
      const slot = deviceEntry(ctx, ctx?.uniforms[i], "slot");
      return slot === undefined ? { inline: `u${i}` } : { expr: `st[this.constants.tb + ${idx(slot)}]` };
    },
    segval: (i: number) => {
      const row = deviceEntry(ctx, ctx?.segvals[i], "row");
      if (row === undefined) return { expr: `sv[${idx(i)} * this.constants.nseg + s]` };
      return { expr: `st[this.constants.tb + ${idx(ctx!.table.scalars)} + ${idx(row)} * this.constants.nseg + s]` };
    },
  };
  return renderValues(k, GPUJS, leaves, (i) => `t${i}`, lines, indent);
}

/** Whether the kernel reads a value the device computes. */
function readsDevice(k: Kernel, ctx: KernelContext | undefined): boolean {
  for (let i = 0; i < k.uniformCount; i++) if (deviceEntry(ctx, ctx?.uniforms[i], "slot") !== undefined) return true;
  for (let i = 0; i < k.segvalCount; i++) if (deviceEntry(ctx, ctx?.segvals[i], "row") !== undefined) return true;
  return false;
}

/** Arguments every program of the kernel takes, in order: arenas (read, or stored: a refused step keeps the old value), then per-kind extras. */
function argumentsOf(k: Kernel, kind: GpuJsProgram["kind"], ctx: KernelContext | undefined): GpuJsArgument[] {
  const args: GpuJsArgument[] = [];
  k.bindings.forEach((b, i) => {
    const loaded = b.read && k.ops.some((op) => op.op === "load" && op.arena === i);
    const stored = kind === "store" && k.stores.some((s) => s.arena === i);
    if (loaded || stored) args.push({ name: `a${i}`, kind: "arena", index: i });
  });
  if (kind === "store" && k.segvalCount > 0) args.push({ name: "seg", kind: "segment", index: 0 });
  if (kind === "partial") args.push({ name: "table", kind: "table", index: 0 });
  if (kind === "store" || readsDevice(k, ctx)) args.push({ name: "st", kind: "state", index: 0 });
  if (k.segvalCount > 0) args.push({ name: "sv", kind: "segvals", index: 0 });
  for (let i = 0; i < k.uniformCount; i++) if (deviceEntry(ctx, ctx?.uniforms[i], "slot") === undefined) args.push({ name: `u${i}`, kind: "uniform", index: i });
  return args;
}

function argumentTypes(args: GpuJsArgument[]): Record<string, string> {
  const types: Record<string, string> = {};
  for (const a of args) types[a.name] = a.kind === "arena" || a.kind === "segment" ? TEXTURE_ARGUMENT : a.kind === "table" || a.kind === "state" ? SMALL_TEXTURE_ARGUMENT : a.kind === "uniform" ? "Float" : "Array";
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

function storeProgram(k: Kernel, stores: Kernel["stores"], ctx: KernelContext | undefined): GpuJsProgram {
  const args = argumentsOf(k, "store", ctx);
  const L = header(k, `stores ${stores.map((s) => `a${s.arena}`).join(", ")}`, args);
  L.push(`  const x = this.thread.x;`, `  const y = this.thread.y;`);
  if (k.segvalCount > 0) L.push(`  const s = seg[y][x];`);
  const name = elementBody(k, ctx, L, "  ");
  // A refusal recorded by this step or one queued before it: every element keeps its value.
  L.push(`  const rf = st[0];`);
  const stored = (st: Kernel["stores"][number]) => `(rf > 0.5 ? a${st.arena}[y][x] : ${name[st.value]})`;
  stores.slice(1).forEach((st, i) => L.push(`  out${i + 1}(${stored(st)});`));
  L.push(`  return ${stored(stores[0])};`, `}`);
  return {
    kind: "store",
    source: L.join("\n"),
    map: mapFunctions(stores.length),
    outputs: stores.map((s) => s.arena),
    args,
    settings: { argumentTypes: argumentTypes(args), precision: "single", pipeline: true, immutable: true },
  };
}

function partialProgram(k: Kernel, reductions: number[], ctx: KernelContext | undefined): GpuJsProgram {
  const args = argumentsOf(k, "partial", ctx);
  const L = header(k, `chunk sums of reductions ${reductions.join(", ")}`, args);
  L.push(`  const start = table[this.thread.x * 3.0];`, `  const end = table[this.thread.x * 3.0 + 1.0];`, `  const s = table[this.thread.x * 3.0 + 2.0];`);
  reductions.forEach((j) => L.push(`  let r${j} = 0.0;`));
  L.push(`  for (let j = 0; j < ${CHUNK}; j++) {`, `    const idx = start + j;`, `    if (idx < end) {`);
  // (idx + 0.5) / W: a division that rounds down at a row's first element still finds its row.
  L.push(`      const y = Math.floor((idx + 0.5) / this.constants.W);`, `      const x = idx - y * this.constants.W;`);
  const name = elementBody(k, ctx, L, "      ");
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
    settings: { argumentTypes: argumentTypes(args), precision: "single", pipeline: true, immutable: true },
  };
}

/** The gpu.js program of one kernel: a store program, or a partial-sum program when it only reduces. */
export function renderGpuJs(k: Kernel, ctx?: KernelContext): GpuJsProgram {
  if (k.stores.length > 0 && k.reductions.length > 0) throw new Error(`internal: kernel ${k.name} both stores and reduces (the gpujs caps forbid it)`);
  const outputs = k.stores.length || k.reductions.length;
  if (outputs > MAX_OUTPUTS) throw new Error(`internal: kernel ${k.name} has ${outputs} outputs, more than gpu.js's ${MAX_OUTPUTS}`);
  return k.stores.length > 0 ? storeProgram(k, k.stores, ctx) : partialProgram(k, k.reductions.map((_, j) => j), ctx);
}

export const gpujsRenderer: Renderer = {
  target: "gpujs",
  caps: { maxOutputs: MAX_OUTPUTS, reduceWithStores: false, kernelsReadPassInputs: true },
  device: true,
  render: (kernel, ctx) => ({ gpujs: renderGpuJs(kernel, ctx) }),
  renderDevice: (program, table) => ({ gpujs: renderGpuJsDevice(program, table) }),
  renderFold: () => ({ gpujs: renderStepKernels() }),
};
