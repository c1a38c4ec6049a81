/**
 * WGSL's spelling of the op table, for one lane (f32) and for four (vec4<f32>). Booleans are
 * bool (vec4<bool> for four lanes, combined with & and |, which WGSL defines component-wise);
 * NaN tests and truthiness are bit tests (helpers below) because WGSL's float comparisons need
 * not follow IEEE for NaN; `x * 0` keeps non-finite values (shader compilers may fold it to 0).
 */
import { boolToNumber, mulKeepingNonFinite, type Dialect } from "../c_like.js";
import { wgslFloat } from "../print_number.js";

const shared = {
  call: (fn: string, args: string[]) => `${fn}(${args.join(", ")})`,
  cond: (c: string, a: string, b: string) => `select(${b}, ${a}, ${c})`,
  eq: "==",
  ne: "!=",
  declare: (name: string, expr: string) => `let ${name} = ${expr};`,
};

export const WGSL: Dialect = {
  ...shared,
  literal: (x) => `(${wgslFloat(x)})`,
  one: "1.0f",
  zero: "0.0f",
  truthy: (x) => `truthy(${x})`,
  overrides: {
    // Every WGSL value is already float32.
    f32: ([a]) => a,
    isfinite: ([a], { d }) => boolToNumber(d, `is_finite(${a})`),
    mul: mulKeepingNonFinite((x) => `select(${x}, 0.0f, is_finite(${x}))`),
  },
};

const ONE4 = "vec4<f32>(1.0f)";
const ZERO4 = "vec4<f32>(0.0f)";

export const WGSL_VEC4: Dialect = {
  ...shared,
  literal: (x) => `vec4<f32>(${wgslFloat(x)})`,
  one: ONE4,
  zero: ZERO4,
  truthy: (x) => `truthy4(${x})`,
  overrides: {
    f32: ([a]) => a,
    isfinite: ([a], { d }) => boolToNumber(d, `is_finite4(${a})`),
    mul: mulKeepingNonFinite((x) => `select(${x}, ${ZERO4}, is_finite4(${x}))`),
    and: ([a, b], { d }) => boolToNumber(d, `(truthy4(${a}) & truthy4(${b}))`),
    or: ([a, b], { d }) => boolToNumber(d, `(truthy4(${a}) | truthy4(${b}))`),
  },
};

/** The bit-test helpers every shader defines (scalar and vec4). */
export const WGSL_HELPERS = [
  `fn truthy(x: f32) -> bool { let m = bitcast<u32>(x) & 0x7fffffffu; return m != 0u && m <= 0x7f800000u; }`,
  `fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`,
  `fn truthy4(x: vec4<f32>) -> vec4<bool> { let m = bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu); return (m != vec4<u32>(0u)) & (m <= vec4<u32>(0x7f800000u)); }`,
  `fn is_finite4(x: vec4<f32>) -> vec4<bool> { return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7f800000u)) != vec4<u32>(0x7f800000u); }`,
];
