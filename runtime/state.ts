/**
 * State snapshots: a versioned plain object, a compact binary form of it with a CRC-32, and the
 * checks that refuse what is not a run's own. A snapshot is validated completely (types,
 * finiteness, sizes, counter ranges) before anything is written, so a refused loadState()
 * changes nothing.
 *
 * Codes: R301 not a snapshot; R302 another snapshot version; R303 another config or layout;
 * R304 other tensors; R305 incomplete (a state slot or counter missing, or the wrong size);
 * R306 a damaged binary form (checksum, truncation); R307 an invalid value (a non-finite or
 * non-number arena value, a counter that is not a count, an unknown field).
 * Runtime hyperparameters (inject_hyperparams) travel in `hyperparams`, by path: a snapshot of
 * a config that has them must carry every one (R305) as a finite number (R307).
 */
import type { CompiledStep } from "../format/artifact.js";
import { fail } from "./errors.js";
import { brokenRelation, snapshotHyperparams } from "./run_inputs.js";
import type { TensorLayout } from "./tensors.js";

export const STATE_FORMAT = "optc-state";
/** 2: the binary form carries a CRC-32; arenas may be plain arrays (the JSON form). */
export const STATE_VERSION = 2;
const INT32_MAX = 2147483647;

export interface StateSnapshot {
  format: typeof STATE_FORMAT;
  version: number;
  fingerprint: string;
  config: string;
  tensors: { name: string; shape: number[] }[];
  count: number;
  outerCount: number;
  counters: Record<string, number>;
  /** Runtime hyperparameters by path (inject_hyperparams); absent when the config has none. */
  hyperparams?: Record<string, number>;
  /** Float32Arrays from saveState(); plain number arrays in the JSON form. */
  arenas: Record<string, Float32Array | number[]>;
}

const MAGIC = [0x4f, 0x50, 0x54, 0x43, 0x53, 0x54, 0x41, 0x54]; // "OPTCSTAT"
/** Magic (8), header length (4), CRC-32 of everything after the CRC (4). */
const PREFIX = 16;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE): detects every single-bit flip and every burst of up to 32 bits. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Gives a snapshot the JSON form `JSON.stringify` writes: arenas as plain number arrays (a
 * float32 value survives JSON's shortest decimal exactly). Non-enumerable, so spreading or
 * cloning a snapshot does not copy it.
 */
export function withJsonForm(s: StateSnapshot): StateSnapshot {
  Object.defineProperty(s, "toJSON", {
    enumerable: false,
    value: () => ({ ...s, arenas: Object.fromEntries(Object.entries(s.arenas).map(([k, v]) => [k, Array.from(v)])) }),
  });
  return s;
}

export function encodeState(s: StateSnapshot): Uint8Array {
  const names = Object.keys(s.arenas);
  const header = JSON.stringify({ ...s, arenas: names.map((n) => [n, s.arenas[n].length]) });
  const headerBytes = new TextEncoder().encode(header);
  const dataStart = Math.ceil((PREFIX + headerBytes.length) / 4) * 4;
  const total = dataStart + names.reduce((sum, n) => sum + 4 * s.arenas[n].length, 0);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, PREFIX);
  let at = dataStart;
  for (const n of names) {
    const a = s.arenas[n];
    out.set(new Uint8Array((a instanceof Float32Array ? a : Float32Array.from(a)).slice().buffer), at);
    at += 4 * a.length;
  }
  view.setUint32(12, crc32(out.subarray(PREFIX)), true);
  return out;
}

const damaged = (why: string): never => fail("R306", `the binary snapshot is damaged: ${why}`, "pass what saveStateBinary() returned, whole and unmodified");

export function decodeState(bytes: Uint8Array): StateSnapshot {
  if (!(bytes instanceof Uint8Array) || bytes.length < PREFIX || MAGIC.some((m, i) => bytes[i] !== m)) {
    fail("R301", "this is not an optc state snapshot", "pass what saveStateBinary() returned");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(8, true);
  if (PREFIX + len > bytes.length) damaged("it is truncated");
  if (crc32(bytes.subarray(PREFIX)) !== view.getUint32(12, true)) damaged("its checksum does not match");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + len)));
  } catch {
    return damaged("its header is not readable");
  }
  const h = header as Record<string, unknown>;
  if (!h || typeof h !== "object" || !Array.isArray(h.arenas)) return damaged("its header lists no arenas");
  let at = Math.ceil((PREFIX + len) / 4) * 4;
  const arenas: Record<string, Float32Array> = {};
  for (const entry of h.arenas as unknown[]) {
    const [name, n] = Array.isArray(entry) ? entry : [];
    if (typeof name !== "string" || !Number.isSafeInteger(n) || n < 0) damaged("an arena entry of its header is malformed");
    if (at + 4 * n > bytes.length) damaged("it is truncated");
    const copy = new Float32Array(n);
    new Uint8Array(copy.buffer).set(bytes.subarray(at, at + 4 * n));
    arenas[name] = copy;
    at += 4 * n;
  }
  if (at !== bytes.length) damaged("it has bytes after its last arena");
  return { ...(h as unknown as StateSnapshot), arenas };
}

/** Arenas a snapshot holds: the params and every state slot (not grads, not scratch). */
export function savedArenas(artifact: CompiledStep): string[] {
  return artifact.arenas.filter((a) => a.role === "params" || a.role === "state").map((a) => a.name);
}

const invalid = (what: string): never => fail("R307", `the snapshot holds an invalid value: ${what}`, "pass what saveState() returned (or its JSON form), unmodified");
const isCount = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER;

/** Decodes and checks a snapshot against this run completely; refuses other configs, layouts, versions and any damage. */
export function checkedSnapshot(snapshot: unknown, artifact: CompiledStep, layout: TensorLayout): { arenas: Record<string, Float32Array>; counters: Map<string, number>; hyperparams: Map<string, number>; count: number; outerCount: number } {
  const s = (snapshot instanceof Uint8Array ? decodeState(snapshot) : snapshot) as Record<string, unknown> | null;
  if (!s || typeof s !== "object" || s.format !== STATE_FORMAT) return fail("R301", "this is not an optc state snapshot", "pass what saveState() or saveStateBinary() returned");
  if (s.version !== STATE_VERSION) fail("R302", `snapshot version ${String(s.version)} is not supported (this runtime reads ${STATE_VERSION})`, "save the state again with this optc version");
  if (s.fingerprint !== artifact.fingerprint) {
    fail("R303", `the snapshot is from another config or layout:\n  snapshot: ${typeof s.config === "string" ? s.config : "(no config)"}\n  this run: ${artifact.config}`, "load it into an optimizer compiled from the same config");
  }
  const mine = JSON.stringify(layout.tensors.map((t) => ({ name: t.name, shape: t.shape })));
  if (JSON.stringify(s.tensors) !== mine) fail("R304", "the snapshot's tensors differ from this run's (names or shapes)", "init() with the same tensors that were saved");
  if (!isCount(s.count) || !isCount(s.outerCount) || s.outerCount > s.count) invalid(`count ${String(s.count)} and outerCount ${String(s.outerCount)} must be counts, outerCount at most count`);
  const rawCounters = s.counters as Record<string, unknown> | null;
  if (!rawCounters || typeof rawCounters !== "object") return fail("R305", "the snapshot has no counters", "the snapshot is incomplete");
  const counters = new Map<string, number>();
  for (const c of artifact.counters) {
    const v = rawCounters[c.name];
    if (v === undefined) fail("R305", `the snapshot lacks counter '${c.name}'`, "the snapshot is incomplete");
    if (c.real) {
      if (typeof v !== "number" || !Number.isFinite(v)) invalid(`counter '${c.name}' is ${JSON.stringify(v)}, not a finite number`);
    } else if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > INT32_MAX) invalid(`counter '${c.name}' is ${JSON.stringify(v)}, not a count from 0 to ${INT32_MAX}`);
    counters.set(c.name, v as number);
  }
  for (const name of Object.keys(rawCounters)) if (!counters.has(name)) invalid(`it has a counter '${name}' this config does not keep`);
  const hyperparams = checkedHyperparams(s.hyperparams, artifact);
  const step = artifact.protocol.step;
  if (step.kind === "counted") {
    const v = counters.get(step.counter) ?? 0;
    if (!step.ranges.some((r) => v >= r.from && v <= r.to)) invalid(`counter '${step.counter}' is ${v}, outside the cycle 0..${Math.max(...step.ranges.map((r) => r.to))}`);
  }
  const rawArenas = s.arenas as Record<string, unknown> | null;
  if (!rawArenas || typeof rawArenas !== "object") return fail("R305", "the snapshot has no state", "the snapshot is incomplete");
  const saved = savedArenas(artifact);
  const arenas: Record<string, Float32Array> = {};
  for (const name of saved) {
    const data = rawArenas[name];
    if (!(data instanceof Float32Array) && !Array.isArray(data)) return fail("R305", `the snapshot lacks state slot '${name}'`, "the snapshot is incomplete");
    if (data.length !== layout.total) fail("R305", `state slot '${name}' has ${data.length} values, this run has ${layout.total}`, "the snapshot is incomplete");
    const values = data instanceof Float32Array ? data.slice() : new Float32Array(data.length);
    if (Array.isArray(data)) {
      for (let i = 0; i < data.length; i++) {
        const x = data[i];
        if (typeof x !== "number") invalid(`state slot '${name}' holds ${JSON.stringify(x)} at ${i}`);
        values[i] = x;
      }
    }
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) invalid(`state slot '${name}' holds ${String(values[i])} at ${i} (as float32)`);
    arenas[name] = values;
  }
  for (const name of Object.keys(rawArenas)) if (!saved.includes(name)) invalid(`it has a state slot '${name}' this config does not keep`);
  return { arenas, counters, hyperparams, count: s.count as number, outerCount: s.outerCount as number };
}

/** The snapshot's hyperparameters by input name: every one the config has, each a finite number. */
function checkedHyperparams(raw: unknown, artifact: CompiledStep): Map<string, number> {
  const decls = artifact.hyperparams ?? [];
  const out = new Map<string, number>();
  if (raw === undefined && decls.length === 0) return out;
  if (!raw || typeof raw !== "object") return fail("R305", "the snapshot has no hyperparameters", "the snapshot is incomplete (this config injects hyperparameters)");
  const values = raw as Record<string, unknown>;
  for (const h of decls) {
    const v = values[h.name];
    if (v === undefined) fail("R305", `the snapshot lacks hyperparameter '${h.name}'`, "the snapshot is incomplete");
    if (typeof v !== "number" || !Number.isFinite(v)) invalid(`hyperparameter '${h.name}' is ${JSON.stringify(v)}, not a finite number`);
    out.set(h.input, v as number);
  }
  for (const name of Object.keys(values)) if (!decls.some((h) => h.name === name)) invalid(`it has a hyperparameter '${name}' this config does not inject`);
  // A pair setHyperparam would refuse (eps and eps_root both 0) is no state a run can be in.
  const broken = brokenRelation(artifact, out);
  if (broken) invalid(`hyperparameters '${broken.relation.operands[0].name}' = ${broken.values[0]} and '${broken.relation.operands[1].name}' = ${broken.values[1]}: ${broken.relation.message}`);
  return out;
}

/** A snapshot of a run, given its saved arenas' contents. */
export function makeSnapshot(artifact: CompiledStep, layout: TensorLayout, arenas: Record<string, Float32Array>, counters: Map<string, number>, count: number, outerCount: number, inputs: ReadonlyMap<string, number> = new Map()): StateSnapshot {
  return withJsonForm({
    format: STATE_FORMAT,
    version: STATE_VERSION,
    fingerprint: artifact.fingerprint,
    config: artifact.config,
    tensors: layout.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })),
    count,
    outerCount,
    counters: Object.fromEntries(counters),
    ...snapshotHyperparams(artifact, inputs),
    arenas,
  });
}
