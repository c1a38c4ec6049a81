/** The user's tensors: validation and their place in the flat arenas (sorted by name, as optax flattens dicts). */
import type { ArenaDecl } from "../format/artifact.js";
import { fail } from "./errors.js";

export type TensorInit = { shape: readonly number[]; data?: ArrayLike<number> } | Float32Array | readonly number[];

export interface TensorInfo {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface TensorLayout {
  tensors: TensorInfo[];
  /** Segment boundaries: tensor i spans [seg[i], seg[i+1]). */
  seg: Int32Array;
  total: number;
}

export function layoutTensors(params: Record<string, TensorInit>): { layout: TensorLayout; data: Map<string, ArrayLike<number> | undefined> } {
  if (params === null || typeof params !== "object") fail("R101", "init() needs an object of named tensors", "e.g. opt.init({ w: { shape: [784, 128], data: w0 } })");
  const names = Object.keys(params).sort();
  if (names.length === 0) fail("R101", "init() got no tensors", "pass at least one named tensor");
  const tensors: TensorInfo[] = [];
  const data = new Map<string, ArrayLike<number> | undefined>();
  let offset = 0;
  for (const name of names) {
    const t = params[name];
    let shape: number[];
    let values: ArrayLike<number> | undefined;
    if (t instanceof Float32Array || Array.isArray(t)) {
      shape = [t.length];
      values = t as ArrayLike<number>;
    } else if (t && typeof t === "object" && Array.isArray((t as { shape?: unknown }).shape)) {
      shape = [...(t as { shape: number[] }).shape];
      values = (t as { data?: ArrayLike<number> }).data;
    } else {
      return fail("R102", `tensor '${name}' is neither { shape, data } nor an array`, "pass { shape: [rows, cols], data: Float32Array }");
    }
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail("R102", `tensor '${name}' has an invalid shape [${shape.join(", ")}]`, "dimensions are non-negative integers");
    const size = shape.reduce((a, b) => a * b, 1);
    if (values !== undefined && values.length !== size) fail("R103", `tensor '${name}' has shape [${shape.join(", ")}] (${size} values) but its data has ${values.length}`, "make the data length the product of the shape");
    if (values !== undefined) {
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) fail("R104", `tensor '${name}' has a non-finite initial value at index ${i}`, "initial params must be finite numbers");
      }
    }
    tensors.push({ name, shape, offset, size });
    data.set(name, values);
    offset += size;
  }
  const seg = new Int32Array(tensors.length + 1);
  tensors.forEach((t, i) => (seg[i + 1] = t.offset + t.size));
  return { layout: { tensors, seg, total: offset }, data };
}

export function viewsOf(arena: Float32Array, layout: TensorLayout): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const t of layout.tensors) out[t.name] = arena.subarray(t.offset, t.offset + t.size);
  return out;
}

/** Copies named arrays into an arena, checking every name and size first (so a bad call changes nothing). */
export function copyNamed(arena: Float32Array, layout: TensorLayout, values: Record<string, ArrayLike<number>>, what: string): void {
  if (values === null || typeof values !== "object") fail("R105", `${what} must be an object of named arrays`, `e.g. { ${layout.tensors[0].name}: Float32Array }`);
  const known = new Set(layout.tensors.map((t) => t.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) fail("R105", `${what} has a tensor '${name}' that the optimizer does not know`, `known tensors: ${[...known].join(", ")}`);
  }
  for (const t of layout.tensors) {
    const v = values[t.name];
    if (v === undefined) fail("R105", `${what} is missing the tensor '${t.name}'`, `give every tensor: ${[...known].join(", ")}`);
    if (v.length !== t.size) fail("R106", `${what}: tensor '${t.name}' has ${v.length} values, expected ${t.size} (shape [${t.shape.join(", ")}])`, "check the tensor's shape");
  }
  for (const t of layout.tensors) arena.set(values[t.name], t.offset);
}

/** The tensors laid out and their initial values packed into one params arena. */
export function packParams(params: Record<string, TensorInit>): { layout: TensorLayout; values: Float32Array } {
  const { layout, data } = layoutTensors(params);
  const values = new Float32Array(layout.total);
  for (const t of layout.tensors) {
    const d = data.get(t.name);
    if (d) values.set(d, t.offset);
  }
  return { layout, values };
}

/** An arena's initial contents: a copy of the initial params, or its fill value. */
export function initialArena(decl: ArenaDecl, params: Float32Array): Float32Array {
  return "copy" in decl.init ? params.slice() : new Float32Array(params.length).fill(decl.init.fill);
}

/** Per-segment values packed for a GPU kernel: value j of segment s at j * segments + s (a scalar fills its row). */
export function packSegvals(segvals: readonly (number | Float64Array)[], segments: number): Float32Array {
  const out = new Float32Array(Math.max(1, segvals.length * segments));
  segvals.forEach((v, j) => (typeof v === "number" ? out.fill(v, j * segments, (j + 1) * segments) : out.set(v, j * segments)));
  return out;
}
