/**
 * gpu.js's spelling of the op table: JavaScript syntax, GLSL semantics. Literals always carry a
 * decimal point (gpu.js types a literal without one as an integer); booleans are 1.0/0.0; NaN
 * tests are comparisons, which WebGL2 evaluates per IEEE; `x * 0` keeps non-finite values.
 */
import { boolToNumber, JS_SYNTAX, mulKeepingNonFinite, type Dialect } from "../c_like.js";
import { glFloat } from "../print_number.js";

/** float32's largest finite value: |x| <= MAX is false for NaN and ±Inf. */
export const F32_MAX = "3.4028234663852886e38";

export const GPUJS: Dialect = {
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
    // x * 0 is how the IR tests finiteness (0, or NaN for NaN/Inf); GLSL compilers may fold it.
    mul: mulKeepingNonFinite((x) => `(Math.abs(${x}) <= ${F32_MAX} ? 0.0 : ${x})`),
  },
};

/** An index literal for gpu.js (a float: gpu.js indexes textures with floats). */
export const idx = (n: number): string => `${n}.0`;
