/**
 * The one canonical printer for numbers in generated code. Only its output, registry names
 * and fixed identifiers ever reach generated source.
 */
export function jsNumber(x: number): string {
  if (typeof x !== "number") throw new Error("internal: not a number");
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "(-Infinity)";
  if (Object.is(x, -0)) return "(-0)";
  const s = String(x);
  // String() round-trips every float64 exactly; guard the grammar anyway.
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) throw new Error(`internal: unprintable number ${s}`);
  return x < 0 ? `(${s})` : s;
}

/** The shortest decimal that reads back as the same float32 (how the spec prints float32 values). */
export function shortestFloat32(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return String(f);
  for (let p = 1; p <= 9; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return String(t);
  }
  return String(f);
}

/** float32's largest finite value. */
const F32_MAX = 3.4028234663852886e38;

/** A WGSL float32 literal (WGSL rejects literals outside float32's range, so those are bit patterns). */
export function wgslFloat(x: number): string {
  const f = Math.fround(x);
  if (Number.isNaN(f)) return "bitcast<f32>(0x7fc00000u)";
  if (f === Infinity) return "bitcast<f32>(0x7f800000u)";
  if (f === -Infinity) return "bitcast<f32>(0xff800000u)";
  if (Object.is(f, -0)) return "(-0.0f)";
  const s = shortestFloat32(f);
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) throw new Error(`internal: unprintable float ${s}`);
  // The shortest decimal of float32's largest value (3.4028235e38) lies past it, and WGSL
  // refuses a literal past float32's range before rounding: those are bit patterns too.
  if (Math.abs(Number(s)) > F32_MAX) return `bitcast<f32>(0x${(new Uint32Array(Float32Array.of(f).buffer)[0] >>> 0).toString(16).padStart(8, "0")}u)`;
  const lit = `${s}${/[.e]/.test(s) ? "" : ".0"}f`;
  return f < 0 ? `(${lit})` : lit;
}

/**
 * A gpu.js (GLSL) float literal: always with a decimal point, so gpu.js types it as a float.
 */
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

/** A comment-safe rendering of an internal name (paths are registry names, params and indices). */
export function commentSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.[\]]/g, "?");
}
