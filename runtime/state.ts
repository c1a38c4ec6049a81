/** State snapshots: a versioned plain object, a compact binary form of it, and the checks that refuse what is not a run's own. */
import type { CompiledStep } from "../format/artifact.js";
import { fail } from "./errors.js";
import type { TensorLayout } from "./tensors.js";

export const STATE_FORMAT = "optc-state";
export const STATE_VERSION = 1;

export interface StateSnapshot {
  format: typeof STATE_FORMAT;
  version: number;
  fingerprint: string;
  config: string;
  tensors: { name: string; shape: number[] }[];
  count: number;
  outerCount: number;
  counters: Record<string, number>;
  arenas: Record<string, Float32Array>;
}

const MAGIC = [0x4f, 0x50, 0x54, 0x43, 0x53, 0x54, 0x41, 0x54]; // "OPTCSTAT"

export function encodeState(s: StateSnapshot): Uint8Array {
  const names = Object.keys(s.arenas);
  const header = JSON.stringify({ ...s, arenas: names.map((n) => [n, s.arenas[n].length]) });
  const headerBytes = new TextEncoder().encode(header);
  const dataStart = Math.ceil((12 + headerBytes.length) / 4) * 4;
  const total = dataStart + names.reduce((sum, n) => sum + 4 * s.arenas[n].length, 0);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  let at = dataStart;
  for (const n of names) {
    const a = s.arenas[n];
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return out;
}

export function decodeState(bytes: Uint8Array): StateSnapshot {
  if (!(bytes instanceof Uint8Array) || bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m)) {
    fail("R301", "this is not an optc state snapshot", "pass what saveStateBinary() returned");
  }
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  let header: Omit<StateSnapshot, "arenas"> & { arenas: [string, number][] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len)));
  } catch {
    return fail("R301", "the snapshot header is corrupt", "pass what saveStateBinary() returned, unmodified");
  }
  let at = Math.ceil((12 + len) / 4) * 4;
  const arenas: Record<string, Float32Array> = {};
  for (const [name, n] of header.arenas) {
    if (at + 4 * n > bytes.length) fail("R301", "the snapshot is truncated", "pass what saveStateBinary() returned, whole");
    const copy = new Float32Array(n);
    new Uint8Array(copy.buffer).set(bytes.subarray(at, at + 4 * n));
    arenas[name] = copy;
    at += 4 * n;
  }
  return { ...header, arenas };
}

/** Arenas a snapshot holds: the params and every state slot (not grads, not scratch). */
export function savedArenas(artifact: CompiledStep): string[] {
  return artifact.arenas.filter((a) => a.role === "params" || a.role === "state").map((a) => a.name);
}

/** Decodes and checks a snapshot against this run; refuses other configs, layouts, versions. */
export function checkedSnapshot(snapshot: StateSnapshot | Uint8Array, artifact: CompiledStep, layout: TensorLayout): StateSnapshot {
  const s = snapshot instanceof Uint8Array ? decodeState(snapshot) : snapshot;
  if (!s || s.format !== STATE_FORMAT) fail("R301", "this is not an optc state snapshot", "pass what saveState() returned");
  if (s.version !== STATE_VERSION) fail("R302", `snapshot version ${s.version} is not supported (this runtime reads ${STATE_VERSION})`, "save the state again with this optc version");
  if (s.fingerprint !== artifact.fingerprint) {
    fail("R303", `the snapshot is from another config or layout:\n  snapshot: ${s.config}\n  this run: ${artifact.config}`, "load it into an optimizer compiled from the same config");
  }
  const mine = JSON.stringify(layout.tensors.map((t) => ({ name: t.name, shape: t.shape })));
  if (JSON.stringify(s.tensors) !== mine) fail("R304", "the snapshot's tensors differ from this run's (names or shapes)", "init() with the same tensors that were saved");
  for (const name of savedArenas(artifact)) {
    const data = s.arenas[name];
    if (!data || data.length !== layout.total) fail("R305", `the snapshot lacks state slot '${name}' or has the wrong size`, "the snapshot is incomplete");
  }
  return s;
}

/** A snapshot of a run, given its saved arenas' contents. */
export function makeSnapshot(artifact: CompiledStep, layout: TensorLayout, arenas: Record<string, Float32Array>, counters: Map<string, number>, count: number, outerCount: number): StateSnapshot {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    fingerprint: artifact.fingerprint,
    config: artifact.config,
    tensors: layout.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })),
    count,
    outerCount,
    counters: Object.fromEntries(counters),
    arenas,
  };
}
