/**
 * Hand-written wasm SIMD baselines for bench/wasm.ts, encoded with optc's own encoder
 * (targets/wasm/encode.ts): the streaming limit `y = x + y` (f32x4, unrolled ×2, as the perf
 * anchors' kernels.wat), sgd `p = p - lr g` and a fused Adam with all arithmetic in f32x4 (the
 * anchors' 43-50 GB/s kernel): what optc's wasm kernels are measured against, in the same process.
 */
import { encodeModule, F64, FunctionBuilder, I32, OP, SIMD, V128 } from "../targets/wasm/encode.js";

const F32X4 = { splat: 0x13, sqrt: 0xe3, add: 0xe4, sub: 0xe5, mul: 0xe6, div: 0xe7 };

/** add(x, y, n): y = x + y over n float32 (n a multiple of 8). */
function addFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32], []);
  const [x, y, n] = [0, 1, 2];
  const i = f.local(I32);
  const end = f.local(I32);
  f.get(n).i32(2).op(OP.i32Shl).set(end);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get(i).get(end).op(OP.i32GeS).op(OP.brIf, 1);
  for (const off of [0, 16]) {
    f.get(y).get(i).op(OP.i32Add);
    f.get(x).get(i).op(OP.i32Add).simdMem(SIMD.load, 4, off);
    f.get(y).get(i).op(OP.i32Add).simdMem(SIMD.load, 4, off);
    f.simd(F32X4.add).simdMem(SIMD.store, 4, off);
  }
  f.get(i).i32(32).op(OP.i32Add).set(i);
  f.op(OP.br, 0, OP.end, OP.end);
  return f;
}

/** sgd(p, g, n, lr): p = p - lr g over n float32 (n a multiple of 4), f32x4. */
function sgdFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, F64], []);
  const [p, g, n, lr] = [0, 1, 2, 3];
  const i = f.local(I32);
  const end = f.local(I32);
  const rate = f.local(V128);
  f.get(lr).op(0xb6).simd(F32X4.splat).set(rate);
  f.get(n).i32(2).op(OP.i32Shl).set(end);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get(i).get(end).op(OP.i32GeS).op(OP.brIf, 1);
  f.get(p).get(i).op(OP.i32Add);
  f.get(p).get(i).op(OP.i32Add).simdMem(SIMD.load, 4, 0);
  f.get(g).get(i).op(OP.i32Add).simdMem(SIMD.load, 4, 0).get(rate).simd(F32X4.mul);
  f.simd(F32X4.sub).simdMem(SIMD.store, 4, 0);
  f.get(i).i32(16).op(OP.i32Add).set(i);
  f.op(OP.br, 0, OP.end, OP.end);
  return f;
}

/**
 * adam(p, g, m, v, n, a, b1, c1, b2, c2, ib2, eps): m = b1 m + c1 g; v = b2 v + c2 g²;
 * p -= a m / (sqrt(v ib2) + eps), all in f32x4 (a = lr / (1 - b1^t), ib2 = 1 / (1 - b2^t)).
 */
function adamFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64, F64], []);
  const [p, g, m, v, n] = [0, 1, 2, 3, 4];
  const i = f.local(I32);
  const end = f.local(I32);
  const consts = [5, 6, 7, 8, 9, 10, 11].map((arg) => {
    const l = f.local(V128);
    // f32x4.splat(f32.demote(arg))
    f.get(arg).op(0xb6).simd(F32X4.splat).set(l);
    return l;
  });
  const [A, B1, C1, B2, C2, IB2, E] = consts;
  const gi = f.local(V128);
  const mi = f.local(V128);
  const vi = f.local(V128);
  f.get(n).i32(2).op(OP.i32Shl).set(end);
  f.op(OP.block, 0x40, OP.loop, 0x40);
  f.get(i).get(end).op(OP.i32GeS).op(OP.brIf, 1);
  const at = (base: number) => f.get(base).get(i).op(OP.i32Add);
  at(g).simdMem(SIMD.load, 4, 0).set(gi);
  at(m).simdMem(SIMD.load, 4, 0).get(B1).simd(F32X4.mul).get(gi).get(C1).simd(F32X4.mul).simd(F32X4.add).set(mi);
  at(v).simdMem(SIMD.load, 4, 0).get(B2).simd(F32X4.mul).get(gi).get(gi).simd(F32X4.mul).get(C2).simd(F32X4.mul).simd(F32X4.add).set(vi);
  at(m).get(mi).simdMem(SIMD.store, 4, 0);
  at(v).get(vi).simdMem(SIMD.store, 4, 0);
  at(p);
  at(p).simdMem(SIMD.load, 4, 0);
  f.get(A).get(mi).simd(F32X4.mul).get(vi).get(IB2).simd(F32X4.mul).simd(F32X4.sqrt).get(E).simd(F32X4.add).simd(F32X4.div);
  f.simd(F32X4.sub).simdMem(SIMD.store, 4, 0);
  f.get(i).i32(16).op(OP.i32Add).set(i);
  f.op(OP.br, 0, OP.end, OP.end);
  return f;
}

export interface HandKernels {
  memory: WebAssembly.Memory;
  add(x: number, y: number, n: number): void;
  sgd(p: number, g: number, n: number, lr: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, a: number, b1: number, c1: number, b2: number, c2: number, ib2: number, eps: number): void;
}

/** The baselines over a memory of `bytes` (allocated once). */
export function handKernels(bytes: number): HandKernels {
  const pages = Math.ceil(bytes / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const bytesOfModule = encodeModule({ memory: { module: "env", name: "memory", shared: false }, imports: [], functions: [{ name: "add", fn: addFunction() }, { name: "sgd", fn: sgdFunction() }, { name: "adam", fn: adamFunction() }] });
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytesOfModule), { env: { memory } }).exports as unknown as Omit<HandKernels, "memory">;
  return { memory, add: e.add, sgd: e.sgd, adam: e.adam };
}
