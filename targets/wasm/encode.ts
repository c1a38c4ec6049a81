/**
 * A small WebAssembly binary encoder: the few sections and instructions optc's kernels use
 * (i32 loop arithmetic, f64 scalars, 128-bit SIMD). Kernels are short linear programs, so a
 * hand-written encoder is a few hundred lines and costs nothing to load, where a toolchain
 * (wabt, binaryen) is megabytes of wasm itself.
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F64 | typeof V128;

/** Core opcodes (one byte). */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  i32Store: 0x36,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32GtS: 0x4a,
  i32GeS: 0x4e,
  f64Eq: 0x61,
  f64Ne: 0x62,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f32Sub: 0x93,
  f32Ne: 0x5c,
  select: 0x1b,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const SIMD = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  i32x4Splat: 0x11,
  f64x2Splat: 0x14,
  f64x2ExtractLane: 0x21,
  f64x2ReplaceLane: 0x22,
  i32x4Eq: 0x37,
  f64x2Eq: 0x47,
  f64x2Ne: 0x48,
  f64x2Lt: 0x49,
  f64x2Gt: 0x4a,
  f64x2Le: 0x4b,
  f64x2Ge: 0x4c,
  not: 0x4d,
  and: 0x4e,
  andnot: 0x4f,
  or: 0x50,
  bitselect: 0x52,
  anyTrue: 0x53,
  store32Lane: 0x5a,
  store64Lane: 0x5b,
  load32Zero: 0x5c,
  load64Zero: 0x5d,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2Floor: 0x75,
  f64x2Abs: 0xec,
  f64x2Neg: 0xed,
  f64x2Sqrt: 0xef,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Min: 0xf4,
  f64x2Max: 0xf5,
  i8x16Shuffle: 0x0d,
  f32x4Splat: 0x13,
  f32x4ExtractLane: 0x1f,
  f32x4ReplaceLane: 0x20,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  f32x4Floor: 0x68,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
} as const;

/** Scalar conversions. */
export const F32_DEMOTE_F64 = 0xb6;
export const F64_PROMOTE_F32 = 0xbb;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function f64Bytes(x: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return [...b];
}

function utf8(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

/** Arrays joined with loops (spreading kernel-sized arrays is most of the encoder's time otherwise). */
function concat(parts: number[][]): number[] {
  const out: number[] = [];
  for (const part of parts) for (let i = 0; i < part.length; i++) out.push(part[i]);
  return out;
}

function vec(items: number[][]): number[] {
  return concat([uleb(items.length), ...items]);
}

/** A function body under construction: locals by type, instructions appended in order. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: ValType[], readonly results: ValType[]) {}

  /** A fresh local of `type`; its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  op(...bytes: number[]): this {
    for (let i = 0; i < bytes.length; i++) this.code.push(bytes[i]);
    return this;
  }
  get(i: number): this {
    return this.op(OP.localGet, ...uleb(i));
  }
  set(i: number): this {
    return this.op(OP.localSet, ...uleb(i));
  }
  tee(i: number): this {
    return this.op(OP.localTee, ...uleb(i));
  }
  i32(n: number): this {
    return this.op(OP.i32Const, ...sleb(n));
  }
  f64(x: number): this {
    return this.op(OP.f64Const, ...f64Bytes(x));
  }
  /** A memory access with alignment exponent `align` and byte offset `offset`. */
  mem(opcode: number, align: number, offset: number): this {
    return this.op(opcode, ...uleb(align), ...uleb(offset));
  }
  simd(opcode: number): this {
    return this.op(0xfd, ...uleb(opcode));
  }
  simdMem(opcode: number, align: number, offset: number, lane?: number): this {
    this.op(0xfd, ...uleb(opcode), ...uleb(align), ...uleb(offset));
    return lane === undefined ? this : this.op(lane);
  }
  lane(opcode: number, lane: number): this {
    return this.op(0xfd, ...uleb(opcode), lane);
  }
  /** An f64x2 constant with both lanes `x`. */
  splatConst(x: number): this {
    const b = f64Bytes(x);
    return this.op(0xfd, ...uleb(SIMD.const), ...b, ...b);
  }
  /** An f32x4 constant with every lane `x` rounded to float32. */
  splatConstF32(x: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    return this.op(0xfd, ...uleb(SIMD.const), ...b, ...b, ...b, ...b);
  }
  call(fn: number): this {
    return this.op(OP.call, ...uleb(fn));
  }

  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.localTypes.length; ) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([...uleb(j - i), this.localTypes[i]]);
      i = j;
    }
    const body = concat([vec(groups), this.code, [OP.end]]);
    return concat([uleb(body.length), body]);
  }
}

export interface ImportedFunction {
  module: string;
  name: string;
  params: ValType[];
  results: ValType[];
}

export interface ModuleSpec {
  /** The imported memory (module "m", name "memory"): its minimum pages and whether it is shared. */
  memory: { module: string; name: string; shared: boolean };
  imports: ImportedFunction[];
  functions: { name: string; fn: FunctionBuilder }[];
}

function section(id: number, payload: number[]): number[] {
  return concat([[id], uleb(payload.length), payload]);
}

/** The module's bytes: types, imports (functions, then the memory), functions and their exports. */
export function encodeModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const types: string[] = [];
  const typeIndex = (params: ValType[], results: ValType[]) => {
    const key = `${params.join(",")}:${results.join(",")}`;
    let i = types.indexOf(key);
    if (i < 0) i = types.push(key) - 1;
    return i;
  };
  const importEntries = spec.imports.map((f) => [...uleb(utf8(f.module).length), ...utf8(f.module), ...uleb(utf8(f.name).length), ...utf8(f.name), 0x00, ...uleb(typeIndex(f.params, f.results))]);
  const m = spec.memory;
  // limits: flag 1 = min and max; 3 = min and max, shared. The two differ in that one byte, so a
  // run with threads flips it (runtime/backends/wasm/threads.ts) instead of carrying both forms.
  const limits = [m.shared ? 0x03 : 0x01, ...uleb(0), ...uleb(65536)];
  importEntries.push([...uleb(utf8(m.module).length), ...utf8(m.module), ...uleb(utf8(m.name).length), ...utf8(m.name), 0x02, ...limits]);
  const funcTypes = spec.functions.map(({ fn }) => uleb(typeIndex(fn.params, fn.results)));
  const typeSection = types.map((key) => {
    const [p, r] = key.split(":").map((s) => (s === "" ? [] : s.split(",").map(Number)));
    return [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))];
  });
  const nImports = spec.imports.length;
  const exports = spec.functions.map(({ name }, i) => [...uleb(utf8(name).length), ...utf8(name), 0x00, ...uleb(nImports + i)]);
  const bytes = concat([
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vec(typeSection)),
    section(2, vec(importEntries)),
    section(3, vec(funcTypes)),
    section(7, vec(exports)),
    section(10, vec(spec.functions.map(({ fn }) => fn.encode()))),
  ]);
  return new Uint8Array(bytes);
}
