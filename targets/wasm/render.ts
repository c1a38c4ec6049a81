/**
 * WebAssembly SIMD renderer: each kernel becomes a small wasm module (bytes, base64 in the
 * artifact) that imports the run's memory and exports:
 *   run(a0..aB-1, b0..bS-1, seg, nseg, U, SV, R, RS, lo, hi, s0, s1)   the plain kernel
 *   guarded(same)                                                 with a backup per store
 *   run_f32, guarded_f32 (same)                                   the same in f32x4 lanes
 *   scan(ptr, n) → i32                                            first non-finite float32, or -1
 * Every argument is a byte address in the memory (B bindings, S backups of the stores, the
 * segment table, uniforms, per-segment values and the global and per-segment reduction outputs,
 * all float64 but the table), except nseg, the element range [lo, hi) and the segment range
 * [s0, s1) the call covers (threads split elementwise kernels by elements, reducing ones by whole
 * segments). A global reduction writes each segment's sum to RS too, so a threaded run can fold
 * them on the host in the interpreter's order.
 *
 * Element math is f64x2: two float32 elements are loaded, promoted to float64 (exact), computed
 * with IEEE double instructions (the interpreter's and the JS target's math, so results are
 * bit-identical), and rounded to float32 on store. The ops wasm has no instruction for (cos,
 * tanh, exp, log, pow) call the imported JS Math function per lane: the same function the
 * interpreter calls. Reductions keep format/kernel.ts's four accumulators as two f64x2 vectors
 * (elements k, k+1 and k+2, k+3 of each group of four), a tail into accumulator 0.
 *
 * The f32x4 form (init's precision: "f32") computes every op in float32, four elements a vector:
 * 2-4x faster where f64 division and square roots bound the loop (adam), within a stated ulp
 * bound of the interpreter instead of bit for bit. Imported functions still run in float64, and
 * reductions still add in float64 in the same order.
 *
 * Like the JS target's guarded form, the finiteness test is not in the element loop: `scan`
 * runs over what the phase wrote (integer exponent tests, at memory speed).
 */
import type { KernelCode } from "../../format/artifact.js";
import { toBase64 } from "../../format/base64.js";
import { isSegmented, type Kernel } from "../../format/kernel.js";
import type { UnaryOp, BinaryOp } from "../../format/ops.js";
import type { Renderer } from "../target.js";
import { encodeModule, F32_DEMOTE_F64, F64, F64_PROMOTE_F32, FunctionBuilder, I32, OP, SIMD, V128, type ImportedFunction } from "./encode.js";

/** Ops without a wasm instruction: the imported Math functions (how many arguments). */
const IMPORTED: Partial<Record<UnaryOp | BinaryOp, 1 | 2>> = { cos: 1, tanh: 1, exp: 1, log: 1, pow: 2 };

const LANE_BYTES = 4;

interface Imports {
  index: Map<string, number>;
  list: ImportedFunction[];
}

function importsOf(k: Kernel): Imports {
  const list: ImportedFunction[] = [];
  const index = new Map<string, number>();
  for (const op of k.ops) {
    const arity = IMPORTED[op.op as UnaryOp | BinaryOp];
    if (arity === undefined || index.has(op.op)) continue;
    index.set(op.op, list.length);
    list.push({ module: "math", name: op.op, params: arity === 1 ? [F64] : [F64, F64], results: [F64] });
  }
  return { index, list };
}

/** The locals and parameters one kernel function works with. */
class KernelFn {
  readonly f: FunctionBuilder;
  readonly arena: number[];
  readonly backup: number[];
  readonly seg: number;
  readonly nseg: number;
  readonly U: number;
  readonly SV: number;
  readonly R: number;
  readonly RS: number;
  readonly lo: number;
  readonly hi: number;
  readonly s0: number;
  readonly s1: number;
  readonly i: number;
  readonly i4: number;
  readonly s: number;
  /** One v128 local per op value. */
  readonly value: number[];
  readonly one: number;
  readonly zero: number;
  readonly tmp: number;

  constructor(readonly k: Kernel, readonly imports: Imports, readonly f32: boolean) {
    const B = k.bindings.length;
    const S = k.stores.length;
    this.f = new FunctionBuilder(Array<typeof I32>(B + S + 10).fill(I32), []);
    this.arena = Array.from({ length: B }, (_, j) => j);
    this.backup = Array.from({ length: S }, (_, j) => B + j);
    [this.seg, this.nseg, this.U, this.SV, this.R, this.RS, this.lo, this.hi, this.s0, this.s1] = Array.from({ length: 10 }, (_, j) => B + S + j);
    this.i = this.f.local(I32);
    this.i4 = this.f.local(I32);
    this.s = this.f.local(I32);
    this.one = this.f.local(V128);
    this.zero = this.f.local(V128);
    this.tmp = this.f.local(V128);
    this.value = k.ops.map(() => this.f.local(V128));
  }
}

/** Leaves the truthiness mask of value local `x` (non-zero and not NaN) on the stack. */
function truthyMask(fn: KernelFn, x: number): void {
  const { f } = fn;
  const m = modeOf(fn);
  f.get(x).get(fn.zero).simd(m.compare.ne!);
  f.get(x).get(x).simd(m.compare.eq!);
  f.simd(SIMD.and);
}

/** A mask on the stack → 1.0 / 0.0 per lane. */
function maskToNumber(fn: KernelFn): void {
  fn.f.get(fn.one).simd(SIMD.and);
}

/** The instructions of one lane shape: f64x2 (the exact form) or f32x4 (the fast one). */
interface LaneMode {
  binary: Partial<Record<BinaryOp, number>>;
  compare: Partial<Record<BinaryOp, number>>;
  unary: Partial<Record<UnaryOp, number>>;
  splat: number;
  extract: number;
  replace: number;
  /** Lanes per vector body. */
  width: 2 | 4;
}

const F64X2: LaneMode = {
  // min and max propagate NaN and order -0 below +0, as Math.min and Math.max do.
  binary: { add: SIMD.f64x2Add, sub: SIMD.f64x2Sub, mul: SIMD.f64x2Mul, div: SIMD.f64x2Div, min: SIMD.f64x2Min, max: SIMD.f64x2Max },
  compare: { lt: SIMD.f64x2Lt, le: SIMD.f64x2Le, gt: SIMD.f64x2Gt, ge: SIMD.f64x2Ge, eq: SIMD.f64x2Eq, ne: SIMD.f64x2Ne },
  unary: { neg: SIMD.f64x2Neg, abs: SIMD.f64x2Abs, sqrt: SIMD.f64x2Sqrt, floor: SIMD.f64x2Floor },
  splat: SIMD.f64x2Splat,
  extract: SIMD.f64x2ExtractLane,
  replace: SIMD.f64x2ReplaceLane,
  width: 2,
};
const F32X4: LaneMode = {
  binary: { add: SIMD.f32x4Add, sub: SIMD.f32x4Sub, mul: SIMD.f32x4Mul, div: SIMD.f32x4Div, min: SIMD.f32x4Min, max: SIMD.f32x4Max },
  compare: { lt: SIMD.f32x4Lt, le: SIMD.f32x4Le, gt: SIMD.f32x4Gt, ge: SIMD.f32x4Ge, eq: SIMD.f32x4Eq, ne: SIMD.f32x4Ne },
  unary: { neg: SIMD.f32x4Neg, abs: SIMD.f32x4Abs, sqrt: SIMD.f32x4Sqrt, floor: SIMD.f32x4Floor },
  splat: SIMD.f32x4Splat,
  extract: SIMD.f32x4ExtractLane,
  replace: SIMD.f32x4ReplaceLane,
  width: 4,
};
const modeOf = (fn: KernelFn): LaneMode => (fn.f32 ? F32X4 : F64X2);

/** A scalar f64 host value on the stack → a vector of it (rounded to float32 in the f32 form). */
function splatHost(fn: KernelFn): void {
  if (fn.f32) fn.f.op(F32_DEMOTE_F64).simd(SIMD.f32x4Splat);
  else fn.f.simd(SIMD.f64x2Splat);
}

function splatLiteral(fn: KernelFn, x: number): void {
  if (fn.f32) fn.f.splatConstF32(x);
  else fn.f.splatConst(x);
}

/** An imported Math function (float64), lane by lane (lanes 1: lane 0 only, the scalar tail). */
function callImported(fn: KernelFn, name: string, args: number[], lanes: Lanes): void {
  const { f } = fn;
  const m = modeOf(fn);
  const index = fn.imports.index.get(name);
  if (index === undefined) throw new Error(`internal: no import ${name}`);
  for (let lane = 0; lane < lanes; lane++) {
    for (const a of args) {
      f.get(a).lane(m.extract, lane);
      if (fn.f32) f.op(F64_PROMOTE_F32);
    }
    f.call(index);
    if (fn.f32) f.op(F32_DEMOTE_F64);
    if (lane === 0) f.simd(m.splat);
    else f.lane(m.replace, lane);
  }
}

/** Elements one vector body covers: 2 (f64x2), 4 (f32x4), or 1 (the scalar tail). */
type Lanes = 1 | 2 | 4;

/** Op `i` of the kernel, its operands already in their locals; sets its value local. */
function emitOp(fn: KernelFn, i: number, lanes: Lanes, offset: number): void {
  const { f, k, value: v } = fn;
  const m = modeOf(fn);
  const op = k.ops[i];
  switch (op.op) {
    case "const":
    case "uniform":
    case "segval":
      return; // hoisted: set before the loops
    case "load":
      f.get(fn.arena[op.arena]).get(fn.i4).op(OP.i32Add);
      loadLanes(fn, lanes, offset);
      if (!fn.f32) f.simd(SIMD.f64x2PromoteLowF32x4);
      f.set(v[i]);
      return;
    case "select":
      f.get(v[op.a]).get(v[op.b]);
      truthyMask(fn, v[op.c]);
      f.simd(SIMD.bitselect).set(v[i]);
      return;
  }
  const name = op.op;
  if (IMPORTED[name] !== undefined) {
    callImported(fn, name, "b" in op ? [v[op.a], v[op.b]] : [v[op.a]], lanes);
    f.set(v[i]);
    return;
  }
  if ("b" in op) {
    const a = v[op.a];
    const b = v[op.b];
    const bin = m.binary[name as BinaryOp];
    const cmp = m.compare[name as BinaryOp];
    if (bin !== undefined) f.get(a).get(b).simd(bin);
    else if (cmp !== undefined) {
      f.get(a).get(b).simd(cmp);
      maskToNumber(fn);
    } else if (name === "and" || name === "or") {
      truthyMask(fn, a);
      truthyMask(fn, b);
      f.simd(name === "and" ? SIMD.and : SIMD.or);
      maskToNumber(fn);
    } else throw new Error(`internal: wasm has no rendering of ${name}`);
    f.set(v[i]);
    return;
  }
  const a = v[op.a];
  const un = m.unary[name as UnaryOp];
  if (un !== undefined) f.get(a).simd(un);
  else if (name === "f32") {
    // The f32x4 form's values already are float32.
    if (fn.f32) f.get(a);
    else f.get(a).simd(SIMD.f32x4DemoteF64x2Zero).simd(SIMD.f64x2PromoteLowF32x4);
  } else if (name === "isfinite") {
    // x - x is 0 for finite x, NaN for NaN and ±Inf.
    f.get(a).get(a).simd(m.binary.sub!).get(fn.zero).simd(m.compare.eq!);
    maskToNumber(fn);
  } else if (name === "not") {
    f.get(fn.one);
    truthyMask(fn, a);
    f.simd(SIMD.andnot);
  } else if (name === "sign") {
    // Math.sign: 1 above zero, -1 below, the value itself for ±0 and NaN.
    f.get(fn.one);
    splatLiteral(fn, -1);
    f.get(a).get(a).get(fn.zero).simd(m.compare.lt!).simd(SIMD.bitselect);
    f.get(a).get(fn.zero).simd(m.compare.gt!).simd(SIMD.bitselect);
  } else throw new Error(`internal: wasm has no rendering of ${name}`);
  f.set(v[i]);
}

/** The per-element code for elements [i, i + lanes) at byte `offset` past i: ops, then backups and stores. */
/** `lanes` float32 at the address on the stack (+ offset) → a v128 (unused lanes zero). */
function loadLanes(fn: KernelFn, lanes: Lanes, offset: number): void {
  // Alignment hints are 4 bytes: a tensor may start at any element of its arena.
  if (lanes === 4) fn.f.simdMem(SIMD.load, 2, offset);
  else if (lanes === 2) fn.f.simdMem(SIMD.load64Zero, 2, offset);
  else fn.f.simdMem(SIMD.load32Zero, 2, offset);
}

/** The first `lanes` float32 of the v128 on the stack to the address under it (+ offset). */
function storeLanes(fn: KernelFn, lanes: Lanes, offset: number): void {
  if (lanes === 4) fn.f.simdMem(SIMD.store, 2, offset);
  else if (lanes === 2) fn.f.simdMem(SIMD.store64Lane, 2, offset, 0);
  else fn.f.simdMem(SIMD.store32Lane, 2, offset, 0);
}

function elementBody(fn: KernelFn, lanes: Lanes, offset: number, guarded: boolean): void {
  const { f, k } = fn;
  k.ops.forEach((_, i) => emitOp(fn, i, lanes, offset));
  k.stores.forEach((s, j) => {
    const addr = (base: number) => f.get(base).get(fn.i4).op(OP.i32Add);
    if (guarded) {
      // The old bytes, exactly (NaN payloads too), before the store overwrites them.
      addr(fn.backup[j]);
      addr(fn.arena[s.arena]);
      loadLanes(fn, lanes, offset);
      storeLanes(fn, lanes, offset);
    }
    addr(fn.arena[s.arena]);
    f.get(fn.value[s.value]);
    if (!fn.f32) f.simd(SIMD.f32x4DemoteF64x2Zero);
    storeLanes(fn, lanes, offset);
  });
}

/** Values the loops only read: literals, uniforms (per call) and, per segment, segvals. */
function hoistConstants(fn: KernelFn): void {
  const { f, k } = fn;
  splatLiteral(fn, 1);
  f.set(fn.one);
  splatLiteral(fn, 0);
  f.set(fn.zero);
  k.ops.forEach((op, i) => {
    if (op.op === "const") (splatLiteral(fn, op.value), f.set(fn.value[i]));
    if (op.op === "uniform") (f.get(fn.U).mem(OP.f64Load, 3, op.index * 8), splatHost(fn), f.set(fn.value[i]));
  });
}

function loadSegvals(fn: KernelFn): void {
  const { f, k } = fn;
  k.ops.forEach((op, i) => {
    if (op.op !== "segval") return;
    // SV + (index * nseg + s) * 8
    f.get(fn.SV).i32(op.index).get(fn.nseg).op(OP.i32Mul).get(fn.s).op(OP.i32Add).i32(3).op(OP.i32Shl).op(OP.i32Add);
    f.mem(OP.f64Load, 3, 0);
    splatHost(fn);
    f.set(fn.value[i]);
  });
}

/**
 * Elements [from, to) (i32 locals): two vector bodies per iteration (4 elements in f64x2, 8 in
 * f32x4), then a scalar tail. `reduce(pair, lanes)` adds the reduced values of the body just
 * emitted to accumulator pair `pair` (f64x2: elements k, k+1 to pair 0 and k+2, k+3 to pair 1;
 * f32x4: each body's four lanes to both pairs).
 */
function elementLoop(fn: KernelFn, from: number, to: number, guarded: boolean, reduce?: (pair: 0 | 1, lanes: Lanes) => void): void {
  const { f } = fn;
  f.get(from).set(fn.i);
  const setI4 = () => f.get(fn.i).i32(2).op(OP.i32Shl).set(fn.i4);
  const loop = (step: number, body: () => void) => {
    f.op(OP.block, 0x40, OP.loop, 0x40);
    f.get(fn.i).i32(step).op(OP.i32Add).get(to).op(OP.i32GtS).op(OP.brIf, 1);
    setI4();
    body();
    f.get(fn.i).i32(step).op(OP.i32Add).set(fn.i);
    f.op(OP.br, 0, OP.end, OP.end);
  };
  const w = modeOf(fn).width;
  loop(2 * w, () => {
    elementBody(fn, w, 0, guarded);
    reduce?.(0, w);
    elementBody(fn, w, w * LANE_BYTES, guarded);
    reduce?.(1, w);
  });
  loop(1, () => {
    elementBody(fn, 1, 0, guarded);
    reduce?.(0, 1);
  });
}

/** Reads v as a number used as a boolean (a scalar f64 on the stack → i32 truthiness). */
function scalarTruthy(f: FunctionBuilder, local: number): void {
  f.get(local).f64(0).op(OP.f64Ne).get(local).get(local).op(OP.f64Eq).op(OP.i32And);
}

function kernelFunction(k: Kernel, imports: Imports, guarded: boolean, f32: boolean): FunctionBuilder {
  const fn = new KernelFn(k, imports, f32);
  const { f } = fn;
  hoistConstants(fn);
  if (!isSegmented(k)) {
    elementLoop(fn, fn.lo, fn.hi, guarded);
    return f;
  }
  // Per reduction: accumulators (k, k+1) and (k+2, k+3) of format/kernel.ts's four; globals as f64.
  const acc = k.reductions.map(() => [f.local(V128), f.local(V128)] as const);
  const global = k.reductions.map(() => f.local(F64));
  const segLo = f.local(I32);
  const segHi = f.local(I32);
  const sum = f.local(F64);
  const flag = f.local(F64);
  k.reductions.forEach((_, j) => f.f64(0).set(global[j]));
  f.get(fn.s0).set(fn.s);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get(fn.s).get(fn.s1).op(OP.i32GeS).op(OP.brIf, 1);
  // The segment clipped to [lo, hi): a thread's share of the elements.
  const clip = (offset: number, out: number) => {
    f.get(fn.seg).get(fn.s).i32(2).op(OP.i32Shl).op(OP.i32Add).mem(OP.i32Load, 2, offset).set(out);
    f.get(fn.lo).get(out).get(out).get(fn.lo).op(OP.i32LtS).op(OP.select).set(out);
    f.get(fn.hi).get(out).get(out).get(fn.hi).op(OP.i32GtS).op(OP.select).set(out);
  };
  clip(0, segLo);
  clip(4, segHi);
  loadSegvals(fn);
  acc.forEach(([a, b]) => f.splatConst(0).set(a).splatConst(0).set(b));
  elementLoop(fn, segLo, segHi, guarded, (pair, lanes) => {
    k.reductions.forEach((r, j) => {
      const value = fn.value[r.value];
      if (lanes === 1) {
        const [target] = acc[j];
        f.get(target).get(target).lane(SIMD.f64x2ExtractLane, 0).get(value);
        if (f32) f.lane(SIMD.f32x4ExtractLane, 0).op(F64_PROMOTE_F32);
        else f.lane(SIMD.f64x2ExtractLane, 0);
        f.op(OP.f64Add).lane(SIMD.f64x2ReplaceLane, 0).set(target);
      } else if (!f32) {
        const target = acc[j][pair];
        f.get(target).get(value).simd(SIMD.f64x2Add).set(target);
      } else {
        // Lanes 0, 1 to the first pair and 2, 3 to the second, summed in float64.
        const [lo, hi] = acc[j];
        f.get(lo).get(value).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add).set(lo);
        f.get(hi).get(value).get(value).simd(SIMD.i8x16Shuffle).op(...HIGH_HALF).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add).set(hi);
      }
    });
  });
  k.reductions.forEach((r, j) => {
    const [a, b] = acc[j];
    // (a0 + a1) + (a2 + a3)
    f.get(a).lane(SIMD.f64x2ExtractLane, 0).get(a).lane(SIMD.f64x2ExtractLane, 1).op(OP.f64Add);
    f.get(b).lane(SIMD.f64x2ExtractLane, 0).get(b).lane(SIMD.f64x2ExtractLane, 1).op(OP.f64Add);
    f.op(OP.f64Add).set(sum);
    f.get(fn.RS).i32(j).get(fn.nseg).op(OP.i32Mul).get(fn.s).op(OP.i32Add).i32(3).op(OP.i32Shl).op(OP.i32Add).get(sum).mem(OP.f64Store, 3, 0);
    if (r.scope === "segment") return;
    if (r.mask === undefined) {
      f.get(global[j]).get(sum).op(OP.f64Add).set(global[j]);
      return;
    }
    f.get(fn.SV).i32(r.mask).get(fn.nseg).op(OP.i32Mul).get(fn.s).op(OP.i32Add).i32(3).op(OP.i32Shl).op(OP.i32Add).mem(OP.f64Load, 3, 0).set(flag);
    f.get(global[j]).get(sum).op(OP.f64Add).get(global[j]);
    scalarTruthy(f, flag);
    f.op(OP.select).set(global[j]);
  });
  f.get(fn.s).i32(1).op(OP.i32Add).set(fn.s);
  f.op(OP.br, 0, OP.end, OP.end);
  k.reductions.forEach((r, j) => {
    if (r.scope === "global") f.get(fn.R).get(global[j]).mem(OP.f64Store, 3, j * 8);
  });
  return f;
}

/** i8x16.shuffle lanes moving bytes 8..15 to 0..7: an f32x4's lanes 2, 3 into 0, 1. */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

const EXPONENT = 0x7f800000;

/** scan(ptr, n): the index of the first non-finite float32 of [ptr, ptr + 4n), or -1. */
function scanFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32], [I32]);
  const [ptr, n] = [0, 1];
  const i = f.local(I32);
  const acc = f.local(V128);
  const mask = f.local(V128);
  const x = f.local(V128);
  const exponent = (offset: number) => {
    // acc |= (x & exponent) == exponent, lane by lane (all exponent bits set: ±Inf or NaN).
    f.get(acc).get(ptr).get(i).i32(2).op(OP.i32Shl).op(OP.i32Add).simdMem(SIMD.load, 4, offset).get(mask).simd(SIMD.and).get(mask).simd(SIMD.i32x4Eq).simd(SIMD.or).set(acc);
  };
  f.i32(EXPONENT).simd(SIMD.i32x4Splat).set(mask);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get(i).i32(8).op(OP.i32Add).get(n).op(OP.i32GtS).op(OP.brIf, 1);
  exponent(0);
  exponent(16);
  f.get(i).i32(8).op(OP.i32Add).set(i);
  f.op(OP.br, 0, OP.end, OP.end);
  // Found one in the vector part: look from the start; else only the tail is left.
  f.i32(0).get(i).get(acc).simd(SIMD.anyTrue).op(OP.select).set(i);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get(i).get(n).op(OP.i32GeS).op(OP.brIf, 1);
  f.get(ptr).get(i).i32(2).op(OP.i32Shl).op(OP.i32Add).mem(OP.i32Load, 2, 0).i32(EXPONENT).op(OP.i32And).i32(EXPONENT);
  f.op(0x46 /* i32.eq */, OP.if, 0x40).get(i).op(OP.return, OP.end);
  f.get(i).i32(1).op(OP.i32Add).set(i);
  f.op(OP.br, 0, OP.end, OP.end);
  f.i32(-1);
  return f;
}

/**
 * The kernel's module bytes: run and guarded (f64x2, exact), run_f32 and guarded_f32 (f32x4,
 * the fast form init's precision: "f32" picks) and scan, over the imported memory.
 */
export function renderWasmModule(k: Kernel, options: { shared?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const imports = importsOf(k);
  return encodeModule({
    memory: { module: "env", name: "memory", shared: options.shared === true },
    imports: imports.list,
    functions: [
      { name: "run", fn: kernelFunction(k, imports, false, false) },
      { name: "guarded", fn: kernelFunction(k, imports, true, false) },
      { name: "run_f32", fn: kernelFunction(k, imports, false, true) },
      { name: "guarded_f32", fn: kernelFunction(k, imports, true, true) },
      { name: "scan", fn: scanFunction() },
    ],
  });
}

export const wasmRenderer: Renderer = {
  target: "wasm",
  // CPU loops, like the JS target: any number of stores, reductions beside them.
  caps: { maxOutputs: Infinity, reduceWithStores: true, kernelsReadPassInputs: false },
  render: (kernel): KernelCode => ({ wasm: toBase64(renderWasmModule(kernel)) }),
};
