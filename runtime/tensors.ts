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

/** Elements a model may have: kernels and segment tables index arenas with 32-bit integers. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

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
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail("R102", `tensor '${name}' has an invalid shape [${shape.map(String).join(", ")}]`, "dimensions are non-negative integers");
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > MAX_ELEMENTS || offset + size > MAX_ELEMENTS) {
      fail("R111", `the model has more than ${MAX_ELEMENTS} parameters (tensor '${name}' has shape [${shape.join(", ")}])`, "optc's arenas are indexed by 32-bit integers; split the model across several optimizers");
    }
    if (values !== undefined && (values === null || typeof values !== "object" || typeof values.length !== "number")) fail("R103", `tensor '${name}''s data is not an array`, "pass a Float32Array or an array of numbers");
    if (values !== undefined && values.length !== size) fail("R103", `tensor '${name}' has shape [${shape.join(", ")}] (${size} values) but its data has ${values.length}`, "make the data length the product of the shape");
    if (values !== undefined) {
      for (let i = 0; i < values.length; i++) {
        // Params live in float32: 1e39 is finite as a double but Inf once stored.
        const v = values[i];
        if (typeof v !== "number" || !Number.isFinite(Math.fround(v))) fail("R104", `tensor '${name}' has an initial value ${typeof v === "number" ? String(v) : JSON.stringify(v) ?? typeof v} at index ${i} that is not a finite float32`, "initial params must be finite numbers within float32's range (|x| < 3.4e38)");
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
    if (v === null || typeof v !== "object" || typeof v.length !== "number") fail("R106", `${what}: tensor '${t.name}' is ${v === null ? "null" : typeof v}, not an array`, "pass a Float32Array (or an array of numbers) per tensor");
    if (v.length !== t.size) fail("R106", `${what}: tensor '${t.name}' has ${v.length} values, expected ${t.size} (shape [${t.shape.join(", ")}])`, "check the tensor's shape");
  }
  for (const t of layout.tensors) arena.set(values[t.name], t.offset);
}

/** What a run may allocate for its arenas by default (init's maxBytes raises it). */
export const DEFAULT_MAX_BYTES = 8 * 2 ** 30;

/**
 * The tensors laid out and their initial values packed into one params arena, after checking
 * that `arenas` float32 arenas of the model fit in `maxBytes` (R111): a model too large for the
 * machine is refused before anything is allocated.
 */
export function packParams(params: Record<string, TensorInit>, arenas: number, maxBytes = DEFAULT_MAX_BYTES): { layout: TensorLayout; values: Float32Array } {
  const { layout, data } = layoutTensors(params);
  if (!(typeof maxBytes === "number" && maxBytes > 0)) fail("R111", `init's maxBytes must be a positive number of bytes, got ${String(maxBytes)}`, "leave it out for the default (8 GiB)");
  const bytes = arenas * layout.total * 4;
  if (bytes > maxBytes) {
    fail("R111", `the run would allocate ${(bytes / 2 ** 30).toFixed(1)} GiB (${arenas} arenas of ${layout.total} float32), more than the ${(maxBytes / 2 ** 30).toFixed(1)} GiB allowed`, "pass init(params, { maxBytes }) to allow more, or split the model across optimizers");
  }
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

/** An arena allocated elsewhere (a wasm memory) given its initial contents; returns it. */
export function fillArena(arena: Float32Array, decl: ArenaDecl, params: Float32Array): Float32Array {
  if (decl.role === "params" || "copy" in decl.init) arena.set(params);
  else arena.fill(decl.init.fill);
  return arena;
}

/** Per-segment values packed for a GPU kernel: value j of segment s at j * segments + s (a scalar fills its row). */
export function packSegvals(segvals: readonly (number | Float64Array)[], segments: number): Float32Array {
  const out = new Float32Array(Math.max(1, segvals.length * segments));
  segvals.forEach((v, j) => (typeof v === "number" ? out.fill(v, j * segments, (j + 1) * segments) : out.set(v, j * segments)));
  return out;
}
