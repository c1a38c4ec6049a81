/** No user text reaches generated code: only fixed identifiers and canonically printed numbers. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSource } from "../../compiler/pipeline.js";
import { spliceReference } from "../../compiler/docs.js";
import { jsNumber, shortestFloat32, wgslFloat } from "../../targets/print_number.js";
import { glFloat } from "../../targets/print_number.js";
import type { GpuJsDeviceProgram, GpuJsStepKernels } from "../../format/abi_gpujs.js";
import { CATALOG_CONFIGS } from "../helpers/catalog.js";

const HOSTILE = [
  'adamw(1e-3, mask=["*/ globalThis.pwned = 1; /*", "\\n}); process.exit(1); ({"])',
  'masked(sgd(0.1), "`${process.exit(1)}`")',
  'chain(masked(adam(1e-3), ["</script>", "*"]), add_decayed_weights(0.1, mask="a\\"b"))',
  "sgd(1e-300, momentum=-0.0)",
  "sgd(5e-324)",
  "adam(3.4028234663852886e38)",
];

const ALLOWED = new Set(["return", "function", "build", "arenas", "seg", "sv", "U", "R", "RS", "const", "let", "for", "if", "run", "nseg", "n", "s", "lo", "hi", "i", "Math", "abs", "sqrt", "cos", "floor", "sign", "tanh", "fround", "exp", "log", "pow", "min", "max", "length", "Infinity", "NaN", "e"]);

function codeOf(config: string): string[] {
  const c = compileSource(config);
  if (!c.artifact) throw new Error(c.diagnostics.map((d) => d.message).join("\n"));
  return Object.values(c.artifact.phases).flatMap((p) => p.passes.flatMap((pass) => pass.kernels.map((k) => k.code.js!)));
}

function checkCode(code: string): void {
  for (const line of code.split("\n")) {
    if (line.startsWith("//")) {
      expect(line).toMatch(/^\/\/ [A-Za-z0-9_.[\]? :]*$/);
      continue;
    }
    expect(line).not.toMatch(/["'`\\]/);
    for (const id of line.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []) {
      if (!ALLOWED.has(id) && !/^(a|u|s|sv|t|r|g|rs)\d+(_\d+|_t)?$/.test(id)) throw new Error(`unexpected identifier '${id}' in:\n${line}`);
    }
  }
}

describe("generated code", () => {
  it.each(HOSTILE)("hostile input %s: no user text in the code", (config) => {
    for (const code of codeOf(config)) {
      checkCode(code);
      expect(code).not.toMatch(/pwned|process|script|exit/);
    }
  });
  it("every catalog config's code has only allowed identifiers", () => {
    for (const config of Object.values(CATALOG_CONFIGS)) for (const code of codeOf(config)) checkCode(code);
  });
  it("hostile names never compile (diagnostics instead)", () => {
    for (const config of ["adam(1e-3, `x`=1)", "process.exit(1)", "adam(1e-3); require('fs')", "globalThis.x()", "adam(eval=1)"]) {
      const c = compileSource(config);
      expect(c.artifact).toBeUndefined();
      expect(c.diagnostics.length).toBeGreaterThan(0);
    }
  });
  it("the number printer round-trips every double and parenthesises negatives", () => {
    for (const x of [0, -0, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 0.1 + 0.2, Infinity, -Infinity]) {
      const printed = jsNumber(x);
      expect(Object.is(new Function(`return ${printed}`)(), x)).toBe(true);
    }
  });
});

const GPUJS_ALLOWED = new Set(
  "function const let for if return this thread x y constants nseg W seg sv table start end s idx j v Math abs sqrt cos floor sign tanh exp log pow min max e st rf rv i tb q qr hv step validate g lo hi rg k pv n cur saved".split(" "),
);

/** Every gpu.js program of a gpujs artifact: kernels, device programs, and the runtime's folds and state kernels. */
function gpuJsCode(config: string): string[] {
  const c = compileSource(config, "gpujs");
  if (!c.artifact) throw new Error(c.diagnostics.map((d) => d.message).join("\n"));
  const phases = Object.values(c.artifact.phases);
  const kernels = phases.flatMap((p) => p.passes.flatMap((pass) => pass.kernels));
  const programs = phases.flatMap((p) => p.device!.programs.map((x) => (x.code.gpujs as GpuJsDeviceProgram).source));
  const step = c.artifact.device!.fold!.gpujs as GpuJsStepKernels;
  const folds = step.fold.flatMap((f) => [f.first, f.next]).flatMap((f) => [f.source, ...Object.values(f.map)]);
  return [...kernels.flatMap((k) => [k.code.gpujs!.source, ...Object.values(k.code.gpujs!.map)]), ...programs, ...folds, step.writeState, step.restorePageIfRefused, step.restoreCountersIfRefused];
}

function checkGpuJsCode(code: string): void {
  for (const raw of code.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("//")) {
      expect(line).toMatch(/^\/\/ [A-Za-z0-9_.[\]? :,]*$/);
      continue;
    }
    expect(line).not.toMatch(/["'`\\]/);
    for (const id of line.match(/(?<![A-Za-z0-9_$.])[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []) {
      if (!GPUJS_ALLOWED.has(id) && !/^((a|u|t|r|out|v|w|x|y|s|c|p)\d+|f\d+r\d+)$/.test(id)) throw new Error(`unexpected identifier '${id}' in:\n${line}`);
    }
    // gpu.js types a literal without a decimal point as an integer.
    for (const literal of line.match(/(?<![A-Za-z_$\d.])\d+(\.\d+)?(e[+-]?\d+)?(?![\d.])/g) ?? []) {
      if (!/[.]/.test(literal) && !/^(\d|128|256)$/.test(literal)) throw new Error(`float literal without a decimal point '${literal}' in:\n${line}`);
    }
  }
}

describe("generated gpu.js programs", () => {
  it.each(HOSTILE)("hostile input %s: no user text in the code", (config) => {
    for (const code of gpuJsCode(config)) {
      checkGpuJsCode(code);
      expect(code).not.toMatch(/pwned|process|script|exit/);
    }
  });
  it("every catalog config's programs have only allowed identifiers and float literals", () => {
    for (const config of Object.values(CATALOG_CONFIGS)) for (const code of gpuJsCode(config)) checkGpuJsCode(code);
  });
  it("float literals always carry a decimal point; float32 overflow becomes ±Inf arithmetic", () => {
    expect(glFloat(3)).toBe("3.0");
    expect(glFloat(-0.5)).toBe("(-0.5)");
    expect(glFloat(1e-8)).toBe("1.0e-8");
    expect(glFloat(1e21)).toBe("1.0e+21");
    expect(glFloat(1e39)).toBe("(3.4028234663852886e38 * 2.0)");
    for (const x of [0.1, 1e-8, -2.5, 3, 0.999, 1.7e38, 5e-324, Math.PI]) expect(Number(glFloat(x).replace(/[()]/g, ""))).toBe(x);
  });
});

const WGSL_ALLOWED = new Set(
  "struct Uniforms header vectors rows groups_x segments partial_stride table_base table_scalars pad0 pad1 pad2 u32 f32 i32 vec2 vec3 vec4 bool group binding var uniform storage read read_write P WG TB PARTIALS ROWS SUMS array fn truthy is_finite truthy4 is_finite4 x m let return bitcast compute workgroup_size main builtin workgroup_id num_workgroups nwg wid local_invocation_index lid w if info s y z for v q e i else select sqrt abs cos floor sign tanh exp log pow min max true slot k row r j range sum c lane t"
    .split(" "),
);

/** Every WGSL program of a webgpu artifact: kernels, device programs and the fold. */
function wgslCode(config: string): string[] {
  const c = compileSource(config, "webgpu");
  if (!c.artifact) throw new Error(c.diagnostics.map((d) => d.message).join("\n"));
  const phases = Object.values(c.artifact.phases);
  return [...phases.flatMap((p) => p.passes.flatMap((pass) => pass.kernels.map((k) => k.code.wgsl!))), ...phases.flatMap((p) => p.device!.programs.map((x) => x.code.wgsl!)), c.artifact.device!.fold!.wgsl!];
}

function checkWgsl(code: string): void {
  for (const raw of code.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("//")) {
      expect(line).toMatch(/^\/\/ [A-Za-z0-9_.[\]? :,]*$/);
      continue;
    }
    expect(line).not.toMatch(/["'`\\]/);
    for (const id of line.match(/(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      if (!WGSL_ALLOWED.has(id) && !/^((a|u|sv|t|r|v|g|SUMS|TROWS)\d+v?|tensor_sum_\d+_\d+|0x[0-9a-f]+u|\d+(\.\d+)?(e[+-]?\d+)?f|\d+u)$/.test(id)) throw new Error(`unexpected identifier '${id}' in:\n${line}`);
    }
  }
}

describe("generated WGSL (kernels, device programs, fold)", () => {
  it.each(HOSTILE)("hostile input %s: no user text in the code", (config) => {
    for (const code of wgslCode(config)) {
      checkWgsl(code);
      expect(code).not.toMatch(/pwned|process|script|exit/);
    }
  });
  it("every catalog config's programs have only allowed identifiers", () => {
    for (const config of Object.values(CATALOG_CONFIGS)) for (const code of wgslCode(config)) checkWgsl(code);
  });
});

describe("float32 printing (WGSL literals, trace output)", () => {
  it("the shortest decimal reads back as the same float32; out-of-range values become bit patterns", () => {
    for (const x of [0.1, 1e-8, 1e-16, -2.5, 3, 0.999, 1.7e38, 1e-40, Math.PI]) {
      const f = Math.fround(x);
      expect(Math.fround(Number(shortestFloat32(f)))).toBe(f);
      expect(wgslFloat(x)).toMatch(/^\(?-?[0-9.e+-]+f\)?$/);
    }
    expect(shortestFloat32(Math.fround(0.1))).toBe("0.1");
    expect(wgslFloat(3)).toBe("3.0f");
    expect(wgslFloat(-0.5)).toBe("(-0.5f)");
    expect(wgslFloat(1e39)).toBe("bitcast<f32>(0x7f800000u)");
    // float32's largest value prints as 3.4028235e38, past its range: WGSL refuses that literal (a bug found, R404 before).
    expect(wgslFloat(3.4028234663852886e38)).toBe("bitcast<f32>(0x7f7fffffu)");
    expect(wgslFloat(-3.4028234663852886e38)).toBe("bitcast<f32>(0xff7fffffu)");
    expect(wgslFloat(NaN)).toBe("bitcast<f32>(0x7fc00000u)");
  });
});

describe("README", () => {
  it("its language reference is the one generated from the registry", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(spliceReference(readme), "run npm run docs").toBe(readme);
  });
});
